// The element-wise loops of kernels.h, compiled once per instruction set: binding.gyp builds this
// file with -DJOINTSHOT_ISA=<name> and that set's -march, and the table is kElementwise_<name>.
// Everything here has internal linkage and no C++ library template is used: an inline function
// emitted by several copies of this file (one per -march) would be merged by the linker into one,
// possibly the AVX-512 one, and run on every CPU.
#include "kernels.h"

#include <cstring>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef JOINTSHOT_ISA
#define JOINTSHOT_ISA baseline
#endif
#define JOINTSHOT_CAT2(a, b) a##b
#define JOINTSHOT_CAT(a, b) JOINTSHOT_CAT2(a, b)
#define JOINTSHOT_STR2(a) #a
#define JOINTSHOT_STR(a) JOINTSHOT_STR2(a)

namespace jointshot {
namespace {

// Below this many elements a loop stays on one thread (thread start-up costs more).
constexpr size_t kParallelMin = 1 << 15;
// Columns summed together per task of reduce (their float64 partial sums stay in L1).
constexpr size_t kColumnBlock = 512;

inline size_t smaller(size_t a, size_t b) { return a < b ? a : b; }

inline int maxThreads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// Threads in the current parallel region (1 outside one or without OpenMP).
inline int teamSize() {
#ifdef _OPENMP
  return omp_get_num_threads();
#else
  return 1;
#endif
}

// Adds this thread's a (and b, unless null) to sumA (sumB) in thread order: iteration i of the
// ordered loop goes to thread i, so the sums are the same on every run (under `omp critical` their
// order changed from run to run with three threads or more). Every thread of a parallel region
// must call it; outside one it just adds.
inline void addInThreadOrder(const double* a, const double* b, double* sumA, double* sumB, size_t n) {
  const int team = teamSize();
#pragma omp for ordered schedule(static, 1)
  for (int i = 0; i < team; i++) {
#pragma omp ordered
    for (size_t j = 0; j < n; j++) {
      sumA[j] += a[j];
      if (b) sumB[j] += b[j];
    }
  }
}

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

// out[i] = f(a[ia], b[ib]) over `n` outputs in the modes of kernels.h. Each thread works on its
// own copy of `f`: read through the shared closure, captured values (an alpha) would be reloaded
// after every store (they might alias `out`) and the loop would not vectorise.
template <typename Out, typename F>
void broadcastLoop(const float* a, const float* b, Out* out, size_t n, int mode, size_t period, size_t group, F f) {
  const long long count = static_cast<long long>(n);
  const long long rows = mode == 0 ? 0 : count / static_cast<long long>(period);  // period is unused (maybe 0) in mode 0
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
        const size_t end = smaller(hi, (run + 1) * group);
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

bool binary(int op, const float* a, const float* b, float* out, size_t n, int mode, size_t period, size_t group) {
  switch (op) {
    case 0: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return x + y; }); return true;
    case 1: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return x - y; }); return true;
    case 2: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return x * y; }); return true;
    case 3: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return x / y; }); return true;
    case 4: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return __builtin_isnan(x) || __builtin_isnan(y) ? __builtin_nanf("") : (x > y ? x : y); }); return true;
    case 5: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return __builtin_isnan(x) || __builtin_isnan(y) ? __builtin_nanf("") : (x < y ? x : y); }); return true;
    case 6: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) { return (x - y) * (x - y); }); return true;
    default: return false;
  }
}

bool compare(int op, const float* a, const float* b, uint8_t* out, size_t n, int mode, size_t period, size_t group) {
  switch (op) {
    case 0: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x == y; }); return true;
    case 1: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x != y; }); return true;
    case 2: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x > y; }); return true;
    case 3: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x >= y; }); return true;
    case 4: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x < y; }); return true;
    case 5: broadcastLoop(a, b, out, n, mode, period, group, [](float x, float y) -> uint8_t { return x <= y; }); return true;
    default: return false;
  }
}

