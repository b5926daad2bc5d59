// Element-wise kernels of the tfjs `native` backend, parallel with OpenMP. In a training step of
// the backbones, once convolutions run in oneDNN, the cpu backend's JS loops for batch norm,
// activations and their gradients take most of the time; these replace them.
// Broadcast modes of binary ops: 0 same size; 1 `b` repeats along `a` (a run of size-1 axes: see
// broadcastLoop); 2 `a` repeats along `b`.
#include <node_api.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "napi-util.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <vector>

namespace {

using namespace jointshot;

// Below this many elements a loop stays on one thread (thread start-up costs more).
constexpr size_t kParallelMin = 1 << 15;

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

// out[i] = f(a[ia], b[ib]) over `n` outputs. Mode 0: same size. Mode 1: out and a are
// [outer, group, period] and b is [outer, period], repeated along the middle (a trailing or scalar
// broadcast when outer is 1); mode 2: the same with a and b swapped. Each thread works on its own
// copy of `f`: read through the shared closure, captured values (an alpha) would be reloaded after
// every store (they might alias `out`) and the loop would not vectorise.
template <typename Out, typename F>
void broadcastLoop(const float* a, const float* b, Out* out, size_t n, int mode, size_t period, size_t group, F f) {
  const long long count = static_cast<long long>(n);
  const long long rows = count / static_cast<long long>(period);
#pragma omp parallel if (n >= kParallelMin)
  {
    const F g = f;
    if (mode == 0) {
#pragma omp for schedule(static)
      for (long long i = 0; i < count; i++) out[i] = g(a[i], b[i]);
    } else if (period == 1) {
      // One value of the small operand per run of `group` outputs (one run: a scalar): each
      // thread walks its share run by run, a flat loop per run.
      const float* small = mode == 1 ? b : a;
      const float* big = mode == 1 ? a : b;
      size_t lo, hi;
      threadShare(n, &lo, &hi);
      while (lo < hi) {
        const size_t run = lo / group;
        const size_t end = std::min(hi, (run + 1) * group);
        const float s = small[run];
        if (mode == 1) {
          for (size_t i = lo; i < end; i++) out[i] = g(big[i], s);
        } else {
          for (size_t i = lo; i < end; i++) out[i] = g(s, big[i]);
        }
        lo = end;
      }
    } else if (mode == 1) {
#pragma omp for schedule(static)
      for (long long r = 0; r < rows; r++) {
        const size_t base = r * period;
        const float* br = b + (r / group) * period;
        for (size_t j = 0; j < period; j++) out[base + j] = g(a[base + j], br[j]);
      }
    } else {
#pragma omp for schedule(static)
      for (long long r = 0; r < rows; r++) {
        const size_t base = r * period;
        const float* ar = a + (r / group) * period;
        for (size_t j = 0; j < period; j++) out[base + j] = g(ar[j], b[base + j]);
      }
    }
  }
}

// Reads `op(a, b, out, mode, period, group)` and runs `apply(op, a, b, out, n, mode, period, group)`;
// Out is float (arithmetic) or uint8_t (comparisons, a bool tensor's storage).
template <typename Out, typename Apply>
napi_value broadcastCall(napi_env env, napi_callback_info info, Apply apply) {
  Args args;
  if (!readArgs(env, info, args, 7)) return nullptr;
  size_t na, nb, nout;
  const int op = int32(env, args.values[0]);
  float* a = f32(env, args.values[1], &na);
  float* b = f32(env, args.values[2], &nb);
  Out* out = static_cast<Out*>(
      typedArray(env, args.values[3], sizeof(Out) == 1 ? napi_uint8_array : napi_float32_array, &nout));
  if (!a || !b || !out) return nullptr;
  const int mode = int32(env, args.values[4]);
  const size_t period = static_cast<size_t>(int32(env, args.values[5]));
  const size_t group = static_cast<size_t>(int32(env, args.values[6]));
  const size_t small = mode == 1 ? nb : na, big = mode == 1 ? na : nb;
  const bool fits = mode == 0 ? na == nout && nb == nout
                              : (mode == 1 || mode == 2) && period > 0 && group > 0 && big == nout &&
                                    nout % (period * group) == 0 && small == nout / group;
  if (!fits) return rangeError(env, "jointshot native: broadcast sizes do not fit");
  if (!apply(op, a, b, out, nout, mode, period, group)) return rangeError(env, "jointshot native: unknown operation");
  return nothing(env);
}

// binary(op, a, b, out, mode, period, group): op 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min, 6 squared difference.
napi_value Binary(napi_env env, napi_callback_info info) {
  return broadcastCall<float>(env, info, [](int op, float* a, float* b, float* out, size_t n, int mode, size_t period, size_t group) {
    switch (op) {
      case 0: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return x + y; }); return true;
      case 1: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return x - y; }); return true;
      case 2: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return x * y; }); return true;
      case 3: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return x / y; }); return true;
      case 4: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return std::isnan(x) || std::isnan(y) ? NAN : (x > y ? x : y); }); return true;
      case 5: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return std::isnan(x) || std::isnan(y) ? NAN : (x < y ? x : y); }); return true;
      case 6: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return (x - y) * (x - y); }); return true;
      default: return false;
    }
  });
}

