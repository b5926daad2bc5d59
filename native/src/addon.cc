// jointshot native addon: oneDNN convolution, pooling and GEMM on NHWC float32 buffers, for the
// tfjs `native` backend (src/backend/native). Plain Node-API (C), synchronous calls; every
// function writes into an output Float32Array the caller allocated. Primitives are created once
// per shape and cached (oneDNN JIT-compiles them), keyed by the operation and its integer params.
#include <node_api.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels.h"
#include "napi-util.h"

#include <oneapi/dnnl/dnnl.hpp>

#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

using dnnl::algorithm;
using dnnl::memory;
using dnnl::prop_kind;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using namespace jointshot;

namespace {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

std::string cacheKey(const char* op, const int32_t* p, size_t n) {
  std::string key(op);
  for (size_t i = 0; i < n; i++) key += ',' + std::to_string(p[i]);
  return key;
}

// ---------------------------------------------------------------- convolution
// params (Int32Array, 17): N, H, W, IC, OC, KH, KW, OH, OW, strideH, strideW,
//                          padTop, padLeft, padBottom, padRight, dilationH, dilationW
// x: NHWC [N,H,W,IC]; w: HWIO [KH,KW,IC,OC] (tfjs filter layout); y: NHWC [N,OH,OW,OC].

struct ConvShape {
  memory::dim n, h, w, ic, oc, kh, kw, oh, ow, sh, sw, pt, pl, pb, pr, dh, dw;
  explicit ConvShape(const int32_t* p)
      : n(p[0]), h(p[1]), w(p[2]), ic(p[3]), oc(p[4]), kh(p[5]), kw(p[6]), oh(p[7]), ow(p[8]),
        sh(p[9]), sw(p[10]), pt(p[11]), pl(p[12]), pb(p[13]), pr(p[14]), dh(p[15]), dw(p[16]) {}
  memory::desc src() const { return {{n, ic, h, w}, dt::f32, tag::nhwc}; }
  memory::desc dst() const { return {{n, oc, oh, ow}, dt::f32, tag::nhwc}; }
  memory::desc weightsAny() const { return {{oc, ic, kh, kw}, dt::f32, tag::any}; }
  memory::desc weightsUser() const { return {{oc, ic, kh, kw}, dt::f32, tag::hwio}; }
  memory::dims strides() const { return {sh, sw}; }
  memory::dims dilates() const { return {dh - 1, dw - 1}; }  // oneDNN counts dilation from 0
  memory::dims padL() const { return {pt, pl}; }
  // oneDNN wants the right padding that makes the output size exact (it may be negative when
  // tfjs's VALID drops trailing rows that no window reaches).
  memory::dims padR() const {
    return {(oh - 1) * sh + (kh - 1) * dh + 1 - h - pt, (ow - 1) * sw + (kw - 1) * dw + 1 - w - pl};
  }
};

// Whether environment variable `name` is "0" (a switch turned off).
bool switchedOff(const char* name) {
  const char* v = std::getenv(name);
  return v && std::string(v) == "0";
}

// Where the output map is small (under 64 positions, e.g. ResNet-12's last block: 4x4 on 32x32
// inputs, 5x5 on 84x84) and the filter is not 1x1, oneDNN 2.6's NHWC kernel (brgconv) is slow:
// 124-149 ms CPU for an 80x4x4x640 3x3 convolution on one thread here, against 53 ms for its
// blocked-layout kernel (jit:avx512_core) including the reorders of input and output. Those
// convolutions run blocked: src/dst `any`, reordered from and to the caller's NHWC.
// JOINTSHOT_NATIVE_BLOCKED_CONV=0 turns this off (for comparisons).
bool preferBlocked(const ConvShape& s) {
  static const bool enabled = !switchedOff("JOINTSHOT_NATIVE_BLOCKED_CONV");
  return enabled && s.kh * s.kw > 1 && s.oh * s.ow < 64;
}

// 3x3 convolutions with stride 1 and no dilation first try oneDNN's Winograd kernels
// (jit_wino_4x3 on AVX-512; F(4x4, 3x3): about 4x fewer multiplications). For forward, backward
// data and backward weights they took 1.3-5x less CPU than the direct kernels on the backbones'
// shapes here (docs/performance.md, "Winograd"); PyTorch's CPU convolutions do not use them.
// Their activations are blocked (reordered from and to NHWC per call); where oneDNN has no
// Winograd kernel (no AVX-512, other shapes) the direct path is used. Results differ from the
// direct convolution by rounding only (relative 1e-6 to 1e-5). Under 16 input or output channels
// (an RGB stem) the reorders cost more than Winograd saves. JOINTSHOT_NATIVE_WINOGRAD=0 turns it off.
// `minChannels`: 16 for inference, 32 for training, where at 16 channels the backward-weights
// kernel and the reorders of every training convolution cost more than Winograd saves. Output
// maps under 4x4 (ResNet-18's last stages on 32x32 inputs) waste most of each 4x4 output tile:
// 34 ms for an 80x1x1x512 inference convolution against a few ms direct.
// Whether Winograd kernels are tried: JOINTSHOT_NATIVE_WINOGRAD=0 at load turns them off,
// setWinograd() at run time (primitives are cached per setting).
bool& winogradEnabled() {
  static bool enabled = !switchedOff("JOINTSHOT_NATIVE_WINOGRAD");
  return enabled;
}

bool winogradCandidate(const ConvShape& s, memory::dim minChannels) {
  return winogradEnabled() && s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 && s.dh == 1 && s.dw == 1 && s.ic >= minChannels &&
         s.oc >= minChannels && s.oh >= 4 && s.ow >= 4;
}

// Scratch memory for activations in a primitive's own layout, one growing block per slot (the
// calls are synchronous, so one block per role is enough): 0 first input, 1 output, 2 second input,
// 3-5 a convolution chain's intermediates (convBnActChain).
float* scratch(int slot, size_t floats) {
  struct Block {
    float* data = nullptr;
    size_t size = 0;
  };
  static Block blocks[6];
  Block& b = blocks[slot];
  if (b.size < floats) {
    std::free(b.data);
    const size_t bytes = ((floats * sizeof(float) + 4095) / 4096) * 4096;
    b.data = static_cast<float*>(std::aligned_alloc(4096, bytes));
    if (!b.data) throw std::bad_alloc();
    b.size = bytes / sizeof(float);
  }
  return b.data;
}

// One activation as a primitive wants it: the caller's NHWC buffer itself, or a copy in the
// primitive's layout (`md`) in scratch slot `slot`, with cached reorders both ways.
struct Relayout {
  bool active = false;
  int slot = 0;
  memory::desc user, md;
  dnnl::reorder toPrimitive, toUser;

  void init(const memory::desc& userMd, const memory::desc& wanted, int scratchSlot) {
    user = userMd;
    md = wanted;
    slot = scratchSlot;
    // NHWC with exactly one channel block (C = 16 or 8) is byte for byte nChw16c / nChw8c.
    const memory::dims d = userMd.dims();
    const bool oneBlock = (d[1] == 16 && wanted == memory::desc(d, dt::f32, tag::nChw16c)) ||
                          (d[1] == 8 && wanted == memory::desc(d, dt::f32, tag::nChw8c));
    active = wanted != userMd && !oneBlock;
    if (!active) return;
    toPrimitive = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), md));
    toUser = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), md, engine(), user));
  }
  // The primitive's memory for the caller's buffer `data` (not filled).
  memory target(float* data) const {
    if (!active) return memory(md, engine(), data);
    return memory(md, engine(), scratch(slot, md.get_size() / sizeof(float)));
  }
  // The primitive's memory holding the caller's buffer `data`.
  memory input(float* data) const {
    memory m = target(data);
    if (active) {
      memory from(user, engine(), data);
      toPrimitive.execute(stream(), from, m);
    }
    return m;
  }
  // Copies the primitive's result `m` back into the caller's buffer `data`.
  void output(memory& m, float* data) const {
    if (!active) return;
    memory to(user, engine(), data);
    toUser.execute(stream(), m, to);
  }
};

struct ConvPrimitives {
  dnnl::convolution_forward::primitive_desc fwdPd;
  dnnl::convolution_forward fwd;
  Relayout fwdSrc, fwdDst;
  bool winograd = false;
  dnnl::convolution_backward_data::primitive_desc bwdDataPd;
  dnnl::convolution_backward_data bwdData;
  Relayout bwdDataDiffDst, bwdDataDiffSrc;
  dnnl::convolution_backward_weights::primitive_desc bwdWeightsPd;
  dnnl::convolution_backward_weights bwdWeights;
  Relayout bwdWeightsSrc, bwdWeightsDiffDst;
  bool hasBwd = false;
  // Weight layout conversions between tfjs HWIO and what each primitive wants.
  dnnl::reorder toFwdWeights, toBwdDataWeights, fromBwdWeights;
  bool fwdReorder = false, bwdDataReorder = false, bwdWeightsReorder = false;
  memory::desc fwdWeightsMd, bwdDataWeightsMd, bwdWeightsMd;
  // Reordered-weight buffers, allocated once per shape (fresh memory costs page faults).
  memory fwdWeightsBuf, bwdDataWeightsBuf, bwdWeightsBuf;
};

