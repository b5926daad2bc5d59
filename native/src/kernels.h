// The addon's own element-wise loops as a table of functions. kernels.cc is compiled once per
// instruction set (x86-64: baseline x86-64-v2, AVX2 = x86-64-v3, AVX-512 = x86-64-v4; elsewhere
// baseline only) and elementwise.cc picks the widest table the CPU runs at load time (own code:
// speed; oneDNN dispatches its own kernels the same way).
#pragma once
#include <cstddef>
#include <cstdint>

namespace jointshot {

// Storage types of convert(): a bool tensor's Uint8Array, int32, float32.
enum StorageKind { kUint8 = 0, kInt32 = 1, kFloat32 = 2, kOther = 3 };

struct ElementwiseKernels {
  const char* name;
  // out = f(a, b): op 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min, 6 squared difference. Mode 0
  // same size; 1: out and a are [outer, group, period], b is [outer, period]; 2: a and b swapped.
  bool (*binary)(int op, const float* a, const float* b, float* out, size_t n, int mode, size_t period, size_t group);
  // out = a op b as 0/1: op 0 ==, 1 !=, 2 >, 3 >=, 4 <, 5 <=; modes as binary.
  bool (*compare)(int op, const float* a, const float* b, uint8_t* out, size_t n, int mode, size_t period, size_t group);
  // op 0 relu, 1 leaky relu (alpha), 2 step (alpha below 0), 3 square, 4 neg, 5 rsqrt, 6 sqrt,
  // 7 exp, 8 abs, 9 log, 10 sign, 11 floor.
  bool (*unary)(int op, const float* x, float* out, size_t n, float alpha);
  void (*select)(const uint8_t* condition, const float* a, const float* b, float* out, size_t n);
  // out = x cast from storage `from` to `to` (to bool: x != 0).
  bool (*convert)(StorageKind from, StorageKind to, const void* x, void* out, size_t n);
  // y[r, j] = (x[r, j] - mean[j]) * k[j] + offset[j] over [rows, c].
  void (*batchNorm)(const float* x, const float* mean, const float* k, const float* offset, float* y, size_t rows, size_t c);
  void (*addN)(const float* const* inputs, size_t count, float* out, size_t n);
  // out[o, j] = scale * sum over r of x[o, r, j], x viewed as [outer, reduced, inner], float64 sums.
  void (*reduce)(const float* x, float* out, size_t outer, size_t reduced, size_t inner, double scale);
  // Per-channel sums of x [rows, c] and of x * y (x * x when y is null), float64.
  void (*channelSums)(const float* x, const float* y, size_t rows, size_t c, double* sum, double* sumProduct);
  // y[r, j] = x[r, j] * k[j] + shift[j].
  void (*scaleShift)(const float* x, const float* k, const float* shift, float* y, size_t rows, size_t c);
  // dx[r, j] = a[j] * dy[r, j] + b[j] * x[r, j] + d[j].
  void (*affine2)(const float* dy, const float* x, const float* a, const float* b, const float* d, float* dx, size_t rows, size_t c);
  // y[r, j] = act(x[r, j] * k[j] + shift[j] + residual[r, j]) (no residual when null); act 0 none,
  // 1 relu, 2 leaky relu with `slope` > 0 (tfjs's: v < 0 ? slope * v : v; NaN passes).
  void (*scaleShiftAct)(const float* x, const float* k, const float* shift, const float* residual, float* y, size_t rows, size_t c, int act, float slope);
  // channelSums of g = dy * act'(from y) and of g * x: act' is 1 where y > 0, else 0 (relu) or
  // slope (leaky), NaN where y is NaN (tfjs's step); act 0 = plain dy.
  void (*maskedChannelSums)(const float* dy, const float* y, const float* x, int act, float slope, size_t rows, size_t c, double* sum, double* sumProduct);
  // dx = a[j] * g + b[j] * x + d[j] with g as in maskedChannelSums; g also goes to dg unless null.
  void (*maskedAffine2)(const float* dy, const float* y, const float* x, int act, float slope, const float* a, const float* b, const float* d, float* dx, float* dg, size_t rows, size_t c);
};

extern const ElementwiseKernels kElementwise_baseline;
#if defined(JOINTSHOT_X86_VARIANTS)
extern const ElementwiseKernels kElementwise_avx2;
extern const ElementwiseKernels kElementwise_avx512;
#endif

// The fused Winograd F(4x4, 3x3) inference convolution (wino.cc): 3x3, stride 1, padding 1,
// 16-256 input and output channels in multiples of 16. Only in the AVX-512 build; call it only
// where fusedWinogradRuns().
constexpr int kWinogradMaxChannels = 256;

// Strides in floats of an activation in blocks of 16 channels: NHWC [N,H,W,C] is {H*W*C, 16, C},
// nChw16c is {C*H*W, H*W*16, 16}.
struct WinogradLayout {
  long image, block, pixel;
};

struct WinogradArgs {
  const float* x;
  WinogradLayout xLayout;
  int n, h, w, ic, oc;
  const float* u;         // winogradFilter's transformed filter
  const float* bias;      // [oc] or null
  const float* residual;  // added before the activation, or null
  WinogradLayout residualLayout;
  float* y;
  WinogradLayout yLayout;
  int activation;  // 0 none, 1 ReLU with slope `alpha` below 0 (tfjs's leaky ReLU where alpha != 0)
  float alpha;
};

// The filter HWIO [3,3,ic,oc] times scale[o] (null: 1) transformed: [oc/16][36][ic][16] floats.
// rotated: w is [3,3,oc,ic] and the filter is w rotated by 180 degrees with its channels swapped
// (a backward data's), read in place.
void winogradFilter(const float* w, const float* scale, int ic, int oc, float* u, bool rotated = false);
void winogradForward(const WinogradArgs& args);
// The weight gradient of a 3x3, stride-1, padding-1 convolution by the same F(4x4, 3x3)
// transforms: dw (HWIO [3,3,ic,oc], overwritten) = sum over images and pixels of x patch * dy.
struct WinogradGradArgs {
  const float* x;
  WinogradLayout xLayout;
  const float* dy;
  WinogradLayout dyLayout;
  int n, h, w, ic, oc;
  float* dw;
};
void winogradBackwardWeights(const WinogradGradArgs& args);
// Whether the active kernel table is the AVX-512 one (the only build with winogradForward).
bool fusedWinogradRuns();

}  // namespace jointshot
