// Output buffers of the native kernels: Float32Array / Uint8Array views over external
// ArrayBuffers whose memory comes from a size-keyed free list. A training step allocates and
// drops the same large sizes over and over; V8-allocated buffers there cost page faults and
// external-memory-pressure garbage collections, recycled ones cost neither. The memory returns
// to the list when V8 collects the buffer; the list keeps at most kMaxCachedBytes.
#include <node_api.h>

#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "napi-util.h"

namespace {

using namespace jointshot;

constexpr size_t kMaxCachedBytes = size_t(1) << 30;
constexpr size_t kAlignment = 64;

std::unordered_map<size_t, std::vector<void*>> freeLists;
size_t cachedBytes = 0;

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
  return std::aligned_alloc(kAlignment, size);
}

void returnBlock(napi_env, void* block, void* hint) {
  const size_t size = reinterpret_cast<size_t>(hint);
  if (cachedBytes + size > kMaxCachedBytes) {
    std::free(block);
    return;
  }
  freeLists[size].push_back(block);
  cachedBytes += size;
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
  if (napi_create_external_arraybuffer(env, block, bytes, returnBlock, reinterpret_cast<void*>(size), &buffer) != napi_ok) {
    std::free(block);
    napi_throw_error(env, nullptr, "jointshot native: could not create an external ArrayBuffer");
    return nullptr;
  }
  napi_create_typedarray(env, kind == 0 ? napi_float32_array : napi_uint8_array, count, buffer, 0, &view);
  return view;
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
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}