std::unordered_map<std::string, std::unique_ptr<ConvPrimitives>> convCache;

memory::desc anySrc(const ConvShape& s) { return {{s.n, s.ic, s.h, s.w}, dt::f32, tag::any}; }
memory::desc anyDst(const ConvShape& s) { return {{s.n, s.oc, s.oh, s.ow}, dt::f32, tag::any}; }

// A primitive descriptor made by `make`, or an empty one where oneDNN has no implementation.
template <typename Pd, typename Make>
Pd tryPd(Make make) {
  try {
    return make();
  } catch (const dnnl::error& e) {
    if (e.status != dnnl_unimplemented) throw;
    return Pd();
  }
}

ConvPrimitives& convPrimitives(const int32_t* p, bool backward) {
  const std::string key = cacheKey(winogradEnabled() ? "conv" : "conv-direct", p, 17);
  auto found = convCache.find(key);
  ConvPrimitives* prims;
  const ConvShape s(p);
  if (found == convCache.end()) {
    auto owned = std::make_unique<ConvPrimitives>();
    prims = owned.get();
    using FwdPd = dnnl::convolution_forward::primitive_desc;
    auto makeFwd = [&](algorithm alg, bool any) {
      dnnl::convolution_forward::desc d(prop_kind::forward_training, alg, any ? anySrc(s) : s.src(), s.weightsAny(),
                                        any ? anyDst(s) : s.dst(), s.strides(), s.dilates(), s.padL(), s.padR());
      return FwdPd(d, engine());
    };
    if (winogradCandidate(s, 32)) prims->fwdPd = tryPd<FwdPd>([&] { return makeFwd(algorithm::convolution_winograd, true); });
    prims->winograd = static_cast<bool>(prims->fwdPd);
    if (!prims->winograd) prims->fwdPd = makeFwd(algorithm::convolution_direct, preferBlocked(s));
    prims->fwd = dnnl::convolution_forward(prims->fwdPd);
    prims->fwdSrc.init(s.src(), prims->fwdPd.src_desc(), 0);
    prims->fwdDst.init(s.dst(), prims->fwdPd.dst_desc(), 1);
    prims->fwdWeightsMd = prims->fwdPd.weights_desc();
    prims->fwdReorder = prims->fwdWeightsMd != s.weightsUser();
    if (prims->fwdReorder)
      prims->toFwdWeights = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), s.weightsUser(), engine(), prims->fwdWeightsMd));
    convCache.emplace(key, std::move(owned));
  } else {
    prims = found->second.get();
  }
  if (backward && !prims->hasBwd) {
    using DataPd = dnnl::convolution_backward_data::primitive_desc;
    using WeightsPd = dnnl::convolution_backward_weights::primitive_desc;
    auto makeData = [&](algorithm alg, bool any) {
      dnnl::convolution_backward_data::desc bd(alg, any ? anySrc(s) : s.src(), s.weightsAny(), any ? anyDst(s) : s.dst(),
                                               s.strides(), s.dilates(), s.padL(), s.padR());
      return DataPd(bd, engine(), prims->fwdPd);
    };
    auto makeWeights = [&](algorithm alg, bool any) {
      dnnl::convolution_backward_weights::desc wd(alg, any ? anySrc(s) : s.src(), s.weightsAny(), any ? anyDst(s) : s.dst(),
                                                  s.strides(), s.dilates(), s.padL(), s.padR());
      return WeightsPd(wd, engine(), prims->fwdPd);
    };
    if (prims->winograd) {
      prims->bwdDataPd = tryPd<DataPd>([&] { return makeData(algorithm::convolution_winograd, true); });
      prims->bwdWeightsPd = tryPd<WeightsPd>([&] { return makeWeights(algorithm::convolution_winograd, true); });
    }
    if (!prims->bwdDataPd) prims->bwdDataPd = makeData(algorithm::convolution_direct, false);
    if (!prims->bwdWeightsPd) prims->bwdWeightsPd = makeWeights(algorithm::convolution_direct, false);
    prims->bwdData = dnnl::convolution_backward_data(prims->bwdDataPd);
    prims->bwdDataDiffDst.init(s.dst(), prims->bwdDataPd.diff_dst_desc(), 0);
    prims->bwdDataDiffSrc.init(s.src(), prims->bwdDataPd.diff_src_desc(), 1);
    prims->bwdDataWeightsMd = prims->bwdDataPd.weights_desc();
    prims->bwdDataReorder = prims->bwdDataWeightsMd != s.weightsUser();
    if (prims->bwdDataReorder)
      prims->toBwdDataWeights =
          dnnl::reorder(dnnl::reorder::primitive_desc(engine(), s.weightsUser(), engine(), prims->bwdDataWeightsMd));
    prims->bwdWeights = dnnl::convolution_backward_weights(prims->bwdWeightsPd);
    prims->bwdWeightsSrc.init(s.src(), prims->bwdWeightsPd.src_desc(), 0);
    prims->bwdWeightsDiffDst.init(s.dst(), prims->bwdWeightsPd.diff_dst_desc(), 2);
    prims->bwdWeightsMd = prims->bwdWeightsPd.diff_weights_desc();
    prims->bwdWeightsReorder = prims->bwdWeightsMd != s.weightsUser();
    if (prims->bwdWeightsReorder)
      prims->fromBwdWeights =
          dnnl::reorder(dnnl::reorder::primitive_desc(engine(), prims->bwdWeightsMd, engine(), s.weightsUser()));
    prims->hasBwd = true;
  }
  return *prims;
}

// Weights in the layout `wanted`, reordered from the user's HWIO buffer (into `buffer`, made on
// first use) when they differ.
memory weightsFor(const ConvShape& s, float* user, bool reorder, const memory::desc& wanted, dnnl::reorder& r,
                  memory& buffer) {
  memory userMem(s.weightsUser(), engine(), user);
  if (!reorder) return userMem;
  if (!buffer) buffer = memory(wanted, engine());
  r.execute(stream(), userMem, buffer);
  return buffer;
}

// A oneDNN exception becomes a JS Error with its message.
#define DNNL_TRY(...)                                                             \
  try {                                                                           \
    __VA_ARGS__                                                                   \
  } catch (const dnnl::error& e) {                                                \
    napi_throw_error(env, nullptr, (std::string("oneDNN: ") + e.what()).c_str()); \
    return nullptr;                                                               \
  }

// Runs a training convolution through the fused Winograd kernel where it covers the shape (below).
bool trainingWinograd(const int32_t* p, const float* in, const float* w, float* out, bool backwardData);
bool trainingWinogradWeights(const int32_t* p, const float* x, const float* dy, float* dw);
// Runs a convolution with a 1x1 output map as matrix products where it covers the shape (below).
enum class ConvPass { forward, backwardData, backwardWeights };
bool smallMapConv(const int32_t* p, const float* a, const float* b, float* out, ConvPass pass);

// conv2dForward(params, x, w, y)
napi_value Conv2dForward(napi_env env, napi_callback_info info) {
  ParamsAndFloats call;
  if (!readParamsAndFloats(env, info, 17, 3, call)) return nullptr;
  int32_t* p = call.params;
  float *x = call.arrays[0], *w = call.arrays[1], *y = call.arrays[2];
  DNNL_TRY({
    const ConvShape s(p);
    if (smallMapConv(p, x, w, y, ConvPass::forward)) return nothing(env);
    if (trainingWinograd(p, x, w, y, false)) return nothing(env);
    ConvPrimitives& c = convPrimitives(p, false);
    memory wm = weightsFor(s, w, c.fwdReorder, c.fwdWeightsMd, c.toFwdWeights, c.fwdWeightsBuf);
    memory xm = c.fwdSrc.input(x), ym = c.fwdDst.target(y);
    c.fwd.execute(stream(), {{DNNL_ARG_SRC, xm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}});
    c.fwdDst.output(ym, y);
    stream().wait();
  })
  return nothing(env);
}

