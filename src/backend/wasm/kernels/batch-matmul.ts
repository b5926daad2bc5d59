/**
 * BatchMatMul for the wasm backend. The stock kernel uses XNNPACK only for one matrix without
 * transpose flags and otherwise runs a scalar loop (about 1 GFLOP/s). Here: explicit transposes,
 * then XNNPACK once (when b is shared by the whole batch, a is flattened to one tall matrix) or
 * once per batch entry. Products with at most 4 result rows (e.g. the ones[1,M] x X[M,C] column
 * sums of batch norm), or at most 4 result columns of a transposed a, are a streaming loop on the
 * heap instead: XNNPACK would first repack (transpose) the whole large operand. Tiny products,
 * non-float32 and multi-axis broadcasts keep the stock path.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../tf.js';
import {
  batchEntry,
  copyElements,
  release,
  reshape,
  runStock,
  transpose,
  type TensorInfo,
  type WasmKernelArgs,
} from './kernel-utils.js';

/** Below this many multiply-adds per matrix the stock loop beats per-call XNNPACK overhead. */
export const MIN_FAST_MATMUL_MACS = 16 * 16 * 16;

const product = (dims: number[]): number => dims.reduce((p, d) => p * d, 1);

/** At most this many result rows (or columns, with a transposed a) take the streaming loop. */
export const MAX_STREAMED_SIDE = 4;

interface Product {
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * out[p] = op(a[p]) op(b[p]) for small m (or small n with a transposed a) by streaming the large
 * operand once, accumulating in float64. Views are the flat heap arrays of a, b and out.
 */
export function streamedProduct(a: ArrayLike<number>, b: ArrayLike<number>, out: Float32Array, pr: Product): void {
  const { m, k, n, transposeA, transposeB } = pr;
  const acc = new Float64Array(m * n);
  const rowA = new Float64Array(k);
  for (let p = 0; p < pr.batch; p++) {
    const aOff = (pr.batchA === 1 ? 0 : p) * m * k;
    const bOff = (pr.batchB === 1 ? 0 : p) * k * n;
    acc.fill(0);
    if (m <= MAX_STREAMED_SIDE) {
      for (let i = 0; i < m; i++) {
        for (let kk = 0; kk < k; kk++) rowA[kk] = transposeA ? a[aOff + kk * m + i]! : a[aOff + i * k + kk]!;
        const accOff = i * n;
        if (transposeB) {
          for (let j = 0; j < n; j++) {
            let sum = 0;
            const row = bOff + j * k;
            for (let kk = 0; kk < k; kk++) sum += rowA[kk]! * b[row + kk]!;
            acc[accOff + j] = sum;
          }
        } else {
          // Four rows of b per pass (about 2x faster in V8 than one).
          let kk = 0;
          for (; kk + 3 < k; kk += 4) {
            const c0 = rowA[kk]!;
            const c1 = rowA[kk + 1]!;
            const c2 = rowA[kk + 2]!;
            const c3 = rowA[kk + 3]!;
            const r0 = bOff + kk * n;
            const r1 = r0 + n;
            const r2 = r1 + n;
            const r3 = r2 + n;
            for (let j = 0; j < n; j++) {
              acc[accOff + j]! += c0 * b[r0 + j]! + c1 * b[r1 + j]! + c2 * b[r2 + j]! + c3 * b[r3 + j]!;
            }
          }
          for (; kk < k; kk++) {
            const coef = rowA[kk]!;
            const row = bOff + kk * n;
            for (let j = 0; j < n; j++) acc[accOff + j]! += coef * b[row + j]!;
          }
        }
      }
    } else {
      // transposed a with few result columns: stream the rows of the stored a (kk major).
      for (let kk = 0; kk < k; kk++) {
        const rowStart = aOff + kk * m;
        for (let j = 0; j < n; j++) {
          const coef = transposeB ? b[bOff + j * k + kk]! : b[bOff + kk * n + j]!;
          for (let i = 0; i < m; i++) acc[i * n + j]! += a[rowStart + i]! * coef;
        }
      }
    }
    out.set(acc, p * m * n);
  }
}

/** True when `streamedProduct` beats repacking the large operand for XNNPACK. */
function streams(m: number, n: number, transposeA: boolean): boolean {
  return m <= MAX_STREAMED_SIDE || (transposeA && n <= MAX_STREAMED_SIDE);
}

/** [batch, rows, cols] with the last two axes swapped when `transposed`, so it reads [batch, m, k]. */
function asPlain(backend: BackendWasm, x: TensorInfo, transposed: boolean, temps: TensorInfo[]): TensorInfo {
  const rank = x.shape.length;
  const x3 = reshape(backend, x, [product(x.shape.slice(0, -2)), x.shape[rank - 2]!, x.shape[rank - 1]!]);
  temps.push(x3);
  if (!transposed) return x3;
  const t = transpose(backend, x3, [0, 2, 1]);
  temps.push(t);
  return t;
}

/** Kernel function: batched matrix product through XNNPACK. */
export function batchMatMul(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const m = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const k = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const n = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  const batchA = product(a.shape.slice(0, -2));
  const batchB = product(b.shape.slice(0, -2));
  const outer = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = product(outer);
  const simpleBroadcast = batch === Math.max(batchA, batchB) && (batchA === batchB || batchA === 1 || batchB === 1);
  if (!simpleBroadcast || a.dtype !== 'float32' || b.dtype !== 'float32' || m * k * n < MIN_FAST_MATMUL_MACS || batch === 0) {
    return runStock('BatchMatMul', backend, inputs, attrs);
  }
  if (streams(m, n, transposeA)) {
    const out = backend.makeOutput([...outer, m, n], 'float32');
    const product: Product = { batch, batchA, batchB, m, k, n, transposeA, transposeB };
    streamedProduct(backend.typedArrayFromHeap(a), backend.typedArrayFromHeap(b), backend.typedArrayFromHeap(out) as Float32Array, product);
    return out;
  }
  if (batchA === 1 && batchB === 1 && !transposeA && !transposeB) {
    return runStock('BatchMatMul', backend, inputs, attrs); // already XNNPACK's fast path
  }
  const temps: TensorInfo[] = [];
  const a3 = asPlain(backend, a, transposeA, temps); // [batchA, m, k]
  const b3 = asPlain(backend, b, transposeB, temps); // [batchB, k, n]
  let out: TensorInfo;
  if (batchB === 1) {
    const tall = reshape(backend, a3, [1, batchA * m, k]);
    temps.push(tall);
    out = runStock('BatchMatMul', backend, { a: tall, b: b3 }, { transposeA: false, transposeB: false });
  } else {
    out = backend.makeOutput([batch, m, n], 'float32');
    for (let i = 0; i < batch; i++) {
      const ai = batchA === 1 ? a3 : batchEntry(backend, a3, i);
      const bi = batchEntry(backend, b3, i);
      const oi = runStock('BatchMatMul', backend, { a: ai, b: bi }, { transposeA: false, transposeB: false });
      copyElements(backend, oi, 0, out, i * m * n, m * n);
      release(backend, bi, oi);
      if (ai !== a3) release(backend, ai);
    }
  }
  release(backend, ...temps);
  // The stock kernel also returns its [batch, m, n] buffer with the broadcast shape.
  return { dataId: out.dataId, shape: [...outer, m, n], dtype: 'float32' };
}
