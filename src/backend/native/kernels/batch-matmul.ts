/**
 * BatchMatMul through oneDNN's sgemm, one call per batch entry. Handles equal batch shapes or
 * one operand shared by the whole batch; other broadcasts and non-float32 go to the cpu kernel.
 */
import { tf } from '../../../tf.js';
import { float32Values, newOutput, type NativeKernelBody } from './kernel-utils.js';

const product = (dims: number[]): number => dims.reduce((p, d) => p * d, 1);

/** out = op(a) op(b) over the leading (batch) dimensions. */
export const batchMatMul: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const as = float32Values(backend, a);
  const bs = float32Values(backend, b);
  if (!as || !bs || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const transposeA = Boolean(attrs.transposeA);
  const transposeB = Boolean(attrs.transposeB);
  const [ra, rb] = [a.shape.length, b.shape.length];
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return undefined; // the cpu kernel throws tfjs's own message
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = product(outerA);
  const batchB = product(outerB);
  const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (!sameOuter && batchA !== 1 && batchB !== 1) return undefined;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = Math.max(batchA, batchB);
  const out = newOutput(addon, backend, [...outer, m, n]);
  if (out.values.length === 0) return out.info;
  if (k === 0) return out.values.fill(0), out.info;
  const params = Int32Array.from([
    batch, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n,
  ]);
  addon.batchMatMul(params, as, bs, out.values);
  return out.info;
};