// compare(op, a, b, out (Uint8Array), mode, period, group): op 0 ==, 1 !=, 2 >, 3 >=, 4 <, 5 <=.
napi_value Compare(napi_env env, napi_callback_info info) {
  return broadcastCall<uint8_t>(env, info, [](int op, float* a, float* b, uint8_t* out, size_t n, int mode, size_t period, size_t group) {
    switch (op) {
      case 0: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x == y; }); return true;
      case 1: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x != y; }); return true;
      case 2: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x > y; }); return true;
      case 3: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x >= y; }); return true;
      case 4: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x < y; }); return true;
      case 5: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x <= y; }); return true;
      default: return false;
    }
  });
}

// out[i] = f(x[i]), each thread with its own copy of `f` (see broadcastLoop).
template <typename F>
void unaryLoop(const float* x, float* out, size_t n, F f) {
  const long long count = static_cast<long long>(n);
#pragma omp parallel if (n >= kParallelMin)
  {
    const F g = f;
#pragma omp for schedule(static)
    for (long long i = 0; i < count; i++) out[i] = g(x[i]);
  }
}

// unary(op, x, out, alpha): op 0 relu, 1 leaky relu (alpha), 2 step (alpha below 0),
// 3 square, 4 neg, 5 rsqrt, 6 sqrt, 7 exp, 8 abs, 9 log, 10 sign (0 for 0 and NaN, as in tfjs), 11 floor.
napi_value Unary(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 4)) return nullptr;
  size_t nx, nout;
  const int op = int32(env, args.values[0]);
  float* x = f32(env, args.values[1], &nx);
  float* out = f32(env, args.values[2], &nout);
  if (!x || !out) return nullptr;
  if (nx != nout) return rangeError(env, "jointshot native: unary sizes differ");
  const float alpha = static_cast<float>(number(env, args.values[3]));
  switch (op) {
    // NaN passes through relu and leaky relu, as in tfjs.
    case 0: unaryLoop(x, out, nx, [](float v) { return v < 0 ? 0.0f : v; }); break;
    case 1: unaryLoop(x, out, nx, [alpha](float v) { return v < 0 ? alpha * v : v; }); break;
    case 2: unaryLoop(x, out, nx, [alpha](float v) { return std::isnan(v) ? NAN : (v > 0 ? 1.0f : alpha); }); break;
    case 3: unaryLoop(x, out, nx, [](float v) { return v * v; }); break;
    case 4: unaryLoop(x, out, nx, [](float v) { return -v; }); break;
    case 5: unaryLoop(x, out, nx, [](float v) { return 1.0f / std::sqrt(v); }); break;
    case 6: unaryLoop(x, out, nx, [](float v) { return std::sqrt(v); }); break;
    case 7: unaryLoop(x, out, nx, [](float v) { return std::exp(v); }); break;
    case 8: unaryLoop(x, out, nx, [](float v) { return std::fabs(v); }); break;
    case 9: unaryLoop(x, out, nx, [](float v) { return std::log(v); }); break;
    case 10: unaryLoop(x, out, nx, [](float v) { return v < 0 ? -1.0f : (v > 0 ? 1.0f : 0.0f); }); break;
    case 11: unaryLoop(x, out, nx, [](float v) { return std::floor(v); }); break;
    default: return rangeError(env, "jointshot native: unknown unary op");
  }
  return nothing(env);
}

// Columns summed together per task of reduceLoop (their float64 partial sums stay in L1).
constexpr size_t kColumnBlock = 512;

