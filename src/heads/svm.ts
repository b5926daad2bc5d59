/** MetaOptNet-SVM head: Crammer-Singer multi-class SVM dual, solved by the structured solver. */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import { svmCsDual } from '../solvers/svm-cs-op.js';
import type { SvmCsSolution } from '../solvers/svm-cs.js';
import type { Head } from './types.js';
import { scaledHead } from './episode.js';
import { readHeadOptions, requirePositive } from './options.js';

/** The svm head, with the diagnostics of its last solve. */
export interface SvmHead extends Head {
  /** Per episode, the solutions of the last call (KKT residual, sweeps, Newton steps, free variables). */
  readonly lastSolutions: readonly SvmCsSolution[];
}

/**
 * logits[q, m] = sum_i alpha_i^m <x_i, q> with alpha MetaOptNet's Crammer-Singer dual (Hessian
 * K (x) I + diagShift I, C): options `C` (0.1), `diagShift` (1), `tol` (1e-6 KKT residual),
 * `maxSweeps` (2000), `maxIter` (0: solve to `tol`; k > 0: qpth's interior point truncated after k
 * iterations, as MetaOptNet runs it: 3 at test, 15 in training).
 */
export function createSvmHead(options?: Record<string, unknown>): SvmHead {
  const o = readHeadOptions('svm', { C: 0.1, diagShift: 1, tol: 1e-6, maxSweeps: 2000, maxIter: 0 }, options);
  for (const key of ['C', 'tol', 'maxSweeps'] as const) requirePositive('svm', key, o[key]);
  if (!Number.isInteger(o.maxIter) || o.maxIter < 0) {
    throw new UsageError(`head 'svm': option 'maxIter' must be an integer >= 0 (0 solves to 'tol'; MetaOptNet uses 3 at test), got ${o.maxIter}`);
  }
  let lastSolutions: readonly SvmCsSolution[] = [];
  const head = scaledHead('svm', (support, _supportLabels, query, nWay, labels) =>
    tf.tidy(() => {
      const kernel = tf.matMul(support, support, false, true) as tf.Tensor2D | tf.Tensor3D;
      const alpha = svmCsDual(kernel, labels, nWay, { ...o, onSolved: (s) => (lastSolutions = s) });
      return tf.matMul(tf.matMul(query, support, false, true), alpha) as tf.Tensor2D;
    }),
  );
  return Object.defineProperty(head, 'lastSolutions', { get: () => lastSolutions, enumerable: true }) as SvmHead;
}