// conv2dBackwardData(params, dy, w, dx)
napi_value Conv2dBackwardData(napi_env env, napi_callback_info info) {
  ParamsAndFloats call;
  if (!readParamsAndFloats(env, info, 17, 3, call)) return nullptr;
  int32_t* p = call.params;
  float *dy = call.arrays[0], *w = call.arrays[1], *dx = call.arrays[2];
  DNNL_TRY({
    const ConvShape s(p);
    if (smallMapConv(p, dy, w, dx, ConvPass::backwardData)) return nothing(env);
    if (trainingWinograd(p, dy, w, dx, true)) return nothing(env);
    ConvPrimitives& c = convPrimitives(p, true);
    memory wm = weightsFor(s, w, c.bwdDataReorder, c.bwdDataWeightsMd, c.toBwdDataWeights, c.bwdDataWeightsBuf);
    memory dym = c.bwdDataDiffDst.input(dy), dxm = c.bwdDataDiffSrc.target(dx);
    c.bwdData.execute(stream(), {{DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DIFF_SRC, dxm}});
    c.bwdDataDiffSrc.output(dxm, dx);
    stream().wait();
  })
  return nothing(env);
}

// conv2dBackwardWeights(params, x, dy, dw)
napi_value Conv2dBackwardWeights(napi_env env, napi_callback_info info) {
  ParamsAndFloats call;
  if (!readParamsAndFloats(env, info, 17, 3, call)) return nullptr;
  int32_t* p = call.params;
  float *x = call.arrays[0], *dy = call.arrays[1], *dw = call.arrays[2];
  DNNL_TRY({
    const ConvShape s(p);
    if (smallMapConv(p, x, dy, dw, ConvPass::backwardWeights)) return nothing(env);
    if (trainingWinogradWeights(p, x, dy, dw)) return nothing(env);
    ConvPrimitives& c = convPrimitives(p, true);
    memory xm = c.bwdWeightsSrc.input(x), dym = c.bwdWeightsDiffDst.input(dy);
    memory user(s.weightsUser(), engine(), dw);
    if (c.bwdWeightsReorder && !c.bwdWeightsBuf) c.bwdWeightsBuf = memory(c.bwdWeightsMd, engine());
    memory dwm = c.bwdWeightsReorder ? c.bwdWeightsBuf : user;
    c.bwdWeights.execute(stream(), {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_DIFF_WEIGHTS, dwm}});
    if (c.bwdWeightsReorder) c.fromBwdWeights.execute(stream(), dwm, user);
    stream().wait();
  })
  return nothing(env);
}

// ------------------------------------------------- fused convolution (inference)
// One fused stage: y = act(conv(x, w) * scale + shift + residual) as one oneDNN primitive
// (post-ops in that order). scale and shift: per output channel [OC] or null (inference batch
// norm without touching the caller's weights, or a bias). residual: a full NHWC tensor the size of
// y or null (put in the destination, then added by a `sum` post-op: the shortcut of a residual
// block). activation 0: none; 1: ReLU with slope `alpha` below 0 (0 = ReLU, else leaky ReLU).
// weightsId > 0 names the weights' contents (the caller's guarantee): their reordered (and
// folded) copy is reused while it repeats (fusedWeights).
// NHWC direct kernels take scale and shift as binary post-ops. Winograd kernels (see
// winogradCandidate) take no binary post-ops and no leaky ReLU, and the blocked direct kernel of
// small maps (preferBlocked) no `sum` after binary post-ops: there the scale is folded into a
// copy of the weights and the shift is the bias (a leaky ReLU after Winograd runs as its own
// in-place eltwise).

struct FusedConv {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
  Relayout src, dst;
  bool folded = false;          // scale folded into the weights, shift as bias (Winograd, blocked)
  dnnl::eltwise_forward leaky;  // Winograd with a leaky ReLU: applied to dst afterwards
  bool separateLeaky = false;
  dnnl::reorder toWeights;
  bool weightsReorder = false;
  memory::desc weightsMd;
};

std::unordered_map<std::string, std::unique_ptr<FusedConv>> fusedCache;

FusedConv& fusedConv(const int32_t* p, bool scaled, bool shifted, bool residual, int activation, float alpha) {
  int32_t extra[5];
  extra[0] = scaled;
  extra[1] = shifted;
  extra[2] = residual;
  extra[3] = activation;
  std::memcpy(&extra[4], &alpha, sizeof(float));
  const std::string key = cacheKey(winogradEnabled() ? "fused" : "fused-direct", p, 17) + cacheKey("", extra, 5);
  auto found = fusedCache.find(key);
  if (found != fusedCache.end()) return *found->second;
  const ConvShape s(p);
  auto owned = std::make_unique<FusedConv>();
  using Pd = dnnl::convolution_forward::primitive_desc;
  // Folded form: scale in the weights, shift as the bias, post-ops only `sum` and the activation
  // (a leaky ReLU after the kernel where it cannot take one).
  auto foldedPd = [&](algorithm alg, prop_kind prop, bool leakyInKernel) {
    dnnl::post_ops ops;
    if (residual) ops.append_sum(1.0f);
    if (activation == 1 && (alpha == 0.0f || leakyInKernel)) ops.append_eltwise(1.0f, algorithm::eltwise_relu, alpha, 0.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    const memory::desc bias({s.oc}, dt::f32, tag::x);
    return tryPd<Pd>([&] {
      auto d = shifted ? dnnl::convolution_forward::desc(prop, alg, anySrc(s), s.weightsAny(), bias, anyDst(s), s.strides(),
                                                         s.dilates(), s.padL(), s.padR())
                       : dnnl::convolution_forward::desc(prop, alg, anySrc(s), s.weightsAny(), anyDst(s), s.strides(),
                                                         s.dilates(), s.padL(), s.padR());
      return Pd(d, attr, engine());
    });
  };
  if (winogradCandidate(s, 16)) {
    owned->pd = foldedPd(algorithm::convolution_winograd, prop_kind::forward_inference, false);
    owned->folded = static_cast<bool>(owned->pd);
    owned->separateLeaky = owned->folded && activation == 1 && alpha != 0.0f;
  }
  if (!owned->folded && preferBlocked(s)) {
    // forward_training: for it oneDNN 2.6 picks its blocked jit kernel (for forward_inference it
    // picks brgconv in any layout, as slow on these shapes). Folded, because that jit kernel
    // cannot take a `sum` after binary post-ops (it fell back to oneDNN's reference kernel).
    owned->pd = foldedPd(algorithm::convolution_direct, prop_kind::forward_training, true);
    owned->folded = static_cast<bool>(owned->pd);
  }
  if (owned->separateLeaky) {
    dnnl::eltwise_forward::desc ed(prop_kind::forward_inference, algorithm::eltwise_relu, owned->pd.dst_desc(), alpha, 0.0f);
    owned->leaky = dnnl::eltwise_forward(dnnl::eltwise_forward::primitive_desc(ed, engine()));
  }
  if (!owned->folded) {
    const memory::desc perChannel({1, s.oc, 1, 1}, dt::f32, tag::nhwc);
    dnnl::convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, s.src(), s.weightsAny(),
                                      s.dst(), s.strides(), s.dilates(), s.padL(), s.padR());
    dnnl::post_ops ops;
    if (scaled) ops.append_binary(algorithm::binary_mul, perChannel);
    if (shifted) ops.append_binary(algorithm::binary_add, perChannel);
    if (residual) ops.append_sum(1.0f);
    if (activation == 1) ops.append_eltwise(1.0f, algorithm::eltwise_relu, alpha, 0.0f);
    dnnl::primitive_attr attr;
    attr.set_post_ops(ops);
    owned->pd = Pd(d, attr, engine());
  }
  owned->prim = dnnl::convolution_forward(owned->pd);
  owned->src.init(s.src(), owned->pd.src_desc(), 0);
  owned->dst.init(s.dst(), owned->pd.dst_desc(), 1);
  owned->weightsMd = owned->pd.weights_desc();
  owned->weightsReorder = owned->weightsMd != s.weightsUser();
  if (owned->weightsReorder)
    owned->toWeights = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), s.weightsUser(), engine(), owned->weightsMd));
  FusedConv& out = *owned;
  fusedCache.emplace(key, std::move(owned));
  return out;
}

// Inference weights as fused primitives run them (reordered, and with a Winograd kernel scaled),
// by primitive, content id and scale: layers that share a shape share a primitive, and an
// evaluation runs every layer's weights through it again on every batch. Least recently used out
// past kWeightsCacheBytes.
struct WeightsEntry {
  const FusedConv* owner;
  double id;
  std::vector<float> scale;
  memory weights;
  size_t bytes;
};
std::list<WeightsEntry> weightsCache;  // most recently used first
size_t weightsCacheBytes = 0;
constexpr size_t kWeightsCacheBytes = size_t(512) << 20;

