// A fused Winograd F(4x4, 3x3) inference convolution for AVX-512 (own code: speed). oneDNN's
// Winograd kernel runs three passes over memory (input transform, batched matrix products,
// output transform). Here each group of kTiles output tiles goes through all three while its
// transforms are still in cache, and the folded batch norm (scale in the filter, shift as bias),
// the residual and the (leaky) ReLU are applied as the tile is written. Activations are read and
// written in place, NHWC or nChw16c, with no reorder. Per convolution it took 0.57-0.87x the time
// of oneDNN's jit_wino_4x3 at 16-256 channels, and 1.2-2x at 320-640, where every group streams
// the whole transformed filter (docs/performance.md, "Fused Winograd"): hence kWinogradMaxChannels.
// Compiled only into the AVX-512 kernel library (binding.gyp); the addon calls it only where that
// library is the active one (kernels.h, fusedWinogradRuns).
#include "kernels.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace jointshot {
namespace {

constexpr int kTiles = 8;  // output tiles per group: the matrix product keeps 2 x kTiles sums in registers
constexpr int kGradTiles = 32;  // tiles per group of the weight gradient

// One activation element's address: image n, channel block cb (16 channels), pixel (y, x).
inline const float* at(const float* base, const WinogradLayout& l, int w, long n, int cb, int y, int x) {
  return base + n * l.image + cb * l.block + (static_cast<long>(y) * w + x) * l.pixel;
}

// B^T d B for one 6x6 patch of 16 channels, in place.
inline void inputTransform(__m512 d[6][6]) {
  const __m512 two = _mm512_set1_ps(2.0f), four = _mm512_set1_ps(4.0f), five = _mm512_set1_ps(5.0f);
  auto rows = [&](__m512 v0, __m512 v1, __m512 v2, __m512 v3, __m512 v4, __m512 v5, __m512* o) {
    o[0] = _mm512_fmadd_ps(four, v0, _mm512_fnmadd_ps(five, v2, v4));
    o[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(v1, v2), _mm512_add_ps(v4, v3));
    o[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(v1, v2), _mm512_sub_ps(v4, v3));
    o[3] = _mm512_fmadd_ps(two, _mm512_sub_ps(v3, v1), _mm512_sub_ps(v4, v2));
    o[4] = _mm512_fnmadd_ps(two, _mm512_sub_ps(v3, v1), _mm512_sub_ps(v4, v2));
    o[5] = _mm512_fmadd_ps(four, v1, _mm512_fnmadd_ps(five, v3, v5));
  };
  __m512 t[6][6], o[6];
  for (int j = 0; j < 6; j++) {
    rows(d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j], o);
    for (int i = 0; i < 6; i++) t[i][j] = o[i];
  }
  for (int i = 0; i < 6; i++) rows(t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], d[i]);
}

// Tile `tile` of a map of th x tw tiles per image: its image n and tile row and column.
inline void tilePosition(long tile, int th, int tw, long* n, int* ty, int* tx) {
  *n = tile / (th * tw);
  *ty = static_cast<int>(tile % (th * tw)) / tw;
  *tx = static_cast<int>(tile % tw);
}

// B^T d B of the 6x6 input patch of tile (ty, tx) in image n, channel block cb (zeros outside the
// map, and everywhere when `valid` is false: a tile past the last).
inline void transformedPatch(const float* x, const WinogradLayout& l, int h, int w, long n, int cb, int ty, int tx, bool valid, __m512 d[6][6]) {
  const int y0 = ty * 4 - 1, x0 = tx * 4 - 1;
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 6; j++) {
      const int y = y0 + i, xx = x0 + j;
      d[i][j] = valid && y >= 0 && y < h && xx >= 0 && xx < w ? _mm512_loadu_ps(at(x, l, w, n, cb, y, xx)) : _mm512_setzero_ps();
    }
  inputTransform(d);
}

