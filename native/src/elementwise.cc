// Element-wise kernels of the tfjs `native` backend: the Node-API side (arguments and checks).
// The loops are in kernels.cc, compiled once per instruction set; the widest table the CPU runs
// is picked when the addon loads (JOINTSHOT_NATIVE_ISA=baseline|avx2|avx512 caps it; `isa()`
// reads and sets it). In a training step of the backbones, once convolutions ran in oneDNN, the
// cpu backend's JS loops for batch norm, activations and their gradients took most of the time;
// these replace them.
#include <node_api.h>

#include "kernels.h"
#include "napi-util.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <vector>

namespace {

using namespace jointshot;

// Below this many elements a loop stays on one thread (thread start-up costs more).
constexpr size_t kParallelMin = 1 << 15;

// A kernel table this build has, and whether this CPU runs it.
struct Variant {
  const ElementwiseKernels* table;
  bool runs;
};

// The tables of this build, narrowest first.
std::vector<Variant> variants() {
  std::vector<Variant> out{{&kElementwise_baseline, true}};
#if defined(JOINTSHOT_X86_VARIANTS)
  __builtin_cpu_init();
  // x86-64-v3 and -v4 as far as the compiler uses them (kernels.cc has no F16C, MOVBE or LZCNT code).
  const bool avx2 = __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                    __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
  const bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
                      __builtin_cpu_supports("avx512vl");
  out.push_back({&kElementwise_avx2, avx2});
  out.push_back({&kElementwise_avx512, avx512});
#endif
  return out;
}

// The widest table this CPU runs, no wider than JOINTSHOT_NATIVE_ISA's when that names one.
const ElementwiseKernels* widest() {
  const char* cap = std::getenv("JOINTSHOT_NATIVE_ISA");
  const ElementwiseKernels* best = &kElementwise_baseline;
  for (const Variant& v : variants()) {
    if (v.runs) best = v.table;
    if (cap && std::strcmp(cap, v.table->name) == 0) break;
  }
  return best;
}

const ElementwiseKernels* active = widest();

// isa([name]): switches to table `name` when given (a RangeError unless this build has it and
// this CPU runs it); returns { active, available } (the names this CPU runs, narrowest first).
napi_value Isa(napi_env env, napi_callback_info info) {
  Args args;
  napi_get_cb_info(env, info, &args.count, args.values, nullptr, nullptr);
  const std::vector<Variant> all = variants();
  napi_valuetype type = napi_undefined;
  if (args.count > 0) napi_typeof(env, args.values[0], &type);
  if (type == napi_string) {
    char name[32] = {0};
    size_t length = 0;
    napi_get_value_string_utf8(env, args.values[0], name, sizeof(name), &length);
    const auto found = std::find_if(all.begin(), all.end(), [&](const Variant& v) { return v.runs && std::strcmp(v.table->name, name) == 0; });
    if (found == all.end()) return rangeError(env, "jointshot native: unknown instruction set, or one this CPU does not run");
    active = found->table;
  }
  napi_value result, available, value;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, active->name, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, result, "active", value);
  napi_create_array(env, &available);
  uint32_t index = 0;
  for (const Variant& v : all) {
    if (!v.runs) continue;
    napi_create_string_utf8(env, v.table->name, NAPI_AUTO_LENGTH, &value);
    napi_set_element(env, available, index++, value);
  }
  napi_set_named_property(env, result, "available", available);
  return result;
}

// Reads `op(a, b, out, mode, period, group)` (modes: kernels.h) and runs the table's binary or
// compare; Out is float (arithmetic) or uint8_t (comparisons, a bool tensor's storage).
template <typename Out>
napi_value broadcastCall(napi_env env, napi_callback_info info) {
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
  bool known;
  if constexpr (sizeof(Out) == 1) {
    known = active->compare(op, a, b, out, nout, mode, period, group);
  } else {
    known = active->binary(op, a, b, out, nout, mode, period, group);
  }
  if (!known) return rangeError(env, "jointshot native: unknown operation");
  return nothing(env);
}

// binary(op, a, b, out, mode, period, group): op 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min, 6 squared difference.
napi_value Binary(napi_env env, napi_callback_info info) { return broadcastCall<float>(env, info); }

// compare(op, a, b, out (Uint8Array), mode, period, group): op 0 ==, 1 !=, 2 >, 3 >=, 4 <, 5 <=.
napi_value Compare(napi_env env, napi_callback_info info) { return broadcastCall<uint8_t>(env, info); }

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
  if (!active->unary(op, x, out, nx, alpha)) return rangeError(env, "jointshot native: unknown unary op");
  return nothing(env);
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
  active->select(c, a, b, out, nout);
  return nothing(env);
}