// The weights the fused primitive runs with: from the cache when `weightsId` > 0 (and the folded
// scale) repeat, else made afresh (Winograd with a scale: from w * scale per output channel).
memory fusedWeights(FusedConv& c, const ConvShape& s, float* w, const float* scale, double weightsId) {
  const bool fold = c.folded && scale;
  if (!c.weightsReorder && !fold) return memory(s.weightsUser(), engine(), w);
  const size_t oc = static_cast<size_t>(s.oc);
  for (auto it = weightsCache.begin(); weightsId > 0 && it != weightsCache.end(); ++it) {
    if (it->owner != &c || it->id != weightsId) continue;
    if (!fold || std::memcmp(it->scale.data(), scale, oc * sizeof(float)) == 0) {
      weightsCache.splice(weightsCache.begin(), weightsCache, it);
      return it->weights;
    }
    weightsCacheBytes -= it->bytes;
    weightsCache.erase(it);
    break;
  }
  memory user(s.weightsUser(), engine(), w);
  std::vector<float> folded;
  if (fold) {
    const size_t count = static_cast<size_t>(s.kh * s.kw * s.ic) * oc;
    folded.resize(count);
    for (size_t i = 0; i < count; i += oc)
      for (size_t o = 0; o < oc; o++) folded[i + o] = w[i + o] * scale[o];
    user = memory(s.weightsUser(), engine(), folded.data());
  }
  memory out(c.weightsMd, engine());
  if (c.weightsReorder) c.toWeights.execute(stream(), user, out);
  else std::memcpy(out.get_data_handle(), folded.data(), folded.size() * sizeof(float));
  if (weightsId > 0) {
    const size_t bytes = c.weightsMd.get_size();
    weightsCache.push_front({&c, weightsId, fold ? std::vector<float>(scale, scale + oc) : std::vector<float>(), out, bytes});
    weightsCacheBytes += bytes;
    while (weightsCacheBytes > kWeightsCacheBytes && weightsCache.size() > 1) {
      weightsCacheBytes -= weightsCache.back().bytes;
      weightsCache.pop_back();
    }
  }
  return out;
}

// Copies `rows` rows of `row` floats from src to dst, rows split over the OpenMP threads.
void parallelCopy(const float* src, float* dst, size_t rows, size_t row) {
  const long long count = static_cast<long long>(rows);
#pragma omp parallel for if (rows * row >= (1 << 15)) schedule(static)
  for (long long r = 0; r < count; r++) std::memcpy(dst + r * row, src + r * row, row * sizeof(float));
}

// A Float32Array argument that may be null/undefined: true with *out = nullptr then.
bool optionalF32(napi_env env, napi_value v, float** out, size_t* n) {
  napi_valuetype type;
  napi_typeof(env, v, &type);
  *out = nullptr;
  *n = 0;
  if (type == napi_null || type == napi_undefined) return true;
  *out = f32(env, v, n);
  return *out != nullptr;
}

// Puts the NHWC residual where the fused primitive's `sum` post-op reads it: its destination
// `ym`, reordered into the primitive's layout where that is not NHWC.
void residualInto(FusedConv& c, const ConvShape& s, float* residual, memory& ym) {
  if (c.dst.active) {
    memory residualMem(s.dst(), engine(), residual);
    c.dst.toPrimitive.execute(stream(), residualMem, ym);
  } else {
    parallelCopy(residual, static_cast<float*>(ym.get_data_handle()), static_cast<size_t>(s.n * s.oh), static_cast<size_t>(s.ow * s.oc));
  }
}

// Runs fused primitive `c` from `src` into `dst` (memories in its layouts; dst already holds the
// residual if any): scale and shift as binary post-ops, or the shift as bias where folded.
void executeFused(FusedConv& c, const ConvShape& s, memory& src, memory& wm, memory& dst, float* shift, float* scale) {
  std::unordered_map<int, memory> execArgs{{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, dst}};
  if (c.folded) {
    if (shift) execArgs.emplace(DNNL_ARG_BIAS, memory({{s.oc}, dt::f32, tag::x}, engine(), shift));
  } else {
    const memory::desc perChannel({1, s.oc, 1, 1}, dt::f32, tag::nhwc);
    int postOp = 0;
    if (scale) execArgs.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(postOp++) | DNNL_ARG_SRC_1, memory(perChannel, engine(), scale));
    if (shift) execArgs.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(postOp++) | DNNL_ARG_SRC_1, memory(perChannel, engine(), shift));
  }
  c.prim.execute(stream(), execArgs);
  if (c.separateLeaky) c.leaky.execute(stream(), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}});
}

// The addon's own fused Winograd kernel (wino.cc) for the convolutions it covers (inference, and
// training's forward and backward data): 3x3, stride 1, padding 1 on every side, 16-256 input and
// output channels in multiples of 16, on a CPU running the AVX-512 kernel table; output maps of
// at least `minMap` x `minMap`. Inference takes any map (ResNet-18's 2x2 maps on 32x32 inputs:
// 0.90x the CPU with them); training only 4x4 and up, where the filter is transformed (and
// rotated) per call (with 2x2 maps ResNet-18 32x32 training took 1.10x the CPU).
// JOINTSHOT_NATIVE_FUSED_WINOGRAD=0 at load turns it off, setFusedWinograd() at run time; JOINTSHOT_NATIVE_WINOGRAD=0 / setWinograd(false) turn it off too
// (it is a Winograd kernel: the direct convolution's results differ from it by rounding).
bool& fusedWinogradEnabled() {
  static bool enabled = !switchedOff("JOINTSHOT_NATIVE_FUSED_WINOGRAD");
  return enabled;
}

#if defined(JOINTSHOT_X86_VARIANTS)
void runWinogradFilter(const float* w, const float* scale, int ic, int oc, float* u, bool rotated = false) { winogradFilter(w, scale, ic, oc, u, rotated); }
void runWinogradForward(const WinogradArgs& a) { winogradForward(a); }
void runWinogradBackwardWeights(const WinogradGradArgs& a) { winogradBackwardWeights(a); }
#else  // not built (wino.cc is AVX-512 only); fusedWinogradRuns() is false
void runWinogradFilter(const float*, const float*, int, int, float*, bool = false) {}
void runWinogradForward(const WinogradArgs&) {}
void runWinogradBackwardWeights(const WinogradGradArgs&) {}
#endif

bool fusedWinogradCandidate(const ConvShape& s, memory::dim minMap) {
  auto channels = [](memory::dim c) { return c >= 16 && c <= kWinogradMaxChannels && c % 16 == 0; };
  return fusedWinogradEnabled() && winogradEnabled() && fusedWinogradRuns() && s.kh == 3 && s.kw == 3 && s.sh == 1 && s.sw == 1 &&
         s.dh == 1 && s.dw == 1 && s.pt == 1 && s.pl == 1 && s.pb == 1 && s.pr == 1 && s.oh == s.h && s.ow == s.w && s.oh >= minMap &&
         s.ow >= minMap && channels(s.ic) && channels(s.oc);
}

// Shapes the addon's own kernels ran, by cache key: their kind and kernel (for convImplementations).
struct OwnKernel {
  std::string kind, implementation;
};
std::unordered_map<std::string, OwnKernel> ownKernelShapes;
constexpr const char* kFusedWinograd = "jointshot:wino_4x3_fused";

// Transformed filters by shape, content id and folded scale, least recently used out past
// kWinogradFiltersBytes (as fusedWeights).
struct WinogradFilter {
  memory::dim ic, oc;
  double id;
  std::vector<float> scale;
  std::shared_ptr<float> u;
  size_t bytes;
};
std::list<WinogradFilter> winogradFilters;
size_t winogradFiltersBytes = 0;
constexpr size_t kWinogradFiltersBytes = size_t(256) << 20;

std::shared_ptr<float> winogradFilterFor(const ConvShape& s, const float* w, const float* scale, double id) {
  const size_t oc = static_cast<size_t>(s.oc);
  for (auto it = winogradFilters.begin(); id > 0 && it != winogradFilters.end(); ++it) {
    if (it->ic != s.ic || it->oc != s.oc || it->id != id) continue;
    if (it->scale.size() == (scale ? oc : 0) && (!scale || std::memcmp(it->scale.data(), scale, oc * sizeof(float)) == 0)) {
      winogradFilters.splice(winogradFilters.begin(), winogradFilters, it);
      return it->u;
    }
    winogradFiltersBytes -= it->bytes;
    winogradFilters.erase(it);
    break;
  }
  const size_t floats = static_cast<size_t>(36 * s.ic) * oc;
  float* raw = static_cast<float*>(std::aligned_alloc(64, ((floats * sizeof(float) + 63) / 64) * 64));
  if (!raw) throw std::bad_alloc();
  std::shared_ptr<float> u(raw, std::free);
  runWinogradFilter(w, scale, static_cast<int>(s.ic), static_cast<int>(s.oc), raw);
  if (id > 0) {
    winogradFilters.push_front({s.ic, s.oc, id, scale ? std::vector<float>(scale, scale + oc) : std::vector<float>(), u, floats * sizeof(float)});
    winogradFiltersBytes += floats * sizeof(float);
    while (winogradFiltersBytes > kWinogradFiltersBytes && winogradFilters.size() > 1) {
      winogradFiltersBytes -= winogradFilters.back().bytes;
      winogradFilters.pop_back();
    }
  }
  return u;
}