// out[o * inner + j] = scale * sum_r x[(o * reduced + r) * inner + j]. Many (outer, column block)
// tasks: one thread each. Few (a sum over leading axes into a short row, or a whole sum): the
// rows are split among the threads, each with its own partial sums, added up at the end.
void reduceLoop(const float* x, float* out, size_t outer, size_t reduced, size_t inner, double scale) {
  const size_t n = outer * reduced * inner;
  if (outer * inner == 0) return;
  const size_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  const long long tasks = static_cast<long long>(outer * blocks);
#ifdef _OPENMP
  const long long threads = omp_get_max_threads();
#else
  const long long threads = 1;
#endif
  if (tasks >= 4 * threads || n < kParallelMin) {
#pragma omp parallel if (n >= kParallelMin)
    {
      std::vector<double> acc(std::min(inner, kColumnBlock));
#pragma omp for schedule(static)
      for (long long t = 0; t < tasks; t++) {
        const size_t o = t / blocks, j0 = (t % blocks) * kColumnBlock, width = std::min(inner - j0, kColumnBlock);
        const float* base = x + o * reduced * inner + j0;
        float* target = out + o * inner + j0;
        if (width == 1) {
          double s = 0;
#pragma omp simd reduction(+ : s)
          for (size_t r = 0; r < reduced; r++) s += base[r * inner];
          target[0] = static_cast<float>(s * scale);
          continue;
        }
        std::fill(acc.begin(), acc.begin() + width, 0.0);
        for (size_t r = 0; r < reduced; r++) {
          const float* row = base + r * inner;
          for (size_t j = 0; j < width; j++) acc[j] += row[j];
        }
        for (size_t j = 0; j < width; j++) target[j] = static_cast<float>(acc[j] * scale);
      }
    }
    return;
  }
  if (inner == 1) {
    // A few whole sums of `reduced` contiguous values: each split among the threads.
    for (size_t o = 0; o < outer; o++) {
      const float* base = x + o * reduced;
      const long long count = static_cast<long long>(reduced);
      double s = 0;
#pragma omp parallel for simd reduction(+ : s) schedule(static)
      for (long long r = 0; r < count; r++) s += base[r];
      out[o] = static_cast<float>(s * scale);
    }
    return;
  }
  const size_t kept = outer * inner;
  std::vector<double> total(kept, 0.0);
  const long long rows = static_cast<long long>(outer * reduced);
#pragma omp parallel
  {
    std::vector<double> part(kept, 0.0);
#pragma omp for schedule(static)
    for (long long q = 0; q < rows; q++) {
      const float* row = x + q * inner;
      double* acc = part.data() + (q / reduced) * inner;
      for (size_t j = 0; j < inner; j++) acc[j] += row[j];
    }
#pragma omp critical
    for (size_t k = 0; k < kept; k++) total[k] += part[k];
  }
  for (size_t k = 0; k < kept; k++) out[k] = static_cast<float>(total[k] * scale);
}

// select(condition (Uint8Array), a, b, out): out = condition ? a : b, all the same size.
napi_value Select(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 4)) return nullptr;
  size_t nc, na, nb, nout;
  uint8_t* c = u8(env, args.values[0], &nc);
  float* a = f32(env, args.values[1], &na);
  float* b = f32(env, args.values[2], &nb);
  float* out = f32(env, args.values[3], &nout);
  if (!c || !a || !b || !out) return nullptr;
  if (nc != nout || na != nout || nb != nout) return rangeError(env, "jointshot native: select sizes differ");
  const long long count = static_cast<long long>(nout);
#pragma omp parallel for if (nout >= kParallelMin) schedule(static)
  for (long long i = 0; i < count; i++) out[i] = c[i] ? a[i] : b[i];
  return nothing(env);
}

// out[i] = f(x[i]) for a cast between storage types.
template <typename In, typename Out, typename F>
void convertLoop(const In* x, Out* out, size_t n, F f) {
  const long long count = static_cast<long long>(n);
#pragma omp parallel for if (n >= kParallelMin) schedule(static)
  for (long long i = 0; i < count; i++) out[i] = f(x[i]);
}

