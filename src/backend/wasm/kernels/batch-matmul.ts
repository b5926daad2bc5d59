/**
 * BatchMatMul for the wasm backend. The stock kernel uses XNNPACK only for one matrix without
 * transpose flags and otherwise runs a scalar loop (about 1 GFLOP/s). Here: explicit transposes,
 * then XNNPACK once (when b is shared by the whole batch, a is flattened to one tall matrix) or
 * once per batch entry. Tiny products, non-float32 and multi-axis broadcasts keep the stock path.
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
  const alreadyFast = batchA === 1 && batchB === 1 && !transposeA && !transposeB;
  const simpleBroadcast = batch === Math.max(batchA, batchB) && (batchA === batchB || batchA === 1 || batchB === 1);
  if (
    alreadyFast ||
    !simpleBroadcast ||
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    m * k * n < MIN_FAST_MATMUL_MACS ||
    batch === 0
  ) {
    return runStock('BatchMatMul', backend, inputs, attrs);
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