// out[i] = f(x[i]), each thread with its own copy of `f` (see broadcastLoop).
template <typename In, typename Out, typename F>
void mapLoop(const In* x, Out* out, size_t n, F f) {
  const long long count = static_cast<long long>(n);
#pragma omp parallel if (n >= kParallelMin)
  {
    const F g = f;
#pragma omp for schedule(static)
    for (long long i = 0; i < count; i++) out[i] = g(x[i]);
  }
}

bool unary(int op, const float* x, float* out, size_t n, float alpha) {
  switch (op) {
    // NaN passes through relu and leaky relu, as in tfjs.
    case 0: mapLoop(x, out, n, [](float v) { return v < 0 ? 0.0f : v; }); return true;
    case 1: mapLoop(x, out, n, [alpha](float v) { return v < 0 ? alpha * v : v; }); return true;
    case 2: mapLoop(x, out, n, [alpha](float v) { return __builtin_isnan(v) ? __builtin_nanf("") : (v > 0 ? 1.0f : alpha); }); return true;
    case 3: mapLoop(x, out, n, [](float v) { return v * v; }); return true;
    case 4: mapLoop(x, out, n, [](float v) { return -v; }); return true;
    case 5: mapLoop(x, out, n, [](float v) { return 1.0f / __builtin_sqrtf(v); }); return true;
    case 6: mapLoop(x, out, n, [](float v) { return __builtin_sqrtf(v); }); return true;
    case 7: mapLoop(x, out, n, [](float v) { return __builtin_expf(v); }); return true;
    case 8: mapLoop(x, out, n, [](float v) { return __builtin_fabsf(v); }); return true;
    case 9: mapLoop(x, out, n, [](float v) { return __builtin_logf(v); }); return true;
    // 0 for 0 and NaN, as in tfjs.
    case 10: mapLoop(x, out, n, [](float v) { return v < 0 ? -1.0f : (v > 0 ? 1.0f : 0.0f); }); return true;
    case 11: mapLoop(x, out, n, [](float v) { return __builtin_floorf(v); }); return true;
    default: return false;
  }
}

void select(const uint8_t* c, const float* a, const float* b, float* out, size_t n) {
  const long long count = static_cast<long long>(n);
#pragma omp parallel for if (n >= kParallelMin) schedule(static)
  for (long long i = 0; i < count; i++) out[i] = c[i] ? a[i] : b[i];
}

bool convert(StorageKind from, StorageKind to, const void* x, void* out, size_t n) {
  const auto toFloat = [](auto v) { return static_cast<float>(v); };
  // NaN != 0 holds, so NaN casts to true as in tfjs.
  const auto toBool = [](auto v) -> uint8_t { return v != 0; };
  if (to == kFloat32 && from == kUint8) return mapLoop(static_cast<const uint8_t*>(x), static_cast<float*>(out), n, toFloat), true;
  if (to == kFloat32 && from == kInt32) return mapLoop(static_cast<const int32_t*>(x), static_cast<float*>(out), n, toFloat), true;
  if (to == kUint8 && from == kFloat32) return mapLoop(static_cast<const float*>(x), static_cast<uint8_t*>(out), n, toBool), true;
  if (to == kUint8 && from == kInt32) return mapLoop(static_cast<const int32_t*>(x), static_cast<uint8_t*>(out), n, toBool), true;
  return false;
}

void batchNorm(const float* x, const float* m, const float* k, const float* o, float* y, size_t rows, size_t c) {
  const long long count = static_cast<long long>(rows);
#pragma omp parallel for if (rows * c >= kParallelMin) schedule(static)
  for (long long r = 0; r < count; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    for (size_t j = 0; j < c; j++) yr[j] = (xr[j] - m[j]) * k[j] + o[j];
  }
}

void addN(const float* const* inputs, size_t count, float* out, size_t n) {
  const long long total = static_cast<long long>(n);
#pragma omp parallel for if (n >= kParallelMin) schedule(static)
  for (long long i = 0; i < total; i++) {
    float s = inputs[0][i];
    for (size_t j = 1; j < count; j++) s += inputs[j][i];
    out[i] = s;
  }
}