// Drops the cached inference weights (fusedWeights) and transformed filters (winogradFilterFor)
// made from content `id`: the caller's storage behind it is gone, so the id never repeats. Without
// this, every evaluation after a training step left a whole model's copies behind until the caches'
// byte bounds (768 MiB together) pushed them out.
template <typename Entry>
void eraseContent(std::list<Entry>& cache, size_t& bytes, double id) {
  cache.remove_if([&](const Entry& e) {
    if (e.id == id) bytes -= e.bytes;
    return e.id == id;
  });
}

void forgetContent(double id) {
  eraseContent(weightsCache, weightsCacheBytes, id);
  eraseContent(winogradFilters, winogradFiltersBytes, id);
}

// Strides of an activation with dims {n, c, h, w} in memory `desc` when it is NHWC or nChw16c.
bool winogradLayout(const memory::desc& desc, WinogradLayout* out) {
  const memory::dims d = desc.dims();
  if (desc == memory::desc(d, dt::f32, tag::nhwc)) *out = {d[1] * d[2] * d[3], 16, d[1]};
  else if (desc == memory::desc(d, dt::f32, tag::nChw16c)) *out = {d[1] * d[2] * d[3], d[2] * d[3] * 16, 16};
  else return false;
  return true;
}

// A training convolution's forward (y = conv(x, w)) or backward data (dx = conv(dy, w rotated by
// 180 degrees, input and output channels swapped): both are 3x3 stride-1 same-padding
// convolutions, which the fused Winograd kernel runs on NHWC in place where it covers the shape.
// The filter is transformed per call (the caller gives no content id; it is small next to the
// convolution). False where the kernel does not cover it.
bool trainingWinograd(const int32_t* p, const float* in, const float* w, float* out, bool backwardData) {
  const ConvShape s(p);
  if (!fusedWinogradCandidate(s, 4)) return false;
  const int ic = static_cast<int>(backwardData ? s.oc : s.ic), oc = static_cast<int>(backwardData ? s.ic : s.oc);
  static std::shared_ptr<float> u;
  static size_t uFloats = 0;
  const size_t floats = static_cast<size_t>(36) * ic * oc;
  if (uFloats < floats) {
    float* raw = static_cast<float*>(std::aligned_alloc(64, ((floats * sizeof(float) + 63) / 64) * 64));
    if (!raw) throw std::bad_alloc();
    u.reset(raw, std::free);
    uFloats = floats;
  }
  runWinogradFilter(w, nullptr, ic, oc, u.get(), backwardData);
  WinogradArgs a{};
  a.x = in;
  a.xLayout = {s.h * s.w * ic, 16, ic};
  a.n = static_cast<int>(s.n), a.h = static_cast<int>(s.h), a.w = static_cast<int>(s.w), a.ic = ic, a.oc = oc;
  a.u = u.get();
  a.y = out;
  a.yLayout = {s.h * s.w * oc, 16, oc};
  runWinogradForward(a);
  ownKernelShapes[cacheKey("conv", p, 17) + (backwardData ? ",backwardData" : ",forward")] = {backwardData ? "backwardData" : "forward", kFusedWinograd};
  return true;
}

// A training convolution's weight gradient through the fused Winograd kernel's transforms where
// it covers the shape (as trainingWinograd) and has at least 2 tiles per channel of the wider
// side: each thread sums into its own 36 x ic x oc products, which few tiles do not pay for (a
// first version took 2.7x oneDNN's time on ResNet-18's 4x4 maps of 128 channels at batch 80, 80
// tiles, and 0.75x on 8x8 maps of 160, 320 tiles; the kept version was even with oneDNN on 6x6
// maps of 256, 320 tiles). Reads x and dy as NHWC in place; false elsewhere.
// JOINTSHOT_NATIVE_FUSED_WINOGRAD_WEIGHTS=0 (read per call) leaves it to oneDNN.
bool trainingWinogradWeights(const int32_t* p, const float* x, const float* dy, float* dw) {
  const ConvShape s(p);
  if (!fusedWinogradCandidate(s, 4)) return false;
  const memory::dim tiles = s.n * ((s.h + 3) / 4) * ((s.w + 3) / 4);
  if (tiles < 2 * std::max(s.ic, s.oc)) return false;
  if (switchedOff("JOINTSHOT_NATIVE_FUSED_WINOGRAD_WEIGHTS")) return false;
  WinogradGradArgs a{};
  a.x = x;
  a.xLayout = {s.h * s.w * s.ic, 16, s.ic};
  a.dy = dy;
  a.dyLayout = {s.h * s.w * s.oc, 16, s.oc};
  a.n = static_cast<int>(s.n), a.h = static_cast<int>(s.h), a.w = static_cast<int>(s.w);
  a.ic = static_cast<int>(s.ic), a.oc = static_cast<int>(s.oc);
  a.dw = dw;
  runWinogradBackwardWeights(a);
  ownKernelShapes[cacheKey("conv", p, 17) + ",backwardWeights"] = {"backwardWeights", kFusedWinograd};
  return true;
}

// Output maps of at most this many positions run as matrix products in training (smallMapConv) ...
constexpr memory::dim kSmallMapPixels = 9;
// ... and, on maps of more than one pixel, input x output channels of at least this (below it the
// 21 small products of a 3x3 map cost more than oneDNN's one call: 128 -> 128 channels on 3x3 maps
// at batch 80 took 1.0-1.2x oneDNN's time, 128 -> 256 into 2x2 0.57-0.73x; docs/performance.md).
// JOINTSHOT_NATIVE_SMALL_MAP_PIXELS and JOINTSHOT_NATIVE_SMALL_MAP_CHANNELS override them (read
// per call, for A/B timing).
constexpr memory::dim kSmallMapChannelProduct = 128 * 256;

// Environment variable `name` as a whole number >= 0, else `fallback` (unset, empty or malformed).
memory::dim envCount(const char* name, memory::dim fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long long n = std::strtoll(v, &end, 10);
  return end && *end == 0 && n >= 0 ? n : fallback;
}

// sgemm on row-major matrices; throws on failure.
void sgemm(char ta, char tb, dnnl_dim_t m, dnnl_dim_t n, dnnl_dim_t k, const float* a, dnnl_dim_t lda, const float* b, dnnl_dim_t ldb,
           float beta, float* c, dnnl_dim_t ldc) {
  const dnnl_status_t status = dnnl_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc);
  if (status != dnnl_success) throw dnnl::error(status, "sgemm of a small-map convolution failed");
}

// Scratch of smallMapConv kept between calls (fresh pages cost first-touch faults).
float* smallMapScratch(size_t floats) {
  static std::vector<float> scratch;
  if (scratch.size() < floats) scratch.resize(floats);
  return scratch.data();
}

// Weight gradient of smallMapConv: per tap, the (input, output) pixel pairs it joins gathered into
// rows over the batch, dw tap (ic x oc) = xg^T . dyg as one product (per output pixel, 80-row
// products added into a 1.5 MB tap block ran at two thirds of the speed).
void smallMapWeightGradient(const ConvShape& s, const float* x, const float* dy, float* dw) {
  const dnnl_dim_t n = s.n, ic = s.ic, oc = s.oc, image = s.h * s.w * ic, outImage = s.oh * s.ow * oc;
  const size_t pixels = static_cast<size_t>(s.oh * s.ow);
  float* xg = smallMapScratch(static_cast<size_t>(n) * pixels * static_cast<size_t>(ic + oc));
  float* dyg = xg + static_cast<size_t>(n) * pixels * ic;
  for (memory::dim ky = 0; ky < s.kh; ky++)
    for (memory::dim kx = 0; kx < s.kw; kx++) {
      float* tap = dw + static_cast<size_t>((ky * s.kw + kx) * ic) * oc;
      std::vector<std::pair<size_t, size_t>> rows;
      for (memory::dim oy = 0; oy < s.oh; oy++)
        for (memory::dim ox = 0; ox < s.ow; ox++) {
          const memory::dim iy = oy * s.sh + ky - s.pt, ix = ox * s.sw + kx - s.pl;
          if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w) rows.emplace_back(static_cast<size_t>(iy * s.w + ix), static_cast<size_t>(oy * s.ow + ox));
        }
      if (rows.empty()) {
        std::memset(tap, 0, static_cast<size_t>(ic * oc) * sizeof(float));
        continue;
      }
      const long long count = static_cast<long long>(n);
      const size_t r = rows.size();
#pragma omp parallel for if (n * r * (ic + oc) >= (1 << 15)) schedule(static)
      for (long long i = 0; i < count; i++)
        for (size_t j = 0; j < r; j++) {
          std::memcpy(xg + (i * r + j) * ic, x + i * image + rows[j].first * ic, static_cast<size_t>(ic) * sizeof(float));
          std::memcpy(dyg + (i * r + j) * oc, dy + i * outImage + rows[j].second * oc, static_cast<size_t>(oc) * sizeof(float));
        }
      sgemm('T', 'N', ic, oc, n * static_cast<dnnl_dim_t>(r), xg, ic, dyg, oc, 0.0f, tap, oc);
    }
}