// A^T m A for one 6x6 product of 16 channels into 4x4 outputs.
inline void outputTransform(const float* m, __m512 out[4][4]) {
  auto cols = [](__m512 v0, __m512 v1, __m512 v2, __m512 v3, __m512 v4, __m512 v5, __m512* o) {
    const __m512 a = _mm512_add_ps(v1, v2), b = _mm512_sub_ps(v1, v2), c = _mm512_add_ps(v3, v4), d = _mm512_sub_ps(v3, v4);
    o[0] = _mm512_add_ps(_mm512_add_ps(v0, a), c);
    o[1] = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), d, b);
    o[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), c, a);
    o[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8.0f), d, b), v5);
  };
  __m512 t[4][6], o[4];
  for (int j = 0; j < 6; j++) {
    const float* c = m + j * 16;
    cols(_mm512_load_ps(c), _mm512_load_ps(c + 96), _mm512_load_ps(c + 192), _mm512_load_ps(c + 288), _mm512_load_ps(c + 384),
         _mm512_load_ps(c + 480), o);
    for (int i = 0; i < 4; i++) t[i][j] = o[i];
  }
  for (int i = 0; i < 4; i++) cols(t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], out[i]);
}

// Sums over the input channels for positions p of kTiles tiles and output blocks ob, ob + 1 (when
// `pair`): m[j][t][p] = sum over c of v[p][t][c] * u[ob + j][p][c].
template <bool pair>
inline void multiply(const float* v, const float* u, int ic, int ob, float* m) {
  const size_t uBlock = static_cast<size_t>(36) * ic * 16;
  for (int p = 0; p < 36; p++) {
    const float* vp = v + static_cast<size_t>(p) * kTiles * ic;
    const float* u0 = u + ob * uBlock + static_cast<size_t>(p) * ic * 16;
    const float* u1 = u0 + uBlock;
    __m512 s0[kTiles], s1[kTiles];
#pragma GCC unroll 8
    for (int t = 0; t < kTiles; t++) s0[t] = s1[t] = _mm512_setzero_ps();
    for (int c = 0; c < ic; c++) {
      const __m512 w0 = _mm512_load_ps(u0 + c * 16);
      const __m512 w1 = pair ? _mm512_load_ps(u1 + c * 16) : w0;
#pragma GCC unroll 8
      for (int t = 0; t < kTiles; t++) {
        const __m512 x = _mm512_set1_ps(vp[t * ic + c]);
        s0[t] = _mm512_fmadd_ps(x, w0, s0[t]);
        if (pair) s1[t] = _mm512_fmadd_ps(x, w1, s1[t]);
      }
    }
#pragma GCC unroll 8
    for (int t = 0; t < kTiles; t++) {
      _mm512_store_ps(m + (t * 36 + p) * 16, s0[t]);
      if (pair) _mm512_store_ps(m + ((kTiles + t) * 36 + p) * 16, s1[t]);
    }
  }
}

// A dy A^T for one 4x4 patch of 16 channels into 6x6 (the output transform's adjoint: the weight
// gradient is G^T [(B^T x B) . (A dy A^T)] G summed over tiles).
inline void gradientTransform(__m512 d[4][4], __m512 out[6][6]) {
  auto rows = [](__m512 d0, __m512 d1, __m512 d2, __m512 d3, __m512* o) {
    const __m512 a = _mm512_add_ps(d0, d2), b = _mm512_add_ps(d1, d3);
    const __m512 c = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), d2, d0), e = _mm512_fmadd_ps(_mm512_set1_ps(8.0f), d3, _mm512_add_ps(d1, d1));
    o[0] = d0;
    o[1] = _mm512_add_ps(a, b);
    o[2] = _mm512_sub_ps(a, b);
    o[3] = _mm512_add_ps(c, e);
    o[4] = _mm512_sub_ps(c, e);
    o[5] = d3;
  };
  __m512 t[6][4], o[6];
  for (int j = 0; j < 4; j++) {
    rows(d[0][j], d[1][j], d[2][j], d[3][j], o);
    for (int i = 0; i < 6; i++) t[i][j] = o[i];
  }
  for (int i = 0; i < 6; i++) rows(t[i][0], t[i][1], t[i][2], t[i][3], out[i]);
}

// Floats between the 36 positions of a group's transformed tiles: one cache line more than the
// tiles take, so that the 36 stores of one tile do not all fall into the same L1 set (at 64
// channels the unpadded stride is 8 KiB, and the transforms ran 5x slower).
inline size_t gradStride(int channels) { return static_cast<size_t>(kGradTiles) * channels + 16; }

