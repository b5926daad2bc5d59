/**
 * MaxPoolGrad for the wasm backend as one pass over the heap: for every pooling window and
 * channel, the first maximum in row-major window order (what the cpu backend and TensorFlow pick,
 * padding excluded, NaN never) receives that output's gradient; overlapping windows accumulate.
 * Less CPU than the stock C++ kernel (numbers in docs/performance.md). Non-float32 inputs keep
 * the stock kernel.
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

/** Writes dx (NHWC, same shape as x) of a max pool from x and dy (both flat NHWC arrays). */
export function maxPoolGradInto(x: ArrayLike<number>, dy: ArrayLike<number>, dx: Float32Array, g: PoolGeometry): void {
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
