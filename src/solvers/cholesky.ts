/**
 * Differentiable symmetric positive definite solve X = A^-1 B (Cholesky, Float64 in plain JS),
 * batched over leading dimensions: tfjs has no linear solve, Cholesky or triangular solve.
 */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import { customOp } from './custom-op.js';
import { choleskyInPlace, choleskySolveInPlace } from './linalg64.js';

/** Factors of a batch of SPD matrices, kept for the backward pass. */
export interface CholeskyBatch {
  readonly n: number;
  readonly batch: number;
  /** Lower Cholesky factors, batch x n x n row-major. */
  readonly factors: Float64Array[];
}

/** Factors every n x n matrix of a flat batch (Float64) with Cholesky. */
export function choleskyBatch(a: ArrayLike<number>, batch: number, n: number): CholeskyBatch {
  const factors: Float64Array[] = [];
  for (let s = 0; s < batch; s++) {
    const l = Float64Array.from({ length: n * n }, (_, i) => a[s * n * n + i]!);
    choleskyInPlace(l, n);
    factors.push(l);
  }
  return { n, batch, factors };
}

/** Solves A_s X_s = B_s for every batch entry with precomputed factors; B is batch x n x k (flat). */
export function choleskyBatchSolve(f: CholeskyBatch, b: ArrayLike<number>, k: number): Float64Array {
  const { n } = f;
  const out = new Float64Array(f.batch * n * k);
  for (let s = 0; s < f.batch; s++) {
    const x = Float64Array.from({ length: n * k }, (_, i) => b[s * n * k + i]!);
    choleskySolveInPlace(f.factors[s]!, n, x, k);
    out.set(x, s * n * k);
  }
  return out;
}

/**
 * Gradients of X = A^-1 B for SPD A: dB = A^-1 dX and dA = -sym(dB X^T), symmetrised because A is
 * symmetric (only symmetric perturbations of A are meaningful). Flat batch x n x k arrays.
 */
export function choleskySolveGrad(
  f: CholeskyBatch,
  x: ArrayLike<number>,
  dx: ArrayLike<number>,
  k: number,
): { dA: Float64Array; dB: Float64Array } {
  const { n, batch } = f;
  const dB = choleskyBatchSolve(f, dx, k);
  const dA = new Float64Array(batch * n * n);
  for (let s = 0; s < batch; s++) {
    const ob = s * n * k;
    const oa = s * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let v = 0;
        for (let c = 0; c < k; c++) {
          v += dB[ob + i * k + c]! * x[ob + j * k + c]! + dB[ob + j * k + c]! * x[ob + i * k + c]!;
        }
        v *= -0.5;
        dA[oa + i * n + j] = v;
        dA[oa + j * n + i] = v;
      }
    }
  }
  return { dA, dB };
}

function checkShapes(a: tf.Tensor, b: tf.Tensor): { batch: number; n: number; k: number } {
  const r = a.rank;
  if (r < 2 || b.rank !== r) {
    throw new UsageError(`cholSolve: A must be [..., n, n] and B [..., n, k] of the same rank; got A ${JSON.stringify(a.shape)}, B ${JSON.stringify(b.shape)}`);
  }
  const n = a.shape[r - 1]!;
  const lead = a.shape.slice(0, r - 2);
  const ok = a.shape[r - 2] === n && b.shape[r - 2] === n && b.shape.slice(0, r - 2).every((v, i) => v === lead[i]);
  if (!ok) {
    throw new UsageError(`cholSolve: A must be [..., n, n] and B [..., n, k] with equal leading dims; got A ${JSON.stringify(a.shape)}, B ${JSON.stringify(b.shape)}`);
  }
  return { batch: lead.reduce((p, v) => p * v, 1), n, k: b.shape[r - 1]! };
}

/**
 * X = A^-1 B for symmetric positive definite A [..., n, n] and B [..., n, k], differentiable in A
 * and B (the A gradient is symmetrised). Computed in Float64, returned as float32.
 */
export function cholSolve<T extends tf.Tensor>(a: T, b: T): T {
  const { batch, n, k } = checkShapes(a, b);
  let factors: CholeskyBatch | undefined;
  let xVals: Float64Array | undefined;
  const op = customOp((aT, bT) => {
    factors = choleskyBatch(aT.dataSync(), batch, n);
    xVals = choleskyBatchSolve(factors, bT.dataSync(), k);
    const value = tf.tensor(Float32Array.from(xVals), bT.shape, 'float32');
    const gradFunc = (dy: tf.Tensor) => {
      const g = choleskySolveGrad(factors!, xVals!, dy.dataSync(), k);
      return [
        tf.tensor(Float32Array.from(g.dA), aT.shape, 'float32'),
        tf.tensor(Float32Array.from(g.dB), bT.shape, 'float32'),
      ];
    };
    return { value, gradFunc };
  });
  return op(a, b) as T;
}