// m[p][i][o] += sum over the group's tiles t of v[p][t][i] * gy[p][t][o]: `rows` input channels
// by 1 (rows 16) or 2 (rows 8) blocks of 16 output channels, 16 sums in registers.
template <int rows>
inline void accumulateProducts(const float* v, const float* gy, int ic, int oc, int tiles, int ib, int ob, float* m) {
  constexpr bool pair = rows == 8;
  for (int p = 0; p < 36; p++) {
    const float* vp = v + p * gradStride(ic) + ib;
    const float* gp = gy + p * gradStride(oc) + ob * 16;
    __m512 s0[rows], s1[rows];
#pragma GCC unroll 16
    for (int r = 0; r < rows; r++) s0[r] = s1[r] = _mm512_setzero_ps();
    for (int t = 0; t < tiles; t++) {
      const __m512 g0 = _mm512_load_ps(gp + t * oc);
      const __m512 g1 = pair ? _mm512_load_ps(gp + t * oc + 16) : g0;
#pragma GCC unroll 16
      for (int r = 0; r < rows; r++) {
        const __m512 x = _mm512_set1_ps(vp[t * ic + r]);
        s0[r] = _mm512_fmadd_ps(x, g0, s0[r]);
        if (pair) s1[r] = _mm512_fmadd_ps(x, g1, s1[r]);
      }
    }
    float* mp = m + (static_cast<size_t>(p) * ic + ib) * oc + ob * 16;
#pragma GCC unroll 16
    for (int r = 0; r < rows; r++) {
      _mm512_store_ps(mp + r * oc, _mm512_add_ps(_mm512_load_ps(mp + r * oc), s0[r]));
      if (pair) _mm512_store_ps(mp + r * oc + 16, _mm512_add_ps(_mm512_load_ps(mp + r * oc + 16), s1[r]));
    }
  }
}

// This thread's working memory of at least `floats` floats, 64-byte aligned (kept between calls).
float* threadBuffer(size_t floats) {
  struct Buffer {
    float* data = nullptr;
    size_t size = 0;
    ~Buffer() { std::free(data); }
  };
  thread_local Buffer b;
  if (b.size < floats) {
    std::free(b.data);
    b.size = ((floats + 15) / 16) * 16;
    b.data = static_cast<float*>(std::aligned_alloc(64, b.size * sizeof(float)));
    if (!b.data) b.size = 0;
  }
  return b.data;
}

}  // namespace

void winogradFilter(const float* w, const float* scale, int ic, int oc, float* u, bool rotated) {
  // G f G^T per filter, 16 output channels at a time in one vector. `rotated`: w is the forward
  // filter [3][3][oc][ic] of the convolution whose backward data this is: taps read 180 degrees
  // around and channels swapped (16 output lanes gathered from stride ic).
  const float g[6][3] = {{1.0f / 4, 0, 0},           {-1.0f / 6, -1.0f / 6, -1.0f / 6}, {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                         {1.0f / 24, 1.0f / 12, 1.0f / 6}, {1.0f / 24, -1.0f / 12, 1.0f / 6}, {0, 0, 1}};
  const int blocks = oc / 16;
  const __m512i lanes = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32(ic));
#pragma omp parallel for if (static_cast<long>(ic) * oc >= 4096) schedule(static)
  for (long job = 0; job < static_cast<long>(blocks) * ic; job++) {
    const int ob = static_cast<int>(job / ic), i = static_cast<int>(job % ic);
    const __m512 k = scale ? _mm512_loadu_ps(scale + ob * 16) : _mm512_set1_ps(1.0f);
    __m512 f[3][3], gf[6][3];
    for (int y = 0; y < 3; y++)
      for (int x = 0; x < 3; x++) {
        const float* tap = rotated ? w + (static_cast<size_t>((2 - y) * 3 + (2 - x)) * oc + ob * 16) * ic + i
                                   : w + (static_cast<size_t>(y * 3 + x) * ic + i) * oc + ob * 16;
        f[y][x] = _mm512_mul_ps(rotated ? _mm512_i32gather_ps(lanes, tap, 4) : _mm512_loadu_ps(tap), k);
      }
    for (int r = 0; r < 6; r++)
      for (int x = 0; x < 3; x++)
        gf[r][x] = _mm512_fmadd_ps(_mm512_set1_ps(g[r][0]), f[0][x], _mm512_fmadd_ps(_mm512_set1_ps(g[r][1]), f[1][x], _mm512_mul_ps(_mm512_set1_ps(g[r][2]), f[2][x])));
    for (int r = 0; r < 6; r++)
      for (int c = 0; c < 6; c++) {
        const __m512 v = _mm512_fmadd_ps(gf[r][0], _mm512_set1_ps(g[c][0]), _mm512_fmadd_ps(gf[r][1], _mm512_set1_ps(g[c][1]), _mm512_mul_ps(gf[r][2], _mm512_set1_ps(g[c][2]))));
        _mm512_store_ps(u + ((static_cast<size_t>(ob) * 36 + r * 6 + c) * ic + i) * 16, v);
      }
  }
}