// convert(x (Uint8Array bool, Int32Array or Float32Array), out (Float32Array, or Uint8Array for
// bool)): tfjs's Cast between different storage types; to bool is `x != 0` (NaN is true).
napi_value Convert(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 2)) return nullptr;
  napi_typedarray_type inType, outType;
  size_t nx, nout, offset;
  void *x, *out;
  napi_value buffer;
  bool isTyped = false, outTyped = false;
  napi_is_typedarray(env, args.values[0], &isTyped);
  napi_is_typedarray(env, args.values[1], &outTyped);
  if (!isTyped || !outTyped) {
    napi_throw_type_error(env, nullptr, "jointshot native: convert expects typed arrays");
    return nullptr;
  }
  napi_get_typedarray_info(env, args.values[0], &inType, &nx, &x, &buffer, &offset);
  napi_get_typedarray_info(env, args.values[1], &outType, &nout, &out, &buffer, &offset);
  if (nx != nout) return rangeError(env, "jointshot native: cast sizes differ");
  auto toFloat = [](auto v) { return static_cast<float>(v); };
  auto toBool = [](auto v) -> uint8_t { return v != 0; };
  if (outType == napi_float32_array && inType == napi_uint8_array) {
    convertLoop(static_cast<const uint8_t*>(x), static_cast<float*>(out), nx, toFloat);
  } else if (outType == napi_float32_array && inType == napi_int32_array) {
    convertLoop(static_cast<const int32_t*>(x), static_cast<float*>(out), nx, toFloat);
  } else if (outType == napi_uint8_array && inType == napi_float32_array) {
    // NaN != 0 holds, so NaN casts to true as in tfjs.
    convertLoop(static_cast<const float*>(x), static_cast<uint8_t*>(out), nx, toBool);
  } else if (outType == napi_uint8_array && inType == napi_int32_array) {
    convertLoop(static_cast<const int32_t*>(x), static_cast<uint8_t*>(out), nx, toBool);
  } else {
    return rangeError(env, "jointshot native: unsupported cast");
  }
  return nothing(env);
}

// reduce(x, out, outer, reduced, inner, scale): out[o, j] = scale * sum over r of x[o, r, j], x
// viewed as [outer, reduced, inner] (Sum and Mean over one run of axes), float64 accumulation.
napi_value Reduce(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 6)) return nullptr;
  size_t nx, nout;
  float* x = f32(env, args.values[0], &nx);
  float* out = f32(env, args.values[1], &nout);
  if (!x || !out) return nullptr;
  const size_t outer = static_cast<size_t>(int32(env, args.values[2]));
  const size_t reduced = static_cast<size_t>(int32(env, args.values[3]));
  const size_t inner = static_cast<size_t>(int32(env, args.values[4]));
  const double scale = number(env, args.values[5]);
  if (nx != outer * reduced * inner || nout != outer * inner) return rangeError(env, "jointshot native: reduce sizes do not fit");
  reduceLoop(x, out, outer, reduced, inner, scale);
  return nothing(env);
}

// batchNorm(x, mean, variance, offset, scale, out, epsilon, channels): tfjs's FusedBatchNorm,
// out = (x - mean) * scale / sqrt(variance + epsilon) + offset, each parameter of length
// `channels` (the last dimension) or 1.
napi_value BatchNorm(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 8)) return nullptr;
  size_t nx, nm, nv, no, ns, nout;
  float* x = f32(env, args.values[0], &nx);
  float* mean = f32(env, args.values[1], &nm);
  float* variance = f32(env, args.values[2], &nv);
  float* offset = f32(env, args.values[3], &no);
  float* scale = f32(env, args.values[4], &ns);
  float* out = f32(env, args.values[5], &nout);
  if (!x || !mean || !variance || !offset || !scale || !out) return nullptr;
  const float eps = static_cast<float>(number(env, args.values[6]));
  const size_t c = static_cast<size_t>(int32(env, args.values[7]));
  auto fits = [c](size_t n) { return n == c || n == 1; };
  if (c == 0 || nx != nout || nx % c != 0 || !fits(nm) || !fits(nv) || !fits(no) || !fits(ns))
    return rangeError(env, "jointshot native: batch norm sizes do not fit");
  float* k = new float[c];
  float* m = new float[c];
  float* o = new float[c];
  for (size_t j = 0; j < c; j++) {
    k[j] = scale[ns == 1 ? 0 : j] / std::sqrt(variance[nv == 1 ? 0 : j] + eps);
    m[j] = mean[nm == 1 ? 0 : j];
    o[j] = offset[no == 1 ? 0 : j];
  }
  const long long rows = static_cast<long long>(nx / c);
#pragma omp parallel for if (nx >= kParallelMin) schedule(static)
  for (long long r = 0; r < rows; r++) {
    const float* xr = x + r * c;
    float* yr = out + r * c;
    for (size_t j = 0; j < c; j++) yr[j] = (xr[j] - m[j]) * k[j] + o[j];
  }
  delete[] k;
  delete[] m;
  delete[] o;
  return nothing(env);
}

