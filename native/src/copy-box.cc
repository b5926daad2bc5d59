// Box copies of the tfjs `native` backend's Slice and PadV2 (src/backend/native/kernels/slice-pad.ts):
// a box of one row-major array copied into another, one memcpy per run of the trailing dimensions
// both arrays hold whole, and (PadV2) the rest of the destination filled. In JS each run was one
// TypedArray.set call; the CIFAR ResNets' option-A shortcut slices runs of 16-64 floats, 20,000+
// of them per call.
#include <node_api.h>

#include "napi-util.h"

#include <cstdint>
#include <cstring>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using namespace jointshot;

// Below this many written elements the copy stays on one thread (thread start-up costs more).
constexpr size_t kParallelMin = 1 << 15;
constexpr size_t kMaxRank = 8;

// This thread's share [lo, hi) of n items (the whole range outside a parallel region or without OpenMP).
inline void threadShare(size_t n, size_t* lo, size_t* hi) {
#ifdef _OPENMP
  const size_t t = static_cast<size_t>(omp_get_thread_num()), count = static_cast<size_t>(omp_get_num_threads());
#else
  const size_t t = 0, count = 1;
#endif
  *lo = n * t / count;
  *hi = n * (t + 1) / count;
}

// The copy, checked and collapsed: rows over dimensions [0, inner), a row being dimensions
// [inner, rank) of the destination (fill) or of the box (no fill).
struct Plan {
  size_t inner = 0;
  size_t extent[kMaxRank] = {};      // rows per dimension d < inner
  long long srcStride[kMaxRank] = {};
  long long dstStride[kMaxRank] = {};
  long long srcBegin[kMaxRank] = {};
  long long dstBegin[kMaxRank] = {};
  long long size[kMaxRank] = {};
  size_t rows = 1;
  size_t run = 0;       // elements copied per row
  size_t rowLength = 0; // destination elements per row (fill mode)
  size_t lead = 0;      // offset of the run in a destination row (fill mode)
};

template <typename T>
void copyRows(const T* src, T* dst, const Plan& p, bool fill, T value) {
  const size_t written = fill ? p.rows * p.rowLength : p.rows * p.run;
#pragma omp parallel if (written >= kParallelMin)
  {
    size_t lo, hi;
    threadShare(p.rows, &lo, &hi);
    if (lo < hi) {
      size_t index[kMaxRank] = {};
      size_t rest = lo;
      for (size_t d = p.inner; d-- > 0;) {
        index[d] = rest % p.extent[d];
        rest /= p.extent[d];
      }
      for (size_t r = lo; r < hi; r++) {
        bool inside = true;
        long long s = p.srcBegin[p.inner] * p.srcStride[p.inner];
        long long o = fill ? 0 : p.dstBegin[p.inner] * p.dstStride[p.inner];
        for (size_t d = 0; d < p.inner; d++) {
          const long long i = static_cast<long long>(index[d]);
          if (fill) {
            // Destination row coordinates: inside the box when begin <= i < begin + size.
            const long long b = i - p.dstBegin[d];
            inside = inside && b >= 0 && b < p.size[d];
            s += (p.srcBegin[d] + b) * p.srcStride[d];
            o += i * p.dstStride[d];
          } else {
            s += (p.srcBegin[d] + i) * p.srcStride[d];
            o += (p.dstBegin[d] + i) * p.dstStride[d];
          }
        }
        if (!fill) {
          std::memcpy(dst + o, src + s, p.run * sizeof(T));
        } else if (!inside || p.run == 0) {
          T* row = dst + o;
          for (size_t j = 0; j < p.rowLength; j++) row[j] = value;
        } else {
          T* row = dst + o;
          for (size_t j = 0; j < p.lead; j++) row[j] = value;
          std::memcpy(row + p.lead, src + s, p.run * sizeof(T));
          for (size_t j = p.lead + p.run; j < p.rowLength; j++) row[j] = value;
        }
        for (size_t d = p.inner; d-- > 0;) {
          if (++index[d] < p.extent[d]) break;
          index[d] = 0;
        }
      }
    }
  }
}

// Reads an Int32Array argument of `rank` entries (rank taken from the first one when 0).
const int32_t* dims(napi_env env, napi_value v, size_t* rank) {
  size_t n = 0;
  const int32_t* out = i32(env, v, &n);
  if (!out) return nullptr;
  if (*rank == 0) *rank = n;
  if (n != *rank || n == 0 || n > kMaxRank) {
    napi_throw_range_error(env, nullptr, "jointshot native: copyBox rank");
    return nullptr;
  }
  return out;
}