void winogradForward(const WinogradArgs& a) {
  const int th = (a.h + 3) / 4, tw = (a.w + 3) / 4, icb = a.ic / 16, ocb = a.oc / 16;
  const long tiles = static_cast<long>(a.n) * th * tw, groups = (tiles + kTiles - 1) / kTiles;
  const bool leaky = a.activation == 1 && a.alpha != 0.0f;
#pragma omp parallel if (groups > 1)
  {
    float* v = threadBuffer(static_cast<size_t>(36) * kTiles * a.ic + 2 * kTiles * 36 * 16);
    float* m = v + static_cast<size_t>(36) * kTiles * a.ic;
#pragma omp for schedule(static)
    for (long g = 0; g < groups; g++) {
      // Input transform of the group's tiles (a tile past the last is zeros).
      for (int t = 0; t < kTiles; t++) {
        const long tile = g * kTiles + t;
        long n;
        int ty, tx;
        tilePosition(tile, th, tw, &n, &ty, &tx);
        for (int cb = 0; cb < icb; cb++) {
          __m512 d[6][6];
          transformedPatch(a.x, a.xLayout, a.h, a.w, n, cb, ty, tx, tile < tiles, d);
          for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) _mm512_store_ps(v + (static_cast<size_t>(i * 6 + j) * kTiles + t) * a.ic + cb * 16, d[i][j]);
        }
      }
      for (int ob = 0; ob < ocb; ob += 2) {
        const bool pair = ob + 1 < ocb;
        if (pair) multiply<true>(v, a.u, a.ic, ob, m);
        else multiply<false>(v, a.u, a.ic, ob, m);
        // Output transform, bias, residual, activation; partial tiles write their valid pixels.
        for (int j = 0; j < (pair ? 2 : 1); j++) {
          const int cb = ob + j;
          const __m512 bias = a.bias ? _mm512_loadu_ps(a.bias + cb * 16) : _mm512_setzero_ps();
          const __m512 slope = _mm512_set1_ps(a.alpha);
          for (int t = 0; t < kTiles; t++) {
            const long tile = g * kTiles + t;
            if (tile >= tiles) break;
            long n;
            int ty, tx;
            tilePosition(tile, th, tw, &n, &ty, &tx);
            __m512 o[4][4];
            outputTransform(m + (j * kTiles + t) * 36 * 16, o);
            for (int i = 0; i < 4; i++) {
              const int y = ty * 4 + i;
              if (y >= a.h) break;
              for (int k = 0; k < 4; k++) {
                const int x = tx * 4 + k;
                if (x >= a.w) break;
                __m512 r = _mm512_add_ps(o[i][k], bias);
                if (a.residual) r = _mm512_add_ps(r, _mm512_loadu_ps(at(a.residual, a.residualLayout, a.w, n, cb, y, x)));
                if (a.activation == 1) {
                  if (leaky) r = _mm512_mask_mul_ps(r, _mm512_cmp_ps_mask(r, _mm512_setzero_ps(), _CMP_LT_OQ), r, slope);
                  else r = _mm512_max_ps(r, _mm512_setzero_ps());
                }
                _mm512_storeu_ps(const_cast<float*>(at(a.y, a.yLayout, a.w, n, cb, y, x)), r);
              }
            }
          }
        }
      }
    }
  }
}

