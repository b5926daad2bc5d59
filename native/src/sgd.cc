// Fused SGD update of the tfjs `native` backend: one parameter's whole PyTorch SGD step (weight
// decay, momentum, Nesterov) in one pass over memory, where src/train/sgd.ts's tfjs ops make up
// to 8 kernel calls and passes. Every operation is one float32 operation in the order of those
// ops and the build has no FMA contraction (-ffp-contract=off, binding.gyp), so the results are
// bit-identical to the cpu backend's (tfjs rounds each op's float64 result to float32, which for
// +, - and * of float32 operands gives the correctly rounded float32 result, as here).
#include <node_api.h>

#include "napi-util.h"

#include <cstddef>

namespace {

using namespace jointshot;

// Below this many elements the loop stays on one thread (thread start-up costs more).
constexpr size_t kParallelMin = 1 << 15;

// sgdUpdate(p, grad, buf | null, pOut, bufOut | null, lr, momentum, weightDecay, nesterov):
//   g = weightDecay != 0 ? grad + p * weightDecay : grad
//   momentum != 0:  buf' = buf * momentum + g;  step = nesterov ? g + buf' * momentum : buf'
//   momentum == 0:  step = g (buf and bufOut are not read: pass null; Nesterov is an error)
//   pOut = p - step * lr
// The scalars are rounded to float32 first (as tfjs makes float32 scalar tensors of them). All
// arrays have the same length; outputs may not alias inputs.
napi_value SgdUpdate(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 9)) return nullptr;
  // Which steps run is decided on the JS numbers, as src/train/sgd.ts decides (before rounding).
  const double muArg = number(env, args.values[6]), wdArg = number(env, args.values[7]);
  const bool momentum = muArg != 0, decay = wdArg != 0;
  const float lr = static_cast<float>(number(env, args.values[5]));
  const float mu = static_cast<float>(muArg);
  const float wd = static_cast<float>(wdArg);
  const bool nesterov = int32(env, args.values[8]) != 0;
  size_t np, ng, nb = 0, npo, nbo = 0;
  const float* p = f32(env, args.values[0], &np);
  const float* grad = f32(env, args.values[1], &ng);
  float* pOut = f32(env, args.values[3], &npo);
  if (!p || !grad || !pOut) return nullptr;
  const float* buf = nullptr;
  float* bufOut = nullptr;
  if (momentum) {
    buf = f32(env, args.values[2], &nb);
    bufOut = f32(env, args.values[4], &nbo);
    if (!buf || !bufOut) return nullptr;
  } else if (nesterov) {
    return rangeError(env, "jointshot native: Nesterov needs momentum");
  }
  if (ng != np || npo != np || (momentum && (nb != np || nbo != np)))
    return rangeError(env, "jointshot native: sgdUpdate sizes differ");
  const long long n = static_cast<long long>(np);
  // Three loops rather than branches inside one: each stays a plain vectorisable expression.
  if (!momentum) {
#pragma omp parallel for if (np >= kParallelMin) schedule(static)
    for (long long i = 0; i < n; i++) {
      const float g = decay ? grad[i] + p[i] * wd : grad[i];
      pOut[i] = p[i] - g * lr;
    }
  } else if (nesterov) {
#pragma omp parallel for if (np >= kParallelMin) schedule(static)
    for (long long i = 0; i < n; i++) {
      const float g = decay ? grad[i] + p[i] * wd : grad[i];
      const float next = buf[i] * mu + g;
      bufOut[i] = next;
      pOut[i] = p[i] - (g + next * mu) * lr;
    }
  } else {
#pragma omp parallel for if (np >= kParallelMin) schedule(static)
    for (long long i = 0; i < n; i++) {
      const float g = decay ? grad[i] + p[i] * wd : grad[i];
      const float next = buf[i] * mu + g;
      bufOut[i] = next;
      pOut[i] = p[i] - next * lr;
    }
  }
  return nothing(env);
}

}  // namespace

// Adds sgdUpdate to the addon's exports.
napi_status registerSgd(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"sgdUpdate", nullptr, SgdUpdate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
}