// convert(x (Uint8Array bool, Int32Array or Float32Array), out (Float32Array, or Uint8Array for
// bool)): tfjs's Cast between different storage types; to bool is `x != 0` (NaN is true).
napi_value Convert(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 2)) return nullptr;
  bool inTyped = false, outTyped = false;
  napi_is_typedarray(env, args.values[0], &inTyped);
  napi_is_typedarray(env, args.values[1], &outTyped);
  if (!inTyped || !outTyped) {
    napi_throw_type_error(env, nullptr, "jointshot native: convert expects typed arrays");
    return nullptr;
  }
  napi_typedarray_type inType, outType;
  size_t nx, nout, offset;
  void *x, *out;
  napi_value buffer;
  napi_get_typedarray_info(env, args.values[0], &inType, &nx, &x, &buffer, &offset);
  napi_get_typedarray_info(env, args.values[1], &outType, &nout, &out, &buffer, &offset);
  if (nx != nout) return rangeError(env, "jointshot native: cast sizes differ");
  const auto kind = [](napi_typedarray_type t) {
    return t == napi_uint8_array ? kUint8 : t == napi_int32_array ? kInt32 : t == napi_float32_array ? kFloat32 : kOther;
  };
  if (!active->convert(kind(inType), kind(outType), x, out, nx)) return rangeError(env, "jointshot native: unsupported cast");
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
  active->reduce(x, out, outer, reduced, inner, scale);
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
  std::vector<float> k(c), m(c), o(c);
  for (size_t j = 0; j < c; j++) {
    k[j] = scale[ns == 1 ? 0 : j] / std::sqrt(variance[nv == 1 ? 0 : j] + eps);
    m[j] = mean[nm == 1 ? 0 : j];
    o[j] = offset[no == 1 ? 0 : j];
  }
  active->batchNorm(x, m.data(), k.data(), o.data(), out, nx / c, c);
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
  std::vector<const float*> inputs(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value item;
    napi_get_element(env, args.values[0], i, &item);
    size_t n;
    inputs[i] = f32(env, item, &n);
    if (!inputs[i]) return nullptr;
    if (n != nout) return rangeError(env, "jointshot native: addN sizes differ");
  }
  active->addN(inputs.data(), count, out, nout);
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

// Up to 16 arguments (napi-util's Args holds 10).
struct LongArgs {
  size_t count = 16;
  napi_value values[16];
};

// Reads the call's arguments; false (with a JS TypeError pending) when fewer than `expected`.
bool readLongArgs(napi_env env, napi_callback_info info, LongArgs& args, size_t expected) {
  napi_get_cb_info(env, info, &args.count, args.values, nullptr, nullptr);
  if (args.count < expected) {
    napi_throw_type_error(env, nullptr, "jointshot native: too few arguments");
    return false;
  }
  return true;
}

// Whether optional argument i is absent, null or undefined.
bool absent(napi_env env, const LongArgs& args, size_t i) {
  if (i >= args.count) return true;
  napi_valuetype type;
  napi_typeof(env, args.values[i], &type);
  return type == napi_null || type == napi_undefined;
}

// The optional activation arguments (act at i, slope at i + 1): act 0 none, 1 relu, 2 leaky relu
// with slope > 0; false (with a JS RangeError pending) otherwise.
bool readActivation(napi_env env, const LongArgs& args, size_t i, int* act, float* slope) {
  *act = absent(env, args, i) ? 0 : int32(env, args.values[i]);
  *slope = absent(env, args, i + 1) ? 0.0f : static_cast<float>(number(env, args.values[i + 1]));
  if (*act < 0 || *act > 2 || (*act == 2 && !(*slope > 0))) {
    rangeError(env, "jointshot native: batch norm activation must be 0 (none), 1 (relu) or 2 (leaky relu, slope > 0)");
    return false;
  }
  return true;
}