// The filter of backward data as t[ky][o][kx][i] = w[ky][kx][i][o]: for filter row ky and output
// channel o the taps kx0..kx1 - 1 are then one contiguous run of (kx1 - kx0) * ic values.
const float* smallMapTransposedFilter(const ConvShape& s, const float* w) {
  const dnnl_dim_t ic = s.ic, oc = s.oc, kw = s.kw, taps = s.kh * kw, icBlocks = (ic + 15) / 16;
  float* t = smallMapScratch(static_cast<size_t>(taps * ic * oc));
  const long long blocks = static_cast<long long>(taps * icBlocks);
#pragma omp parallel for if (taps * ic * oc >= (1 << 15)) schedule(static)
  for (long long blk = 0; blk < blocks; blk++) {
    const dnnl_dim_t tap = blk / icBlocks, i0 = (blk % icBlocks) * 16, i1 = std::min(ic, i0 + 16);
    const float* src = w + tap * ic * oc;
    float* dst = t + (tap / kw) * oc * kw * ic + (tap % kw) * ic;
    for (dnnl_dim_t o = 0; o < oc; o++)
      for (dnnl_dim_t i = i0; i < i1; i++) dst[o * kw * ic + i] = src[i * oc + o];
  }
  return t;
}

// Forward (a = x, b = w, out = y) or backward data (a = dy, b = w, out = dx) of smallMapConv: one
// sgemm per output pixel and filter row.
void smallMapProducts(const ConvShape& s, const float* a, const float* b, float* out, bool forward) {
  const dnnl_dim_t n = s.n, ic = s.ic, oc = s.oc, image = s.h * s.w * ic, outImage = s.oh * s.ow * oc;
  if (!forward) std::memset(out, 0, static_cast<size_t>(n * image) * sizeof(float));
  const float* t = forward ? b : smallMapTransposedFilter(s, b);
  for (memory::dim oy = 0; oy < s.oh; oy++)
    for (memory::dim ox = 0; ox < s.ow; ox++) {
      const size_t pixel = static_cast<size_t>(oy * s.ow + ox) * oc;
      const memory::dim ix0 = ox * s.sw - s.pl, kx0 = std::max<memory::dim>(0, -ix0), kx1 = std::min(s.kw, s.w - ix0);
      bool first = true;
      for (memory::dim ky = 0; ky < s.kh && kx1 > kx0; ky++) {
        const memory::dim iy = oy * s.sh + ky - s.pt;
        if (iy < 0 || iy >= s.h) continue;
        const dnnl_dim_t run = (kx1 - kx0) * ic;
        const size_t in = static_cast<size_t>(iy * s.w + ix0 + kx0) * ic;
        if (forward)  // y pixel (n x oc) += x run (n x run) . filter rows (run x oc)
          sgemm('N', 'N', n, oc, run, a + in, image, t + static_cast<size_t>((ky * s.kw + kx0) * ic) * oc, oc, first ? 0.0f : 1.0f,
                out + pixel, outImage);
        else  // dx run (n x run) += dy pixel (n x oc) . transposed filter rows (oc x run)
          sgemm('N', 'N', n, run, oc, a + pixel, outImage, t + static_cast<size_t>(ky * oc * s.kw + kx0) * ic, s.kw * ic, 1.0f, out + in, image);
        first = false;
      }
      if (first && forward)  // every tap in the padding
        for (dnnl_dim_t i = 0; i < n; i++) std::memset(out + i * outImage + pixel, 0, static_cast<size_t>(oc) * sizeof(float));
    }
}

// A training convolution on a small output map (ResNet-18's last stage: 3x3 maps of 512 channels
// on 84x84 images, 1x1 on 32x32) as matrix products on the caller's NHWC and HWIO arrays. For
// output pixel (oy, ox) and filter row ky, the input row iy = oy * sh + ky - pt holds the pixels
// its filter columns kx0..kx1 - 1 see side by side, and HWIO stores those taps as one
// (run * ic) x oc matrix: one sgemm over the batch per (pixel, filter row), taps in the padding
// skipped (49 of 81 on a 3x3 map). oneDNN's direct kernels ran all taps and reordered the filter
// to their layout (and the weight gradient back) at every call. Backward data and weights are the
// same products with the filter transposed once per call (backward data), and per tap one product
// over the gathered rows of the batch's pixels it joins (weight gradient). False where the map is
// larger than kSmallMapPixels, on maps of more than one pixel where the filter is 1x1 (oneDNN's 1x1
// kernels) or the channels are few (kSmallMapChannelProduct), where the convolution is dilated, or
// with JOINTSHOT_NATIVE_SMALL_MAP_GEMM=0 (read per call).
bool smallMapConv(const int32_t* p, const float* a, const float* b, float* out, ConvPass pass) {
  const ConvShape s(p);
  if (s.dh != 1 || s.dw != 1 || s.oh * s.ow > envCount("JOINTSHOT_NATIVE_SMALL_MAP_PIXELS", kSmallMapPixels)) return false;
  if (s.oh * s.ow > 1 && (s.kh * s.kw == 1 || s.ic * s.oc < envCount("JOINTSHOT_NATIVE_SMALL_MAP_CHANNELS", kSmallMapChannelProduct)))
    return false;
  if (switchedOff("JOINTSHOT_NATIVE_SMALL_MAP_GEMM")) return false;
  if (pass == ConvPass::backwardWeights) smallMapWeightGradient(s, a, b, out);
  else smallMapProducts(s, a, b, out, pass == ConvPass::forward);
  static const char* kinds[] = {"forward", "backwardData", "backwardWeights"};
  const char* kind = kinds[static_cast<int>(pass)];
  ownKernelShapes[cacheKey("conv", p, 17) + "," + kind] = {kind, "jointshot:gemm_small_map"};
  return true;
}


