/**
 * The Crammer-Singer SVM dual as a differentiable tfjs op: kernel K -> dual variables a, solved in
 * Float64 by the structured solver, with the implicit-differentiation gradient via tf.customGrad.
 */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import { customOp } from './custom-op.js';
import { solveSvmCs, svmCsBackward, type SvmCsOptions, type SvmCsSolution } from './svm-cs.js';
import { problemOf, resolved } from './svm-cs-problem.js';
import { svmCsQpth, svmCsQpthBackward } from './svm-cs-qpth.js';

/** Options of `svmCsDual`: the dual's options plus a hook to inspect each episode's solve. */
export interface SvmCsDualOptions extends SvmCsOptions {
  /** Called with every episode's solution (residual, sweeps, size) after the forward pass. */
  onSolved?: (solutions: readonly SvmCsSolution[]) => void;
  /**
   * 0 (default): solve to `tol` with the structured solver. k > 0: qpth's interior point stopped
   * after k iterations, forward and backward as qpth computes them (MetaOptNet: 3 at test, 15 in
   * training; svm-cs-qpth.ts).
   */
  maxIter?: number;
}

/** One episode solved as qpth would with `maxIter`, with its backward pass. */
function qpthSolve(k: Float32Array, labels: number[], nWay: number, options: SvmCsDualOptions): { solution: SvmCsSolution; backward: (g: Float32Array) => Float64Array } {
  const problem = problemOf(k, labels, nWay, resolved(options));
  const point = svmCsQpth(problem, { maxIter: options.maxIter! });
  const solution: SvmCsSolution = {
    alpha: point.alpha,
    n: problem.n,
    nWay,
    residual: point.residual,
    sweeps: 0,
    polished: false,
    reducedSize: -1,
    newtonSteps: 0,
    interiorPointIterations: point.iterations,
    qpth: { iterations: point.iterations, bestIterate: point.bestIterate },
  };
  return { solution, backward: (g) => svmCsQpthBackward(problem, point, g) };
}

/**
 * Dual variables a [..., n, nWay] of MetaOptNet's Crammer-Singer SVM for kernel [..., n, n] and
 * labels (flat, one block of n per episode), differentiable with respect to the kernel.
 */
export function svmCsDual<T extends tf.Tensor2D | tf.Tensor3D>(
  kernel: T,
  labels: ArrayLike<number>,
  nWay: number,
  options: SvmCsDualOptions = {},
): T {
  const n = kernel.shape[kernel.rank - 1]!;
  const batch = kernel.rank === 3 ? kernel.shape[0]! : 1;
  if (kernel.shape[kernel.rank - 2] !== n || labels.length !== batch * n) {
    throw new UsageError(
      `svmCsDual: kernel must be [n, n] or [B, n, n] with B*n labels; got kernel ${JSON.stringify(kernel.shape)} and ${labels.length} labels`,
    );
  }
  const outShape = kernel.rank === 3 ? [batch, n, nWay] : [n, nWay];
  let solutions: SvmCsSolution[] = [];
  const op = customOp((k) => {
    const kv = k.dataSync();
    solutions = [];
    const alpha = new Float32Array(batch * n * nWay);
    const backwards: ((g: Float32Array) => Float64Array)[] = [];
    for (let s = 0; s < batch; s++) {
      const kernelOf = kv.subarray(s * n * n, (s + 1) * n * n) as Float32Array;
      const labelsOf = Array.from(labels).slice(s * n, (s + 1) * n);
      if (options.maxIter) {
        const { solution, backward } = qpthSolve(kernelOf, labelsOf, nWay, options);
        solutions.push(solution);
        backwards.push(backward);
      } else {
        const sol = solveSvmCs(kernelOf, labelsOf, nWay, options);
        solutions.push(sol);
        backwards.push((g) => svmCsBackward(sol, g));
      }
      alpha.set(solutions[s]!.alpha, s * n * nWay);
    }
    options.onSolved?.(solutions);
    const value = tf.tensor(alpha, outShape, 'float32');
    const gradFunc = (dy: tf.Tensor) => {
      const g = dy.dataSync();
      const dk = new Float32Array(batch * n * n);
      for (let s = 0; s < batch; s++) {
        dk.set(backwards[s]!(g.subarray(s * n * nWay, (s + 1) * n * nWay) as Float32Array), s * n * n);
      }
      return tf.tensor(dk, k.shape, 'float32');
    };
    return { value, gradFunc };
  });
  return op(kernel) as T;
}