// batchNormTrainForward(x, gamma, beta, y, mean, variance, channels, epsilon[, residual, act,
// slope]): training-mode batch norm over all rows of x [rows, channels] in two passes, mean and
// biased variance are outputs; y = act(bn(x) + residual) (residual null = none; act as
// readActivation), the sum and activation in the second pass.
napi_value BatchNormTrainForward(napi_env env, napi_callback_info info) {
  LongArgs args;
  if (!readLongArgs(env, info, args, 8)) return nullptr;
  size_t nx, ng, nb, ny, nm, nv, nr = 0;
  float* x = f32(env, args.values[0], &nx);
  float* gamma = f32(env, args.values[1], &ng);
  float* beta = f32(env, args.values[2], &nb);
  float* y = f32(env, args.values[3], &ny);
  float* mean = f32(env, args.values[4], &nm);
  float* variance = f32(env, args.values[5], &nv);
  if (!x || !gamma || !beta || !y || !mean || !variance) return nullptr;
  const size_t c = static_cast<size_t>(int32(env, args.values[6]));
  const double eps = number(env, args.values[7]);
  float* residual = nullptr;
  if (!absent(env, args, 8)) {
    residual = f32(env, args.values[8], &nr);
    if (!residual) return nullptr;
  }
  int act;
  float slope;
  if (!readActivation(env, args, 9, &act, &slope)) return nullptr;
  if (c == 0 || nx % c != 0 || nx == 0 || ny != nx || ng != c || nb != c || nm != c || nv != c || (residual && nr != nx))
    return rangeError(env, "jointshot native: batch norm sizes do not fit");
  const size_t rows = nx / c;
  std::vector<double> sum(c), sumSquares(c);
  active->channelSums(x, nullptr, rows, c, sum.data(), sumSquares.data());
  std::vector<float> k(c), shift(c);
  for (size_t j = 0; j < c; j++) {
    const double m = sum[j] / rows;
    const double var = std::max(0.0, sumSquares[j] / rows - m * m);
    mean[j] = static_cast<float>(m);
    variance[j] = static_cast<float>(var);
    k[j] = static_cast<float>(gamma[j] / std::sqrt(var + eps));
    shift[j] = static_cast<float>(beta[j] - m * gamma[j] / std::sqrt(var + eps));
  }
  if (residual || act != 0) active->scaleShiftAct(x, k.data(), shift.data(), residual, y, rows, c, act, slope);
  else active->scaleShift(x, k.data(), shift.data(), y, rows, c);
  return nothing(env);
}

// batchNormTrainBackward(x, dy, gamma, mean, variance, dx, dgamma, dbeta, channels, epsilon[, y,
// act, slope, dresidual]): the gradient of the forward above (batch statistics included) in two
// passes: with g = dy * act'(pre-activation) (recomputed from the forward's output y in both
// passes), dx = gamma / std * (g - dbeta / M - xhat * dgamma / M), dgamma = sum(g * xhat),
// dbeta = sum(g), and dresidual = g when given.
napi_value BatchNormTrainBackward(napi_env env, napi_callback_info info) {
  LongArgs args;
  if (!readLongArgs(env, info, args, 10)) return nullptr;
  size_t nx, ndy, ng, nm, nv, ndx, ndg, ndb, ny = 0, ndr = 0;
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
  float* y = nullptr;
  float* dresidual = nullptr;
  if (!absent(env, args, 10)) {
    y = f32(env, args.values[10], &ny);
    if (!y) return nullptr;
  }
  int act;
  float slope;
  if (!readActivation(env, args, 11, &act, &slope)) return nullptr;
  if (!absent(env, args, 13)) {
    dresidual = f32(env, args.values[13], &ndr);
    if (!dresidual) return nullptr;
  }
  if (act != 0 && !y) return rangeError(env, "jointshot native: batch norm gradient with an activation needs the forward's output");
  if (c == 0 || nx % c != 0 || nx == 0 || ndy != nx || ndx != nx || ng != c || nm != c || nv != c || ndg != c || ndb != c ||
      (y && ny != nx) || (dresidual && ndr != nx))
    return rangeError(env, "jointshot native: batch norm gradient sizes do not fit");
  const size_t rows = nx / c;
  const bool plain = act == 0 && !dresidual;
  std::vector<double> sumDy(c), sumDyX(c);
  if (plain) active->channelSums(dy, x, rows, c, sumDy.data(), sumDyX.data());
  else active->maskedChannelSums(dy, y ? y : dy, x, act, slope, rows, c, sumDy.data(), sumDyX.data());
  // dx = a * g + b * x + d per channel.
  std::vector<float> a(c), b(c), d(c);
  for (size_t j = 0; j < c; j++) {
    const double invStd = 1.0 / std::sqrt(static_cast<double>(variance[j]) + eps);
    const double g = (sumDyX[j] - mean[j] * sumDy[j]) * invStd;  // dgamma = sum(g * xhat)
    dgamma[j] = static_cast<float>(g);
    dbeta[j] = static_cast<float>(sumDy[j]);
    const double k = gamma[j] * invStd;
    a[j] = static_cast<float>(k);
    b[j] = static_cast<float>(-k * g * invStd / rows);
    d[j] = static_cast<float>(-k * sumDy[j] / rows + k * g * invStd * mean[j] / rows);
  }
  if (plain) active->affine2(dy, x, a.data(), b.data(), d.data(), dx, rows, c);
  else active->maskedAffine2(dy, y ? y : dy, x, act, slope, a.data(), b.data(), d.data(), dx, dresidual, rows, c);
  return nothing(env);
}

}  // namespace

bool jointshot::fusedWinogradRuns() {
#if defined(JOINTSHOT_X86_VARIANTS)
  return active == &kElementwise_avx512;
#else
  return false;
#endif
}

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
      {"isa", nullptr, Isa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}

// Adds the fused batch-norm functions to the addon's exports.
napi_status registerBatchNorm(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"batchNormTrainForward", nullptr, BatchNormTrainForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchNormTrainBackward", nullptr, BatchNormTrainBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}