// addN(inputs (array of Float32Array), out): the element-wise sum of same-size arrays.
napi_value AddN(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 2)) return nullptr;
  uint32_t count = 0;
  napi_get_array_length(env, args.values[0], &count);
  size_t nout;
  float* out = f32(env, args.values[1], &nout);
  if (!out || count == 0) return out ? rangeError(env, "jointshot native: addN of nothing") : nullptr;
  float** inputs = new float*[count];
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, args.values[0], i, &item);
    size_t n;
    inputs[i] = f32(env, item, &n);
    if (!inputs[i] || n != nout) {
      const bool wrongSize = inputs[i] != nullptr;
      delete[] inputs;
      return wrongSize ? rangeError(env, "jointshot native: addN sizes differ") : nullptr;
    }
  }
  const long long total = static_cast<long long>(nout);
#pragma omp parallel for if (nout >= kParallelMin) schedule(static)
  for (long long i = 0; i < total; i++) {
    float s = inputs[0][i];
    for (uint32_t j = 1; j < count; j++) s += inputs[j][i];
    out[i] = s;
  }
  delete[] inputs;
  return nothing(env);
}

// upsampleNearest(x, out, N, H, W, C, fh, fw): NHWC nearest-neighbour upsampling by the integer
// factors fh, fw (tfjs's ResizeNearestNeighbor without align-corners/half-pixel for exact multiples).
napi_value UpsampleNearest(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 8)) return nullptr;
  size_t nx, nout;
  float* x = f32(env, args.values[0], &nx);
  float* out = f32(env, args.values[1], &nout);
  if (!x || !out) return nullptr;
  const long long n = int32(env, args.values[2]), h = int32(env, args.values[3]);
  const size_t w = int32(env, args.values[4]), c = int32(env, args.values[5]);
  const long long fh = int32(env, args.values[6]);
  const size_t fw = int32(env, args.values[7]);
  if (nx != n * h * w * c || nout != nx * fh * fw) return rangeError(env, "jointshot native: upsample sizes do not fit");
  const size_t outRow = w * fw * c;
#pragma omp parallel for if (nout >= kParallelMin) schedule(static)
  for (long long r = 0; r < n * h * fh; r++) {
    const long long image = r / (h * fh), row = (r % (h * fh)) / fh;
    const float* src = x + (image * h + row) * w * c;
    float* dst = out + r * outRow;
    for (size_t col = 0; col < w * fw; col++) std::memcpy(dst + col * c, src + (col / fw) * c, c * sizeof(float));
  }
  return nothing(env);
}

}  // namespace

// Adds the element-wise functions to the addon's exports.
napi_status registerElementwise(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"compare", nullptr, Compare, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"select", nullptr, Select, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"convert", nullptr, Convert, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNorm", nullptr, BatchNorm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"addN", nullptr, AddN, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"upsampleNearest", nullptr, UpsampleNearest, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}

namespace {

// Per-channel sums of a [rows, c] array (and of its products with a second one when `y` is
// given), float64 accumulation, one partial per thread.
void channelSums(const float* x, const float* y, size_t rows, size_t c, double* sum, double* sumProduct) {
  std::fill(sum, sum + c, 0.0);
  std::fill(sumProduct, sumProduct + c, 0.0);
  const long long count = static_cast<long long>(rows);
#pragma omp parallel if (rows * c >= kParallelMin)
  {
    std::vector<double> s(c, 0.0), p(c, 0.0);
#pragma omp for schedule(static) nowait
    for (long long r = 0; r < count; r++) {
      const float* xr = x + r * c;
      const float* yr = y ? y + r * c : xr;
      for (size_t j = 0; j < c; j++) {
        s[j] += xr[j];
        p[j] += static_cast<double>(xr[j]) * yr[j];
      }
    }
#pragma omp critical
    for (size_t j = 0; j < c; j++) {
      sum[j] += s[j];
      sumProduct[j] += p[j];
    }
  }
}

// batchNormTrainForward(x, gamma, beta, y, mean, variance, channels, epsilon): training-mode batch
// norm over all rows of x [rows, channels] in two passes; mean and biased variance are outputs.
napi_value BatchNormTrainForward(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 8)) return nullptr;
  size_t nx, ng, nb, ny, nm, nv;
  float* x = f32(env, args.values[0], &nx);
  float* gamma = f32(env, args.values[1], &ng);
  float* beta = f32(env, args.values[2], &nb);
  float* y = f32(env, args.values[3], &ny);
  float* mean = f32(env, args.values[4], &nm);
  float* variance = f32(env, args.values[5], &nv);
  if (!x || !gamma || !beta || !y || !mean || !variance) return nullptr;
  const size_t c = static_cast<size_t>(int32(env, args.values[6]));
  const double eps = number(env, args.values[7]);
  if (c == 0 || nx % c != 0 || nx == 0 || ny != nx || ng != c || nb != c || nm != c || nv != c)
    return rangeError(env, "jointshot native: batch norm sizes do not fit");
  const size_t rows = nx / c;
  std::vector<double> sum(c), sumSquares(c);
  channelSums(x, nullptr, rows, c, sum.data(), sumSquares.data());
  std::vector<float> k(c), shift(c);
  for (size_t j = 0; j < c; j++) {
    const double m = sum[j] / rows;
    const double var = std::max(0.0, sumSquares[j] / rows - m * m);
    mean[j] = static_cast<float>(m);
    variance[j] = static_cast<float>(var);
    k[j] = static_cast<float>(gamma[j] / std::sqrt(var + eps));
    shift[j] = static_cast<float>(beta[j] - m * gamma[j] / std::sqrt(var + eps));
  }
  const long long count = static_cast<long long>(rows);
#pragma omp parallel for if (nx >= kParallelMin) schedule(static)
  for (long long r = 0; r < count; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    for (size_t j = 0; j < c; j++) yr[j] = xr[j] * k[j] + shift[j];
  }
  return nothing(env);
}

