/**
 * Joint labels and joint-logit inference. Layout conventions (those of the SLA reference code):
 * copies are query-major (row b*M + j is copy j of sample b) and joint labels are class-major
 * (class y under transformation j is y*M + j).
 */
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';

function checkCopies(M: number): void {
  if (!Number.isInteger(M) || M < 1) throw new UsageError(`the number of transformations M must be a positive integer, found ${M}`);
}

/** Joint labels of query-major copies as plain numbers: out[b*M + j] = labels[b]*M + j. */
export function jointLabelArray(labels: ArrayLike<number>, M: number): Int32Array {
  checkCopies(M);
  const out = new Int32Array(labels.length * M);
  for (let b = 0; b < labels.length; b++) {
    for (let j = 0; j < M; j++) out[b * M + j] = labels[b]! * M + j;
  }
  return out;
}

/** Joint labels of query-major copies: int32 [n] -> int32 [n*M] with row b*M + j = y_b*M + j. */
export function jointLabels(labels: tf.Tensor1D, M: number): tf.Tensor1D {
  checkCopies(M);
  return tf.tidy(() => {
    const scaled = tf.mul(labels.toInt(), tf.scalar(M, 'int32')).reshape([-1, 1]);
    return tf.add(scaled, tf.range(0, M, 1, 'int32').reshape([1, M])).reshape([-1]) as tf.Tensor1D;
  });
}

/** Throws unless `jointLogits` is [nQ*M, nWay*M]; returns nQ. */
function checkJointLogits(jointLogits: tf.Tensor2D, nWay: number, M: number, what: string): number {
  checkCopies(M);
  const [rows, cols] = jointLogits.shape;
  if (jointLogits.rank !== 2 || cols !== nWay * M || rows % M !== 0) {
    throw new UsageError(
      `${what}: expected joint logits [nQ*${M}, ${nWay}*${M}] (nWay=${nWay}, M=${M}), found [${jointLogits.shape.join(',')}]`,
    );
  }
  return rows / M;
}

/**
 * Aggregated inference: [nQ*M, nWay*M] -> [nQ, nWay], s[b][i] = 1/M sum_j L[b*M + j][i*M + j]
 * (raw logits averaged over the copies, each read at its own transformation's column).
 */
export function aggregateJointLogits(jointLogits: tf.Tensor2D, nWay: number, M: number): tf.Tensor2D {
  const nQ = checkJointLogits(jointLogits, nWay, M, 'aggregateJointLogits');
  if (M === 1) return jointLogits.clone();
  return tf.tidy(() => {
    const blocks = jointLogits.reshape([nQ, M, nWay, M]);
    const diagonal = tf.eye(M).reshape([1, M, 1, M]);
    return tf.mul(blocks, diagonal).sum([1, 3]).div(tf.scalar(M)) as tf.Tensor2D;
  });
}

/** Single inference: the identity copy's rows (b*M) at the identity columns (i*M): [nQ*M, nWay*M] -> [nQ, nWay]. */
export function singleJointLogits(jointLogits: tf.Tensor2D, nWay: number, M: number): tf.Tensor2D {
  const nQ = checkJointLogits(jointLogits, nWay, M, 'singleJointLogits');
  if (M === 1) return jointLogits.clone();
  return tf.tidy(
    () => jointLogits.reshape([nQ, M, nWay, M]).slice([0, 0, 0, 0], [nQ, 1, nWay, 1]).reshape([nQ, nWay]) as tf.Tensor2D,
  );
}