// Many (outer, column block) tasks: one thread each. Few (a sum over leading axes into a short
// row, or whole sums): the rows are split among the threads, each with its own partial sums.
void reduce(const float* x, float* out, size_t outer, size_t reduced, size_t inner, double scale) {
  const size_t n = outer * reduced * inner;
  if (outer * inner == 0) return;
  const size_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  const long long tasks = static_cast<long long>(outer * blocks);
  if (tasks >= 4LL * maxThreads() || n < kParallelMin) {
#pragma omp parallel if (n >= kParallelMin)
    {
      double* acc = new double[smaller(inner, kColumnBlock)];
#pragma omp for schedule(static)
      for (long long t = 0; t < tasks; t++) {
        const size_t o = t / blocks, j0 = (t % blocks) * kColumnBlock, width = smaller(inner - j0, kColumnBlock);
        const float* base = x + o * reduced * inner + j0;
        float* target = out + o * inner + j0;
        if (width == 1) {
          double s = 0;
#pragma omp simd reduction(+ : s)
          for (size_t r = 0; r < reduced; r++) s += base[r * inner];
          target[0] = static_cast<float>(s * scale);
          continue;
        }
        for (size_t j = 0; j < width; j++) acc[j] = 0;
        for (size_t r = 0; r < reduced; r++) {
          const float* row = base + r * inner;
          for (size_t j = 0; j < width; j++) acc[j] += row[j];
        }
        for (size_t j = 0; j < width; j++) target[j] = static_cast<float>(acc[j] * scale);
      }
      delete[] acc;
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
  double* total = new double[kept]();
  const long long rows = static_cast<long long>(outer * reduced);
#pragma omp parallel
  {
    double* part = new double[kept]();
#pragma omp for schedule(static)
    for (long long q = 0; q < rows; q++) {
      const float* row = x + q * inner;
      double* acc = part + (q / reduced) * inner;
      for (size_t j = 0; j < inner; j++) acc[j] += row[j];
    }
    addInThreadOrder(part, nullptr, total, nullptr, kept);
    delete[] part;
  }
  for (size_t k = 0; k < kept; k++) out[k] = static_cast<float>(total[k] * scale);
  delete[] total;
}

// Rows of one block of blockSums: fixed by the channel count alone, so that the sums do not depend
// on the number of threads; and the rows summed in float (in registers) before each addition into
// a block's float64 sums.
constexpr size_t kSumBlockElements = 16384;
constexpr size_t kSumBlockMinRows = 64;
constexpr size_t kFloatRows = 16;
// Rows of fewer channels go through blockSums; wider ones through a loop over each row into
// per-thread float64 sums (vectorised over the row; the same on every run, but not for every
// thread count), as fast as or faster than blockSums' passes of 16 channels from 64 channels on.
constexpr size_t kBlockSumsMaxChannels = 64;

// 16 floats as a GCC/Clang vector type: one register on AVX-512, split by the compiler elsewhere.
// (Left to the auto-vectoriser, a 16-channel loop was unrolled into scalar adds.)
typedef float Floats16 __attribute__((vector_size(64)));

inline Floats16 load16(const float* p) {
  Floats16 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

// The element at i, or the 16 from i (the second argument picks which).
inline float at(const float* p, size_t i, float) { return p[i]; }
inline Floats16 at(const float* p, size_t i, Floats16) { return load16(p + i); }

// s[0..16) += v in float64.
inline void addTo(double* s, Floats16 v) {
  for (int l = 0; l < 16; l++) s[l] += v[l];
}

// Adds term's pair (a, b) over rows [r0, r1) of channels [j0, j0 + 16) to s and p; term takes the
// offset of 16 consecutive elements.
template <typename Term>
inline void sumColumns(size_t r0, size_t r1, size_t c, size_t j0, double* s, double* p, const Term& term) {
  for (size_t r = r0; r < r1; r += kFloatRows) {
    // Two sets of sums (even and odd rows): one chain of dependent adds per set.
    Floats16 as[2] = {}, ap[2] = {};
    const size_t end = smaller(r + kFloatRows, r1);
    size_t q = r;
    for (; q + 2 <= end; q += 2) {
      for (int h = 0; h < 2; h++) {
        Floats16 a, b;
        term((q + h) * c + j0, a, b);
        as[h] += a;
        ap[h] += b;
      }
    }
    if (q < end) {
      Floats16 a, b;
      term(q * c + j0, a, b);
      as[0] += a;
      ap[0] += b;
    }
    addTo(s + j0, as[0] + as[1]);
    addTo(p + j0, ap[0] + ap[1]);
  }
}

// Scratch of blockSums kept between calls (a fresh block per call cost first-touch page faults),
// one per thread that calls the kernels.
double* blockScratch(size_t doubles) {
  struct Scratch {
    double* block = nullptr;
    size_t size = 0;
    ~Scratch() { delete[] block; }
  };
  static thread_local Scratch scratch;
  if (scratch.size < doubles) {
    delete[] scratch.block;
    scratch.block = nullptr;
    scratch.size = 0;
    scratch.block = new double[doubles];
    scratch.size = doubles;
  }
  return scratch.block;
}

// Per-channel sums of term's pair over the rows of [rows, c]: each block of rows summed on its own
// (16 channels at a time, vectorised), the blocks' float64 sums then added in block order: the
// same result for any number of threads. With the per-row loop the batch-norm forward on 16
// channels took 1.6x as long (docs/performance.md, "Batch-norm sums by blocks of rows").
template <typename Term>
void blockSums(size_t rows, size_t c, double* sum, double* sumProduct, const Term& term) {
  const size_t blockRows = kSumBlockElements / c > kSumBlockMinRows ? kSumBlockElements / c : kSumBlockMinRows;
  const size_t blocks = (rows + blockRows - 1) / blockRows;
  double* partial = blockScratch(blocks * 2 * c);
  const long long count = static_cast<long long>(blocks);
#pragma omp parallel for if (rows * c >= kParallelMin) schedule(static)
  for (long long k = 0; k < count; k++) {
    const Term t = term;
    double* s = partial + static_cast<size_t>(k) * 2 * c;
    double* p = s + c;
    for (size_t j = 0; j < c; j++) s[j] = p[j] = 0;
    const size_t r0 = static_cast<size_t>(k) * blockRows, r1 = smaller(r0 + blockRows, rows);
    const size_t vectorised = c / 16 * 16;
    for (size_t j0 = 0; j0 < vectorised; j0 += 16) sumColumns(r0, r1, c, j0, s, p, t);
    for (size_t r = r0; r < r1; r++) {
      for (size_t j = vectorised; j < c; j++) {
        float a, b;
        t(r * c + j, a, b);
        s[j] += a;
        p[j] += b;
      }
    }
  }
  for (size_t j = 0; j < c; j++) sum[j] = sumProduct[j] = 0;
  for (size_t k = 0; k < blocks; k++) {
    const double* s = partial + k * 2 * c;
    for (size_t j = 0; j < c; j++) {
      sum[j] += s[j];
      sumProduct[j] += s[c + j];
    }
  }
}

// channelSums' pair: x and x * y (y = x for sums of squares), for one float or 16.
struct ProductTerm {
  const float* x;
  const float* y;
  template <typename T>
  void operator()(size_t i, T& a, T& b) const {
    const T v = at(x, i, T{});
    a = v;
    b = v * at(y, i, T{});
  }
};

void rowChannelSums(const float* x, const float* y, size_t rows, size_t c, double* sum, double* sumProduct) {
  for (size_t j = 0; j < c; j++) sum[j] = sumProduct[j] = 0;
  const long long count = static_cast<long long>(rows);
#pragma omp parallel if (rows * c >= kParallelMin)
  {
    double* s = new double[c]();
    double* p = new double[c]();
#pragma omp for schedule(static) nowait
    for (long long r = 0; r < count; r++) {
      const float* xr = x + r * c;
      const float* yr = y ? y + r * c : xr;
      for (size_t j = 0; j < c; j++) {
        s[j] += xr[j];
        p[j] += static_cast<double>(xr[j]) * yr[j];
      }
    }
    addInThreadOrder(s, p, sum, sumProduct, c);
    delete[] s;
    delete[] p;
  }
}

void channelSums(const float* x, const float* y, size_t rows, size_t c, double* sum, double* sumProduct) {
  if (c >= kBlockSumsMaxChannels) return rowChannelSums(x, y, rows, c, sum, sumProduct);
  blockSums(rows, c, sum, sumProduct, ProductTerm{x, y ? y : x});
}

void scaleShift(const float* x, const float* k, const float* shift, float* y, size_t rows, size_t c) {
  const long long count = static_cast<long long>(rows);
#pragma omp parallel for if (rows * c >= kParallelMin) schedule(static)
  for (long long r = 0; r < count; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    for (size_t j = 0; j < c; j++) yr[j] = xr[j] * k[j] + shift[j];
  }
}

void affine2(const float* dy, const float* x, const float* a, const float* b, const float* d, float* dx, size_t rows, size_t c) {
  const long long count = static_cast<long long>(rows);
#pragma omp parallel for if (rows * c >= kParallelMin) schedule(static)
  for (long long r = 0; r < count; r++) {
    const float* xr = x + r * c;
    const float* dyr = dy + r * c;
    float* dxr = dx + r * c;
    for (size_t j = 0; j < c; j++) dxr[j] = a[j] * dyr[j] + b[j] * xr[j] + d[j];
  }
}

// act(v) of scaleShiftAct: 0 none, 1 relu, 2 leaky relu (as the unary kernels 0 and 1).
template <int Act>
inline float activate(float v, float slope) {
  if (Act == 1) return v < 0 ? 0.0f : v;
  if (Act == 2) return v < 0 ? slope * v : v;
  return v;
}

// dy * act'(pre-activation) from the activation's output y: the pre-activation is > 0 exactly
// where y is (relu; leaky relu with slope > 0). tfjs's step (NaN stays NaN) times dy.
template <int Act>
inline float masked(float dy, float y, float slope) {
  if (Act == 0) return dy;
  return dy * (y > 0 ? 1.0f : (__builtin_isnan(y) ? __builtin_nanf("") : (Act == 1 ? 0.0f : slope)));
}

// masked for 16 lanes.
template <int Act>
inline Floats16 masked(Floats16 dy, Floats16 y, float slope) {
  if (Act == 0) return dy;
  const Floats16 zero{}, one = zero + 1.0f, low = zero + (Act == 1 ? 0.0f : slope), nan = zero + __builtin_nanf("");
  return dy * (y > zero ? one : (y != y ? nan : low));
}

template <int Act>
void scaleShiftActT(const float* x, const float* k, const float* shift, const float* residual, float* y, size_t rows, size_t c, float slope) {
  const long long count = static_cast<long long>(rows);
#pragma omp parallel for if (rows * c >= kParallelMin) schedule(static)
  for (long long r = 0; r < count; r++) {
    const float* xr = x + r * c;
    float* yr = y + r * c;
    if (residual) {
      const float* rr = residual + r * c;
      for (size_t j = 0; j < c; j++) {
        const float v = xr[j] * k[j] + shift[j];
        yr[j] = activate<Act>(v + rr[j], slope);
      }
    } else {
      for (size_t j = 0; j < c; j++) yr[j] = activate<Act>(xr[j] * k[j] + shift[j], slope);
    }
  }
}

// maskedChannelSums' pair: g = dy * act'(from y) and g * x, for one float or 16.
template <int Act>
struct MaskedProductTerm {
  const float* dy;
  const float* y;
  const float* x;
  float slope;
  template <typename T>
  void operator()(size_t i, T& a, T& b) const {
    a = masked<Act>(at(dy, i, T{}), at(y, i, T{}), slope);
    b = a * at(x, i, T{});
  }
};

template <int Act>
void rowMaskedChannelSums(const float* dy, const float* y, const float* x, float slope, size_t rows, size_t c, double* sum, double* sumProduct) {
  for (size_t j = 0; j < c; j++) sum[j] = sumProduct[j] = 0;
  const long long count = static_cast<long long>(rows);
#pragma omp parallel if (rows * c >= kParallelMin)
  {
    double* s = new double[c]();
    double* p = new double[c]();
#pragma omp for schedule(static) nowait
    for (long long r = 0; r < count; r++) {
      const float* dyr = dy + r * c;
      const float* yr = y + r * c;
      const float* xr = x + r * c;
      for (size_t j = 0; j < c; j++) {
        const float g = masked<Act>(dyr[j], yr[j], slope);
        s[j] += g;
        p[j] += static_cast<double>(g) * xr[j];
      }
    }
    addInThreadOrder(s, p, sum, sumProduct, c);
    delete[] s;
    delete[] p;
  }
}

template <int Act>
void maskedChannelSumsT(const float* dy, const float* y, const float* x, float slope, size_t rows, size_t c, double* sum, double* sumProduct) {
  if (c >= kBlockSumsMaxChannels) return rowMaskedChannelSums<Act>(dy, y, x, slope, rows, c, sum, sumProduct);
  blockSums(rows, c, sum, sumProduct, MaskedProductTerm<Act>{dy, y, x, slope});
}

template <int Act>
void maskedAffine2T(const float* dy, const float* y, const float* x, float slope, const float* a, const float* b, const float* d, float* dx, float* dg, size_t rows, size_t c) {
  const long long count = static_cast<long long>(rows);
#pragma omp parallel for if (rows * c >= kParallelMin) schedule(static)
  for (long long r = 0; r < count; r++) {
    // Restricted: with this many arrays the compiler's alias checks otherwise give up vectorizing.
    const float* __restrict xr = x + r * c;
    const float* __restrict dyr = dy + r * c;
    const float* __restrict yr = y + r * c;
    const float* __restrict ar = a;
    const float* __restrict br = b;
    const float* __restrict dr = d;
    float* __restrict dxr = dx + r * c;
    if (dg) {
      float* __restrict dgr = dg + r * c;
      // Two simple loops over the row (it stays in L1): GCC does not vectorize one with both stores.
      for (size_t j = 0; j < c; j++) dgr[j] = masked<Act>(dyr[j], yr[j], slope);
      for (size_t j = 0; j < c; j++) dxr[j] = ar[j] * dgr[j] + br[j] * xr[j] + dr[j];
    } else {
      for (size_t j = 0; j < c; j++) dxr[j] = ar[j] * masked<Act>(dyr[j], yr[j], slope) + br[j] * xr[j] + dr[j];
    }
  }
}

void scaleShiftAct(const float* x, const float* k, const float* shift, const float* residual, float* y, size_t rows, size_t c, int act, float slope) {
  if (act == 1) return scaleShiftActT<1>(x, k, shift, residual, y, rows, c, slope);
  if (act == 2) return scaleShiftActT<2>(x, k, shift, residual, y, rows, c, slope);
  scaleShiftActT<0>(x, k, shift, residual, y, rows, c, slope);
}

void maskedChannelSums(const float* dy, const float* y, const float* x, int act, float slope, size_t rows, size_t c, double* sum, double* sumProduct) {
  if (act == 1) return maskedChannelSumsT<1>(dy, y, x, slope, rows, c, sum, sumProduct);
  if (act == 2) return maskedChannelSumsT<2>(dy, y, x, slope, rows, c, sum, sumProduct);
  maskedChannelSumsT<0>(dy, y, x, slope, rows, c, sum, sumProduct);
}

void maskedAffine2(const float* dy, const float* y, const float* x, int act, float slope, const float* a, const float* b, const float* d, float* dx, float* dg, size_t rows, size_t c) {
  if (act == 1) return maskedAffine2T<1>(dy, y, x, slope, a, b, d, dx, dg, rows, c);
  if (act == 2) return maskedAffine2T<2>(dy, y, x, slope, a, b, d, dx, dg, rows, c);
  maskedAffine2T<0>(dy, y, x, slope, a, b, d, dx, dg, rows, c);
}

}  // namespace

extern const ElementwiseKernels JOINTSHOT_CAT(kElementwise_, JOINTSHOT_ISA) = {
    JOINTSHOT_STR(JOINTSHOT_ISA), binary, compare, unary, select, convert, batchNorm, addN, reduce, channelSums, scaleShift, affine2,
    scaleShiftAct, maskedChannelSums, maskedAffine2,
};

}  // namespace jointshot