// copyBox(src, dst, srcShape, srcBegin, dstShape, dstBegin, size, fill?): the box `size` at
// `srcBegin` of src (row-major, shape srcShape) written at `dstBegin` of dst (shape dstShape);
// with a numeric `fill`, every other element of dst is set to it. src and dst are both
// Float32Arrays or both Int32Arrays (fill then an integer) and must not overlap; shapes as
// Int32Arrays of one rank (1-8). Out-of-bounds boxes are RangeErrors.
napi_value CopyBox(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 7)) return nullptr;
  bool isTyped = false;
  napi_is_typedarray(env, args.values[0], &isTyped);
  if (!isTyped) return rangeError(env, "jointshot native: copyBox needs typed arrays");
  napi_typedarray_type type;
  size_t ignored, offset;
  void* ignoredData;
  napi_value buffer;
  napi_get_typedarray_info(env, args.values[0], &type, &ignored, &ignoredData, &buffer, &offset);
  if (type != napi_float32_array && type != napi_int32_array)
    return rangeError(env, "jointshot native: copyBox copies Float32Arrays or Int32Arrays");
  // An empty typed array may have no data pointer: null is an error only with an exception pending.
  bool pending = false;
  size_t nsrc = 0, ndst = 0;
  void* src = typedArray(env, args.values[0], type, &nsrc);
  napi_is_exception_pending(env, &pending);
  void* dst = pending ? nullptr : typedArray(env, args.values[1], type, &ndst);
  if (!pending) napi_is_exception_pending(env, &pending);
  if (pending) return nullptr;
  size_t rank = 0;
  const int32_t* srcShape = dims(env, args.values[2], &rank);
  const int32_t* srcBegin = srcShape ? dims(env, args.values[3], &rank) : nullptr;
  const int32_t* dstShape = srcBegin ? dims(env, args.values[4], &rank) : nullptr;
  const int32_t* dstBegin = dstShape ? dims(env, args.values[5], &rank) : nullptr;
  const int32_t* size = dstBegin ? dims(env, args.values[6], &rank) : nullptr;
  if (!size) return nullptr;
  napi_valuetype fillType = napi_undefined;
  if (args.count > 7) napi_typeof(env, args.values[7], &fillType);
  const bool fill = fillType == napi_number;
  const double value = fill ? number(env, args.values[7]) : 0;

  size_t srcTotal = 1, dstTotal = 1, boxTotal = 1;
  for (size_t d = 0; d < rank; d++) {
    if (srcShape[d] < 0 || dstShape[d] < 0 || size[d] < 0 || srcBegin[d] < 0 || dstBegin[d] < 0 ||
        static_cast<long long>(srcBegin[d]) + size[d] > srcShape[d] ||
        static_cast<long long>(dstBegin[d]) + size[d] > dstShape[d])
      return rangeError(env, "jointshot native: copyBox box out of bounds");
    srcTotal *= static_cast<size_t>(srcShape[d]);
    dstTotal *= static_cast<size_t>(dstShape[d]);
    boxTotal *= static_cast<size_t>(size[d]);
  }
  if (srcTotal != nsrc || dstTotal != ndst) return rangeError(env, "jointshot native: copyBox shape and array sizes differ");
  if (dstTotal == 0 || (boxTotal == 0 && !fill)) return nothing(env);

  Plan p;
  // The run: the last dimension plus every trailing dimension both arrays and the box hold whole.
  p.inner = rank - 1;
  while (p.inner > 0 && size[p.inner] == srcShape[p.inner] && size[p.inner] == dstShape[p.inner]) p.inner--;
  long long ss = 1, ds = 1;
  for (size_t d = rank; d-- > 0;) {
    p.srcStride[d] = ss;
    p.dstStride[d] = ds;
    ss *= srcShape[d];
    ds *= dstShape[d];
    p.srcBegin[d] = srcBegin[d];
    p.dstBegin[d] = dstBegin[d];
    p.size[d] = size[d];
  }
  p.run = boxTotal == 0 ? 0 : static_cast<size_t>(size[p.inner] * p.srcStride[p.inner]);
  p.rowLength = static_cast<size_t>(dstShape[p.inner] * p.dstStride[p.inner]);
  p.lead = static_cast<size_t>(dstBegin[p.inner] * p.dstStride[p.inner]);
  for (size_t d = 0; d < p.inner; d++) {
    p.extent[d] = static_cast<size_t>(fill ? dstShape[d] : size[d]);
    p.rows *= p.extent[d];
  }
  if (type == napi_float32_array) {
    copyRows(static_cast<const float*>(src), static_cast<float*>(dst), p, fill, static_cast<float>(value));
  } else {
    if (fill && !(value >= -2147483648.0 && value <= 2147483647.0 && value == static_cast<double>(static_cast<int32_t>(value))))
      return rangeError(env, "jointshot native: copyBox int32 fill must be an int32");
    copyRows(static_cast<const int32_t*>(src), static_cast<int32_t*>(dst), p, fill, fill ? static_cast<int32_t>(value) : 0);
  }
  return nothing(env);
}

}  // namespace

// Adds copyBox to the addon's exports.
napi_status registerCopyBox(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"copyBox", nullptr, CopyBox, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}