// convBnActChain(params, x, weights, scales, shifts, weightIds, activations, alphas, residual, y):
// k >= 1 fused stages in a row (params: 17 per stage; weights, scales, shifts, weightIds: JS
// arrays of k entries, scales/shifts entries may be null; activations Int32Array(k), alphas
// Float32Array(k); residual: null or NHWC the size of y, added by the last stage). The
// activations between stages stay in the primitives' own (blocked) layouts: no reorder to NHWC
// and back. One stage is tf.fused.conv2d / nativeConvBnAct.
napi_value ConvBnActChain(napi_env env, napi_callback_info info) {
  Args args;
  if (!readArgs(env, info, args, 10)) return nullptr;
  size_t np, nx, na, nl, nr, ny;
  int32_t* p = i32(env, args.values[0], &np);
  float* x = p ? f32(env, args.values[1], &nx) : nullptr;
  int32_t* activations = x ? i32(env, args.values[6], &na) : nullptr;
  float* alphas = activations ? f32(env, args.values[7], &nl) : nullptr;
  float* residual = nullptr;
  if (!alphas || !optionalF32(env, args.values[8], &residual, &nr)) return nullptr;
  float* y = f32(env, args.values[9], &ny);
  if (!y) return nullptr;
  const size_t k = np / 17;
  if (np % 17 != 0 || k < 1 || k > 8 || na != k || nl != k) return rangeError(env, "jointshot native: convBnActChain takes 1-8 stages of 17 parameters");
  std::vector<float*> w(k), scale(k), shift(k);
  std::vector<double> ids(k);
  for (size_t i = 0; i < k; i++) {
    napi_value wv, sv, hv, iv;
    size_t nw, ns, nh;
    napi_get_element(env, args.values[2], static_cast<uint32_t>(i), &wv);
    napi_get_element(env, args.values[3], static_cast<uint32_t>(i), &sv);
    napi_get_element(env, args.values[4], static_cast<uint32_t>(i), &hv);
    napi_get_element(env, args.values[5], static_cast<uint32_t>(i), &iv);
    w[i] = f32(env, wv, &nw);
    if (!w[i] || !optionalF32(env, sv, &scale[i], &ns) || !optionalF32(env, hv, &shift[i], &nh)) return nullptr;
    ids[i] = number(env, iv);
    const ConvShape s(p + 17 * i);
    const ConvShape in(i == 0 ? p : p + 17 * (i - 1));
    const bool fits = i == 0 ? static_cast<memory::dim>(nx) == s.n * s.h * s.w * s.ic
                             : in.n == s.n && in.oh == s.h && in.ow == s.w && in.oc == s.ic;
    if (!fits || static_cast<memory::dim>(nw) != s.kh * s.kw * s.ic * s.oc || (scale[i] && static_cast<memory::dim>(ns) != s.oc) ||
        (shift[i] && static_cast<memory::dim>(nh) != s.oc) || activations[i] < 0 || activations[i] > 1)
      return rangeError(env, "jointshot native: convBnActChain stages do not fit");
  }
  const ConvShape last(p + 17 * (k - 1));
  if (static_cast<memory::dim>(ny) != last.n * last.oh * last.ow * last.oc || (residual && nr != ny))
    return rangeError(env, "jointshot native: convBnActChain output sizes do not fit");
  DNNL_TRY({
    std::vector<FusedConv*> convs(k, nullptr);
    for (size_t i = 0; i < k; i++) {
      const ConvShape s(p + 17 * i);
      if (fusedWinogradCandidate(s, 1)) ownKernelShapes[cacheKey("fused", p + 17 * i, 17)] = {"inference", kFusedWinograd};
      else convs[i] = &fusedConv(p + 17 * i, scale[i] != nullptr, shift[i] != nullptr, i == k - 1 && residual, activations[i], alphas[i]);
    }
    memory cur;
    for (size_t i = 0; i < k; i++) {
      const ConvShape s(p + 17 * i);
      const bool end = i == k - 1;
      if (!convs[i]) {
        // The fused Winograd kernel: reads and writes NHWC or nChw16c in place.
        const memory::desc nhwc = s.src(), blocked({s.n, s.ic, s.h, s.w}, dt::f32, tag::nChw16c);
        WinogradArgs a{};
        if (i == 0) {
          a.x = x;
          winogradLayout(nhwc, &a.xLayout);
        } else {
          stream().wait();
          if (!winogradLayout(cur.get_desc(), &a.xLayout)) {
            memory to(blocked, engine(), scratch(5, blocked.get_size() / sizeof(float)));
            dnnl::reorder(cur, to).execute(stream(), cur, to);
            stream().wait();
            cur = to;
            winogradLayout(blocked, &a.xLayout);
          }
          a.x = static_cast<const float*>(cur.get_data_handle());
        }
        memory::desc outDesc = s.dst();
        if (end) {
          a.y = y;
        } else {
          const memory::desc nextBlocked({s.n, s.oc, s.oh, s.ow}, dt::f32, tag::nChw16c);
          if (convs[i + 1] && convs[i + 1]->pd.src_desc() == nextBlocked) outDesc = nextBlocked;
          a.y = scratch(3 + static_cast<int>(i % 2), outDesc.get_size() / sizeof(float));
        }
        winogradLayout(outDesc, &a.yLayout);
        if (end && residual) {
          a.residual = residual;
          winogradLayout(s.dst(), &a.residualLayout);
        }
        const std::shared_ptr<float> u = winogradFilterFor(s, w[i], scale[i], ids[i]);
        a.n = static_cast<int>(s.n), a.h = static_cast<int>(s.h), a.w = static_cast<int>(s.w);
        a.ic = static_cast<int>(s.ic), a.oc = static_cast<int>(s.oc);
        a.u = u.get();
        a.bias = shift[i];
        a.activation = activations[i];
        a.alpha = alphas[i];
        runWinogradForward(a);
        if (!end) cur = memory(outDesc, engine(), a.y);
        continue;
      }
      FusedConv& c = *convs[i];
      memory wm = fusedWeights(c, s, w[i], scale[i], ids[i]);
      memory src;
      if (i == 0) {
        src = c.src.input(x);
      } else if (cur.get_desc() == c.pd.src_desc()) {
        src = cur;
      } else {
        src = memory(c.pd.src_desc(), engine(), scratch(5, c.pd.src_desc().get_size() / sizeof(float)));
        dnnl::reorder(cur, src).execute(stream(), cur, src);
      }
      memory dst = end ? c.dst.target(y)
                       : memory(c.pd.dst_desc(), engine(), scratch(3 + static_cast<int>(i % 2), c.pd.dst_desc().get_size() / sizeof(float)));
      if (end && residual) residualInto(c, s, residual, dst);
      executeFused(c, s, src, wm, dst, shift[i], scale[i]);
      if (end) c.dst.output(dst, y);
      cur = dst;
    }
    stream().wait();
  })
  return nothing(env);
}

// ---------------------------------------------------------------- pooling
// params (Int32Array, 14): N, H, W, C, OH, OW, KH, KW, strideH, strideW, padTop, padLeft,
//                          kind (0 max, 1 average excluding padding), unused (0)

struct PoolShape {
  memory::dim n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl;
  int kind;
  explicit PoolShape(const int32_t* p)
      : n(p[0]), h(p[1]), w(p[2]), c(p[3]), oh(p[4]), ow(p[5]), kh(p[6]), kw(p[7]), sh(p[8]), sw(p[9]),
        pt(p[10]), pl(p[11]), kind(p[12]) {}
  memory::desc src() const { return {{n, c, h, w}, dt::f32, tag::nhwc}; }
  memory::desc dst() const { return {{n, c, oh, ow}, dt::f32, tag::nhwc}; }
  algorithm alg() const { return kind == 0 ? algorithm::pooling_max : algorithm::pooling_avg_exclude_padding; }
  memory::dims padR() const { return {(oh - 1) * sh + kh - h - pt, (ow - 1) * sw + kw - w - pl}; }
};

struct PoolPrimitives {
  // The training forward (argmax workspace, hint of the backward) and the one the forward kernel
  // runs: forward_inference, which writes no workspace.
  dnnl::pooling_forward::primitive_desc fwdPd;
  dnnl::pooling_forward fwd, infer;
  dnnl::pooling_backward bwd;
  bool hasBwd = false;
  // Max pooling's argmax workspace and the backward's scratch forward output, made on first use.
  memory workspace, scratchDst;
};

std::unordered_map<std::string, std::unique_ptr<PoolPrimitives>> poolCache;

PoolPrimitives& poolPrimitives(const int32_t* p, bool backward) {
  const std::string key = cacheKey("pool", p, 14);
  auto found = poolCache.find(key);
  PoolPrimitives* prims;
  const PoolShape s(p);
  if (found == poolCache.end()) {
    auto owned = std::make_unique<PoolPrimitives>();
    prims = owned.get();
    // forward_training so that max pooling records the argmax workspace the backward needs.
    dnnl::pooling_forward::desc d(prop_kind::forward_training, s.alg(), s.src(), s.dst(), {s.sh, s.sw}, {s.kh, s.kw},
                                  {s.pt, s.pl}, s.padR());
    prims->fwdPd = dnnl::pooling_forward::primitive_desc(d, engine());
    prims->fwd = dnnl::pooling_forward(prims->fwdPd);
    dnnl::pooling_forward::desc di(prop_kind::forward_inference, s.alg(), s.src(), s.dst(), {s.sh, s.sw}, {s.kh, s.kw},
                                   {s.pt, s.pl}, s.padR());
    prims->infer = dnnl::pooling_forward(dnnl::pooling_forward::primitive_desc(di, engine()));
    poolCache.emplace(key, std::move(owned));
  } else {
    prims = found->second.get();
  }
  if (backward && !prims->hasBwd) {
    dnnl::pooling_backward::desc bd(s.alg(), s.src(), s.dst(), {s.sh, s.sw}, {s.kh, s.kw}, {s.pt, s.pl}, s.padR());
    prims->bwd = dnnl::pooling_backward(dnnl::pooling_backward::primitive_desc(bd, engine(), prims->fwdPd));
    prims->hasBwd = true;
  }
  return *prims;
}

// poolForward(params, x, y)
napi_value PoolForward(napi_env env, napi_callback_info info) {
  ParamsAndFloats call;
  if (!readParamsAndFloats(env, info, 14, 2, call)) return nullptr;
  int32_t* p = call.params;
  float *x = call.arrays[0], *y = call.arrays[1];
  DNNL_TRY({
    const PoolShape s(p);
    PoolPrimitives& c = poolPrimitives(p, false);
    memory xm(s.src(), engine(), x), ym(s.dst(), engine(), y);
    c.infer.execute(stream(), {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DST, ym}});
    stream().wait();
  })
  return nothing(env);
}

