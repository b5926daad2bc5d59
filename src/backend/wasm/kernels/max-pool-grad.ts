/**
 * MaxPoolGrad for the wasm backend as one pass over the heap: for every pooling window and
 * channel, the first maximum in row-major window order (what the cpu backend and TensorFlow pick,
 * padding excluded, NaN never) receives that output's gradient; overlapping windows accumulate.
 * Less CPU than the stock C++ kernel (numbers in docs/performance.md); the backbones' 2x2 / stride-2
 * unpadded pooling has its own tighter loop. Non-float32 inputs keep the stock kernel.
 */
import { tf } from '../../../tf.js';
import { runStock, type PaddingAttr, type RoundingAttr, type TensorInfo, type WasmKernelArgs } from './kernel-utils.js';

/** Pooling geometry `maxPoolGradInto` needs (a subset of tfjs' Conv2DInfo). */
export interface PoolGeometry {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  strideHeight: number;
  strideWidth: number;
  filterHeight: number;
  filterWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * The backbones' 2x2 / stride-2 unpadded case in one pass without per-window bookkeeping: the
 * windows tile the map, so each dy entry goes to the first of its four entries equal to the
 * window's maximum (strict > in row-major order, as the general loop), the other three get 0.
 */
function maxPoolGrad2x2Into(x: ArrayLike<number>, dy: ArrayLike<number>, dx: Float32Array, g: PoolGeometry): void {
  const c = g.inChannels;
  const rowStride = g.inWidth * c;
  if (g.inHeight !== 2 * g.outHeight || g.inWidth !== 2 * g.outWidth) dx.fill(0);
  let o = 0;
  for (let b = 0; b < g.batchSize; b++) {
    for (let yr = 0; yr < g.outHeight; yr++) {
      let p00 = (b * g.inHeight + 2 * yr) * rowStride;
      for (let yc = 0; yc < g.outWidth; yc++, p00 += 2 * c) {
        const p01 = p00 + c;
        const p10 = p00 + rowStride;
        const p11 = p10 + c;
        for (let d = 0; d < c; d++, o++) {
          const v00 = x[p00 + d]!;
          const v01 = x[p01 + d]!;
          const v10 = x[p10 + d]!;
          const v11 = x[p11 + d]!;
          // As the general loop: start below everything, so NaN never wins and -Infinity can't either.
          let at = -1;
          let best = -Infinity;
          if (v00 > best) { best = v00; at = 0; }
          if (v01 > best) { best = v01; at = 1; }
          if (v10 > best) { best = v10; at = 2; }
          if (v11 > best) at = 3;
          const grad = dy[o]!;
          dx[p00 + d] = at === 0 ? grad : 0;
          dx[p01 + d] = at === 1 ? grad : 0;
          dx[p10 + d] = at === 2 ? grad : 0;
          dx[p11 + d] = at === 3 ? grad : 0;
        }
      }
    }
  }
}

/** Writes dx (NHWC, same shape as x) of a max pool from x and dy (both flat NHWC arrays). */
export function maxPoolGradInto(x: ArrayLike<number>, dy: ArrayLike<number>, dx: Float32Array, g: PoolGeometry): void {
  const tiling2x2 = g.filterHeight === 2 && g.filterWidth === 2 && g.strideHeight === 2 && g.strideWidth === 2;
  if (tiling2x2 && g.padTop === 0 && g.padLeft === 0 && g.inHeight >= 2 * g.outHeight && g.inWidth >= 2 * g.outWidth) {
    maxPoolGrad2x2Into(x, dy, dx, g);
    return;
  }
  const c = g.inChannels;
  const best = new Float64Array(c);
  const bestAt = new Int32Array(c);
  dx.fill(0);
  for (let b = 0; b < g.batchSize; b++) {
    for (let yr = 0; yr < g.outHeight; yr++) {
      const r0 = yr * g.strideHeight - g.padTop;
      for (let yc = 0; yc < g.outWidth; yc++) {
        const c0 = yc * g.strideWidth - g.padLeft;
        best.fill(-Infinity);
        bestAt.fill(-1);
        for (let wr = 0; wr < g.filterHeight; wr++) {
          const r = r0 + wr;
          if (r < 0 || r >= g.inHeight) continue;
          for (let wc = 0; wc < g.filterWidth; wc++) {
            const col = c0 + wc;
            if (col < 0 || col >= g.inWidth) continue;
            const base = ((b * g.inHeight + r) * g.inWidth + col) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d]!;
              if (v > best[d]!) {
                best[d] = v;
                bestAt[d] = base + d;
              }
            }
          }
        }
        const dyBase = ((b * g.outHeight + yr) * g.outWidth + yc) * c;
        for (let d = 0; d < c; d++) {
          const at = bestAt[d]!;
          if (at >= 0) dx[at]! += dy[dyBase + d]!;
        }
      }
    }
  }
}

/** Kernel function: gradient of a 2-D max pool. */
export function maxPoolGrad(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  if (input.dtype !== 'float32' || dy.dtype !== 'float32') return runStock('MaxPoolGrad', backend, inputs, attrs);
  const { filterSize, strides, pad, dimRoundingMode } = attrs as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: PaddingAttr;
    dimRoundingMode?: RoundingAttr;
  };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  maxPoolGradInto(backend.typedArrayFromHeap(input), backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(dx) as Float32Array, {
    ...info,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  });
  return dx;
}