// batchNormTrainBackward(x, dy, gamma, mean, variance, dx, dgamma, dbeta, channels, epsilon): the
// gradient of the forward above (batch statistics included) in two passes:
// dx = gamma / std * (dy - dbeta / M - xhat * dgamma / M), dgamma = sum(dy * xhat), dbeta = sum(dy).
napi_value BatchNormTrainBackward(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 10)) return nullptr;
  size_t nx, ndy, ng, nm, nv, ndx, ndg, ndb;
  float* x = f32(env, args.values[0], &nx);
  float* dy = f32(env, args.values[1], &ndy);
  float* gamma = f32(env, args.values[2], &ng);
  float* mean = f32(env, args.values[3], &nm);
  float* variance = f32(env, args.values[4], &nv);
  float* dx = f32(env, args.values[5], &ndx);
  float* dgamma = f32(env, args.values[6], &ndg);
  float* dbeta = f32(env, args.values[7], &ndb);
  if (!x || !dy || !gamma || !mean || !variance || !dx || !dgamma || !dbeta) return nullptr;
  const size_t c = static_cast<size_t>(int32(env, args.values[8]));
  const double eps = number(env, args.values[9]);
  if (c == 0 || nx % c != 0 || nx == 0 || ndy != nx || ndx != nx || ng != c || nm != c || nv != c || ndg != c || ndb != c)
    return rangeError(env, "jointshot native: batch norm gradient sizes do not fit");
  const size_t rows = nx / c;
  std::vector<double> sumDy(c), sumDyX(c);
  channelSums(dy, x, rows, c, sumDy.data(), sumDyX.data());
  // dx = a * dy + b * x + d per channel.
  std::vector<float> a(c), b(c), d(c);
  for (size_t j = 0; j < c; j++) {
    const double invStd = 1.0 / std::sqrt(static_cast<double>(variance[j]) + eps);
    const double g = (sumDyX[j] - mean[j] * sumDy[j]) * invStd;  // dgamma = sum(dy * xhat)
    dgamma[j] = static_cast<float>(g);
    dbeta[j] = static_cast<float>(sumDy[j]);
    const double k = gamma[j] * invStd;
    a[j] = static_cast<float>(k);
    b[j] = static_cast<float>(-k * g * invStd / rows);
    d[j] = static_cast<float>(-k * sumDy[j] / rows + k * g * invStd * mean[j] / rows);
  }
  const long long count = static_cast<long long>(rows);
#pragma omp parallel for if (nx >= kParallelMin) schedule(static)
  for (long long r = 0; r < count; r++) {
    const float* xr = x + r * c;
    const float* dyr = dy + r * c;
    float* dxr = dx + r * c;
    for (size_t j = 0; j < c; j++) dxr[j] = a[j] * dyr[j] + b[j] * xr[j] + d[j];
  }
  return nothing(env);
}

}  // namespace

// Adds the fused batch-norm functions to the addon's exports.
napi_status registerBatchNorm(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"batchNormTrainForward", nullptr, BatchNormTrainForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormTrainBackward", nullptr, BatchNormTrainBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}
