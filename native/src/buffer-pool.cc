// Output buffers of the native kernels: Float32Array / Uint8Array views over external
// ArrayBuffers whose memory comes from a size-keyed free list. A training step allocates and
// drops the same large sizes over and over; fresh memory there costs first-touch page faults
// (very expensive in a VM), recycled memory does not. A block returns to the list when the
// backend releases it explicitly (its tensor data was disposed) or, failing that, when V8
// collects the ArrayBuffer; the list keeps at most kMaxCachedBytes.
#include <node_api.h>

#include <sys/mman.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "napi-util.h"

namespace {

using namespace jointshot;

constexpr size_t kMaxCachedBytes = size_t(1) << 30;
constexpr size_t kAlignment = 64;
// Blocks of at least this size are 2 MiB aligned and marked for transparent huge pages: in a VM
// a first touch of a 4 KiB page is expensive, and a 20 MB tensor is 5000 of them.
constexpr size_t kHugePage = size_t(2) << 20;

std::unordered_map<size_t, std::vector<void*>> freeLists;
size_t cachedBytes = 0;

// One allocation handed to JS; `released` once its block went back to the list explicitly.
struct Token {
  void* block;
  size_t size;
  bool released;
};
// Live (not yet released) allocations by block address.
std::unordered_map<void*, Token*> live;

// Rounded to the alignment (aligned_alloc requires a multiple of it).
size_t blockSize(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

void* takeBlock(size_t size) {
  auto found = freeLists.find(size);
  if (found != freeLists.end() && !found->second.empty()) {
    void* block = found->second.back();
    found->second.pop_back();
    cachedBytes -= size;
    return block;
  }
  if (size < kHugePage) return std::aligned_alloc(kAlignment, size);
  void* block = std::aligned_alloc(kHugePage, (size + kHugePage - 1) / kHugePage * kHugePage);
#ifdef MADV_HUGEPAGE
  if (block) madvise(block, size, MADV_HUGEPAGE);
#endif
  return block;
}

void recycle(void* block, size_t size) {
  if (cachedBytes + size > kMaxCachedBytes) {
    std::free(block);
    return;
  }
  freeLists[size].push_back(block);
  cachedBytes += size;
}

// V8 collected the ArrayBuffer: its block is recycled unless that already happened explicitly.
void finalizeBlock(napi_env, void*, void* hint) {
  Token* token = static_cast<Token*>(hint);
  if (!token->released) {
    live.erase(token->block);
    recycle(token->block, token->size);
  }
  delete token;
}

// alloc(kind, length): an uninitialised Float32Array (kind 0) or Uint8Array (kind 1) of `length`.
napi_value Alloc(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 2)) return nullptr;
  const int kind = int32(env, args.values[0]);
  const double length = number(env, args.values[1]);
  if (!(length > 0) || length > 4e9) return rangeError(env, "jointshot native: alloc length must be positive");
  const size_t count = static_cast<size_t>(length);
  const size_t bytes = count * (kind == 0 ? sizeof(float) : 1);
  const size_t size = blockSize(bytes);
  void* block = takeBlock(size);
  if (!block) {
    napi_throw_error(env, nullptr, "jointshot native: out of memory");
    return nullptr;
  }
  napi_value buffer, view;
  Token* token = new Token{block, size, false};
  if (napi_create_external_arraybuffer(env, block, bytes, finalizeBlock, token, &buffer) != napi_ok) {
    std::free(block);
    delete token;
    napi_throw_error(env, nullptr, "jointshot native: could not create an external ArrayBuffer");
    return nullptr;
  }
  live[block] = token;
  napi_create_typedarray(env, kind == 0 ? napi_float32_array : napi_uint8_array, count, buffer, 0, &view);
  return view;
}

// release(arrayBuffer): recycles the block behind an ArrayBuffer from alloc now. The caller
// guarantees nothing reads or writes it any more; unknown or already released buffers are ignored.
napi_value Release(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 1)) return nullptr;
  void* data = nullptr;
  size_t length = 0;
  if (napi_get_arraybuffer_info(env, args.values[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, nullptr, "jointshot native: release expects an ArrayBuffer");
    return nullptr;
  }
  auto found = live.find(data);
  if (found != live.end()) {
    Token* token = found->second;
    token->released = true;
    live.erase(found);
    recycle(token->block, token->size);
  }
  return nothing(env);
}

// keepFreedMemory(): glibc keeps freed memory for reuse (no trimming, no per-allocation mmap for
// blocks up to 512 MB), so that the process's other large buffers (V8 ArrayBuffers of the cpu
// kernels, oneDNN temporaries) stop paying first-touch page faults on every allocation. The
// resident size then stays at its peak.
napi_value KeepFreedMemory(napi_env env, napi_callback_info) {
#ifdef __GLIBC__
  mallopt(M_MMAP_THRESHOLD, 512 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  return nothing(env);
}

// pooledBytes(): bytes waiting in the free lists.
napi_value PooledBytes(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_double(env, static_cast<double>(cachedBytes), &out);
  return out;
}

}  // namespace

// Adds alloc and pooledBytes to the addon's exports.
napi_status registerBufferPool(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"alloc", nullptr, Alloc, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"pooledBytes", nullptr, PooledBytes, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"release", nullptr, Release, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"keepFreedMemory", nullptr, KeepFreedMemory, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}