void winogradBackwardWeights(const WinogradGradArgs& a) {
  const int th = (a.h + 3) / 4, tw = (a.w + 3) / 4, icb = a.ic / 16, ocb = a.oc / 16;
  const long tiles = static_cast<long>(a.n) * th * tw, groups = (tiles + kGradTiles - 1) / kGradTiles;
  const size_t mFloats = static_cast<size_t>(36) * a.ic * a.oc;
  const int threads = groups > 1 ? omp_get_max_threads() : 1;
  // The threads' sums, kept between calls (a fresh block each call page-faulted in every time).
  static float* sums = nullptr;
  static size_t sumsFloats = 0;
  if (sumsFloats < threads * mFloats) {
    std::free(sums);
    sumsFloats = 0;
    sums = static_cast<float*>(std::aligned_alloc(64, threads * mFloats * sizeof(float)));
    if (!sums) throw std::bad_alloc();
    sumsFloats = threads * mFloats;
  }
  int used = 1;  // threads in the team (OpenMP may give fewer than asked): only theirs are summed
#pragma omp parallel num_threads(threads)
  {
#pragma omp single
    used = omp_get_num_threads();
    std::memset(sums + omp_get_thread_num() * mFloats, 0, mFloats * sizeof(float));
    float* v = threadBuffer(36 * (gradStride(a.ic) + gradStride(a.oc)));
    float* gy = v + 36 * gradStride(a.ic);
    float* m = sums + omp_get_thread_num() * mFloats;
#pragma omp for schedule(static)
    for (long g = 0; g < groups; g++) {
      const int count = static_cast<int>(std::min<long>(kGradTiles, tiles - g * kGradTiles));
      for (int t = 0; t < count; t++) {
        long n;
        int ty, tx;
        tilePosition(g * kGradTiles + t, th, tw, &n, &ty, &tx);
        for (int cb = 0; cb < icb; cb++) {
          __m512 d[6][6];
          transformedPatch(a.x, a.xLayout, a.h, a.w, n, cb, ty, tx, true, d);
          for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) _mm512_store_ps(v + (i * 6 + j) * gradStride(a.ic) + t * a.ic + cb * 16, d[i][j]);
        }
        for (int cb = 0; cb < ocb; cb++) {
          __m512 d[4][4], o[6][6];
          for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
              const int y = ty * 4 + i, x = tx * 4 + j;
              d[i][j] = y < a.h && x < a.w ? _mm512_loadu_ps(at(a.dy, a.dyLayout, a.w, n, cb, y, x)) : _mm512_setzero_ps();
            }
          gradientTransform(d, o);
          for (int i = 0; i < 6; i++)
            for (int j = 0; j < 6; j++) _mm512_store_ps(gy + (i * 6 + j) * gradStride(a.oc) + t * a.oc + cb * 16, o[i][j]);
        }
      }
      for (int ob = 0; ob < ocb; ob += 2) {
        if (ob + 1 < ocb)
          for (int ib = 0; ib < a.ic; ib += 8) accumulateProducts<8>(v, gy, a.ic, a.oc, count, ib, ob, m);
        else
          for (int ib = 0; ib < a.ic; ib += 16) accumulateProducts<16>(v, gy, a.ic, a.oc, count, ib, ob, m);
      }
    }
  }
  // Sum the threads' products, then dw = G^T m G, 16 (input, output) channel pairs at a time.
  static const float g[6][3] = {{1.0f / 4, 0, 0},           {-1.0f / 6, -1.0f / 6, -1.0f / 6}, {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                {1.0f / 24, 1.0f / 12, 1.0f / 6}, {1.0f / 24, -1.0f / 12, 1.0f / 6}, {0, 0, 1}};
  const long pairs = static_cast<long>(a.ic) * a.oc;
#pragma omp parallel for if (pairs >= 1024) schedule(static)
  for (long k = 0; k < pairs; k += 16) {
    __m512 mk[36], gm[3][6];
    for (int p = 0; p < 36; p++) {
      mk[p] = _mm512_load_ps(sums + p * pairs + k);
      for (int r = 1; r < used; r++) mk[p] = _mm512_add_ps(mk[p], _mm512_load_ps(sums + r * mFloats + p * pairs + k));
    }
    for (int r = 0; r < 3; r++)
      for (int q = 0; q < 6; q++) {
        __m512 s = _mm512_setzero_ps();
        for (int p = 0; p < 6; p++)
          if (g[p][r] != 0) s = _mm512_fmadd_ps(_mm512_set1_ps(g[p][r]), mk[p * 6 + q], s);
        gm[r][q] = s;
      }
    for (int r = 0; r < 3; r++)
      for (int c = 0; c < 3; c++) {
        __m512 s = _mm512_setzero_ps();
        for (int q = 0; q < 6; q++)
          if (g[q][c] != 0) s = _mm512_fmadd_ps(gm[r][q], _mm512_set1_ps(g[q][c]), s);
        _mm512_storeu_ps(a.dw + (r * 3 + c) * pairs + k, s);
      }
  }
}

}  // namespace jointshot
