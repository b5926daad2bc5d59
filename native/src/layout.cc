// Layout kernels of the tfjs `native` backend: one strided copy that serves Transpose, Reverse
// and Slice (the cpu backend computes every source index element by element in JS).
#include <node_api.h>

#include "napi-util.h"

#include <cstdint>
#include <cstring>

namespace {

using namespace jointshot;

constexpr size_t kParallelMin = 1 << 15;
constexpr size_t kMaxRank = 8;

// stridedCopy(x, out, shape (Int32Array), strides (Int32Array), offset): out, row-major over
// `shape`, gets out[i0..ik] = x[offset + sum_d i_d * strides[d]] (strides in elements, may be
// negative). Every source index must lie inside x (checked).
napi_value StridedCopy(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 5)) return nullptr;
  size_t nx, nout, rank, nstrides;
  const float* x = f32(env, args.values[0], &nx);
  float* out = f32(env, args.values[1], &nout);
  const int32_t* shape = i32(env, args.values[2], &rank);
  const int32_t* strides = i32(env, args.values[3], &nstrides);
  if (!x || !out || !shape || !strides) return nullptr;
  const long long offset = static_cast<long long>(number(env, args.values[4]));
  if (rank == 0 || rank > kMaxRank || nstrides != rank) return rangeError(env, "jointshot native: stridedCopy rank");
  size_t total = 1;
  long long lowest = offset, highest = offset;
  for (size_t d = 0; d < rank; d++) {
    if (shape[d] <= 0) return rangeError(env, "jointshot native: stridedCopy needs positive sizes");
    total *= static_cast<size_t>(shape[d]);
    const long long span = static_cast<long long>(shape[d] - 1) * strides[d];
    (span < 0 ? lowest : highest) += span;
  }
  if (total != nout || lowest < 0 || highest >= static_cast<long long>(nx))
    return rangeError(env, "jointshot native: stridedCopy out of bounds");
  const size_t inner = static_cast<size_t>(shape[rank - 1]);
  const long long innerStride = strides[rank - 1];
  const long long rows = static_cast<long long>(total / inner);
#pragma omp parallel for if (total >= kParallelMin) schedule(static)
  for (long long r = 0; r < rows; r++) {
    long long rest = r, source = offset;
    for (long long d = static_cast<long long>(rank) - 2; d >= 0; d--) {
      source += (rest % shape[d]) * strides[d];
      rest /= shape[d];
    }
    float* dst = out + r * static_cast<long long>(inner);
    if (innerStride == 1) {
      std::memcpy(dst, x + source, inner * sizeof(float));
    } else {
      for (size_t j = 0; j < inner; j++) dst[j] = x[source + static_cast<long long>(j) * innerStride];
    }
  }
  return nothing(env);
}

}  // namespace

// Adds stridedCopy to the addon's exports.
napi_status registerLayout(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"stridedCopy", nullptr, StridedCopy, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}
