/** MetaOptNet-RR head: kernel ridge regression on one-hot targets, solved in the nS x nS dual. */
import { tf } from '../tf.js';
import { cholSolve } from '../solvers/cholesky.js';
import type { Head } from './types.js';
import { oneHotFloat, scaledHead } from './episode.js';
import { readHeadOptions, requirePositive } from './options.js';

/**
 * alpha = 2 (X X^T + lambda I)^-1 Y and logits q X^T alpha (MetaOptNet-RR's dual solution);
 * options `lambda` (50) and `r2d2` (false: true drops the factor 2, R2D2's closed form).
 */
export function createRidgeHead(options?: Record<string, unknown>): Head {
  const o = readHeadOptions('ridge', { lambda: 50, r2d2: false }, options);
  requirePositive('ridge', 'lambda', o.lambda);
  const factor = o.r2d2 ? 1 : 2;
  return scaledHead('ridge', (support, supportLabels, query, nWay) =>
    tf.tidy(() => {
      const n = support.shape[support.rank - 2]!;
      const kernel = tf.add(tf.matMul(support, support, false, true), tf.mul(tf.eye(n), o.lambda));
      const alpha = tf.mul(cholSolve(kernel, oneHotFloat(supportLabels, nWay)), factor);
      return tf.matMul(tf.matMul(query, support, false, true), alpha);
    }),
  );
}