// poolBackward(params, x, dy, dx): max pooling re-runs the forward on x for the argmax workspace.
napi_value PoolBackward(napi_env env, napi_callback_info info) {
  ParamsAndFloats call;
  if (!readParamsAndFloats(env, info, 14, 3, call)) return nullptr;
  int32_t* p = call.params;
  float *x = call.arrays[0], *dy = call.arrays[1], *dx = call.arrays[2];
  DNNL_TRY({
    const PoolShape s(p);
    PoolPrimitives& c = poolPrimitives(p, true);
    memory dym(s.dst(), engine(), dy), dxm(s.src(), engine(), dx);
    std::unordered_map<int, memory> args{{DNNL_ARG_DIFF_DST, dym}, {DNNL_ARG_DIFF_SRC, dxm}};
    if (s.kind == 0) {
      if (!c.workspace) c.workspace = memory(c.fwdPd.workspace_desc(), engine());
      if (!c.scratchDst) c.scratchDst = memory(s.dst(), engine());
      memory xm(s.src(), engine(), x);
      c.fwd.execute(stream(), {{DNNL_ARG_SRC, xm}, {DNNL_ARG_DST, c.scratchDst}, {DNNL_ARG_WORKSPACE, c.workspace}});
      args.emplace(DNNL_ARG_WORKSPACE, c.workspace);
    }
    c.bwd.execute(stream(), args);
    stream().wait();
  })
  return nothing(env);
}

// ---------------------------------------------------------------- GEMM
// batchMatMul(params, a, b, c), params (Int32Array, 8): batch, M, N, K, transA, transB,
// aBatchStride, bBatchStride (0 broadcasts one matrix over the batch). Row-major:
// c[i] (M x N) = op(a[i]) (M x K) * op(b[i]) (K x N).
napi_value BatchMatMul(napi_env env, napi_callback_info info) {
  ParamsAndFloats call;
  if (!readParamsAndFloats(env, info, 8, 3, call)) return nullptr;
  int32_t* p = call.params;
  float *A = call.arrays[0], *B = call.arrays[1], *C = call.arrays[2];
  const dnnl_dim_t batch = p[0], M = p[1], N = p[2], K = p[3];
  const bool ta = p[4] != 0, tb = p[5] != 0;
  const dnnl_dim_t strideA = p[6], strideB = p[7];
  const dnnl_dim_t lda = ta ? M : K, ldb = tb ? K : N;
  for (dnnl_dim_t i = 0; i < batch; i++) {
    dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, 1.0f, A + i * strideA, lda,
                                  B + i * strideB, ldb, 0.0f, C + i * M * N, N);
    if (st != dnnl_success) {
      napi_throw_error(env, nullptr, "oneDNN: sgemm failed");
      return nullptr;
    }
  }
  return nothing(env);
}

// ---------------------------------------------------------------- threads and info

// setThreads(n): OpenMP threads for every oneDNN primitive; returns the count in effect.
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a;
  if (!readArgs(env, info, a, 1)) return nullptr;
  const int32_t n = int32(env, a.values[0]);
#ifdef _OPENMP
  if (n > 0) omp_set_num_threads(n);
  const int threads = omp_get_max_threads();
#else
  (void)n;
  const int threads = 1;  // built without OpenMP (macOS without libomp): one thread
#endif
  napi_value out;
  napi_create_int32(env, threads, &out);
  return out;
}

// version(): the oneDNN version string, e.g. "2.6.3".
napi_value Version(napi_env env, napi_callback_info) {
  const dnnl_version_t* v = dnnl_version();
  std::string text = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  napi_value out;
  napi_create_string_utf8(env, text.c_str(), text.size(), &out);
  return out;
}

// Sets `flag` from the first argument when it is a boolean (for A/B timing in one process).
bool readSwitch(napi_env env, napi_callback_info info, bool& flag) {
  Args args;
  if (!readArgs(env, info, args, 0)) return false;
  napi_valuetype type = napi_undefined;
  if (args.count > 0) napi_typeof(env, args.values[0], &type);
  if (type == napi_boolean) napi_get_value_bool(env, args.values[0], &flag);
  return true;
}

// setWinograd(on?): turns the Winograd kernels on or off when `on` is a boolean; returns the
// setting in effect.
napi_value SetWinograd(napi_env env, napi_callback_info info) {
  if (!readSwitch(env, info, winogradEnabled())) return nullptr;
  napi_value out;
  napi_get_boolean(env, winogradEnabled(), &out);
  return out;
}

// setFusedWinograd(on?): the same for the addon's own fused Winograd kernel; returns whether it
// runs (on, and the AVX-512 kernel table active).
napi_value SetFusedWinograd(napi_env env, napi_callback_info info) {
  if (!readSwitch(env, info, fusedWinogradEnabled())) return nullptr;
  napi_value out;
  napi_get_boolean(env, fusedWinogradEnabled() && fusedWinogradRuns(), &out);
  return out;
}

// convImplementations(): [params (17 numbers), kind, oneDNN implementation] for every convolution
// primitive made so far (kind: forward, backwardData, backwardWeights, inference); for tests and
// profiles: which kernel (Winograd, jit, brgconv) a shape runs.
napi_value ConvImplementations(napi_env env, napi_callback_info) {
  napi_value out;
  napi_create_array(env, &out);
  uint32_t index = 0;
  auto push = [&](const std::string& key, const char* kind, const char* impl) {
    napi_value row, k, i, name;
    napi_create_array(env, &row);
    napi_create_string_utf8(env, key.c_str(), key.size(), &k);
    napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &name);
    napi_create_string_utf8(env, impl, NAPI_AUTO_LENGTH, &i);
    napi_set_element(env, row, 0, k);
    napi_set_element(env, row, 1, name);
    napi_set_element(env, row, 2, i);
    napi_set_element(env, out, index++, row);
  };
  for (const auto& [key, c] : convCache) {
    push(key, "forward", c->fwdPd.impl_info_str());
    if (c->hasBwd) {
      push(key, "backwardData", c->bwdDataPd.impl_info_str());
      push(key, "backwardWeights", c->bwdWeightsPd.impl_info_str());
    }
  }
  for (const auto& [key, c] : fusedCache) push(key, "inference", c->pd.impl_info_str());
  for (const auto& [key, own] : ownKernelShapes) push(key, own.kind.c_str(), own.implementation.c_str());
  return out;
}

// forgetContent(id): forgets every cached copy made from content id `id`.
napi_value ForgetContent(napi_env env, napi_callback_info info) {
  Args a;
  if (!readArgs(env, info, a, 1)) return nullptr;
  double id = 0;
  if (napi_get_value_double(env, a.values[0], &id) != napi_ok) {
    napi_throw_type_error(env, nullptr, "forgetContent: expected a content id (number)");
    return nullptr;
  }
  forgetContent(id);
  return nullptr;
}

// contentCacheBytes(): [inference weights, transformed Winograd filters] held by content id, in
// bytes (for tests and soaks).
napi_value ContentCacheBytes(napi_env env, napi_callback_info) {
  napi_value out, w, f;
  napi_create_array(env, &out);
  napi_create_double(env, static_cast<double>(weightsCacheBytes), &w);
  napi_create_double(env, static_cast<double>(winogradFiltersBytes), &f);
  napi_set_element(env, out, 0, w);
  napi_set_element(env, out, 1, f);
  return out;
}

}  // namespace

napi_status registerElementwise(napi_env env, napi_value exports);
napi_status registerBufferPool(napi_env env, napi_value exports);
napi_status registerBatchNorm(napi_env env, napi_value exports);
napi_status registerLayout(napi_env env, napi_value exports);
napi_status registerSgd(napi_env env, napi_value exports);
napi_status registerCopyBox(napi_env env, napi_value exports);

namespace {
napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"conv2dForward", nullptr, Conv2dForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackwardData", nullptr, Conv2dBackwardData, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackwardWeights", nullptr, Conv2dBackwardWeights, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"poolForward", nullptr, PoolForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"poolBackward", nullptr, PoolBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"batchMatMul", nullptr, BatchMatMul, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"version", nullptr, Version, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"convImplementations", nullptr, ConvImplementations, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setWinograd", nullptr, SetWinograd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setFusedWinograd", nullptr, SetFusedWinograd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"convBnActChain", nullptr, ConvBnActChain, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"forgetContent", nullptr, ForgetContent, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"contentCacheBytes", nullptr, ContentCacheBytes, nullptr, nullptr, nullptr, napi_enumerable, nullptr}};
  napi_define_properties(env, exports, sizeof(functions) / sizeof(functions[0]), functions);
  registerElementwise(env, exports);
  registerBufferPool(env, exports);
  registerBatchNorm(env, exports);
  registerLayout(env, exports);
  registerSgd(env, exports);
  registerCopyBox(env, exports);
  return exports;
}
}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
