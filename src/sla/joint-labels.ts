/**
 * Joint labels and joint-logit inference. Layout conventions (those of the SLA reference code):
 * copies are query-major (row b*M + j is copy j of sample b) and joint labels are class-major
 * (class y under transformation j is y*M + j). Every function also takes a leading episode
 * dimension (rank 3 logits, rank 2 labels) for heads that score a batch of episodes at once.
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

/** Joint labels of query-major copies: int32 [(B,) n] -> int32 [(B,) n*M] with entry b*M + j = y_b*M + j. */
export function jointLabels<T extends tf.Tensor1D | tf.Tensor2D>(labels: T, M: number): T {
  checkCopies(M);
  const shape = labels.shape.slice(0, -1);
  const n = labels.shape[labels.rank - 1]!;
  return tf.tidy(() => {
    const scaled = tf.mul(labels.toInt(), tf.scalar(M, 'int32')).expandDims(-1);
    return tf.add(scaled, tf.range(0, M, 1, 'int32')).reshape([...shape, n * M]) as T;
  });
}

/** Throws unless `jointLogits` is [(B,) nQ*M, nWay*M]; returns nQ. */
function checkJointLogits(jointLogits: tf.Tensor, nWay: number, M: number, what: string): number {
  checkCopies(M);
  const rows = jointLogits.shape[jointLogits.rank - 2]!;
  const cols = jointLogits.shape[jointLogits.rank - 1]!;
  if ((jointLogits.rank !== 2 && jointLogits.rank !== 3) || cols !== nWay * M || rows % M !== 0) {
    throw new UsageError(
      `${what}: expected joint logits [(B,) nQ*${M}, ${nWay}*${M}] (nWay=${nWay}, M=${M}), found [${jointLogits.shape.join(',')}]`,
    );
  }
  return rows / M;
}

/**
 * Aggregated inference: [(B,) nQ*M, nWay*M] -> [(B,) nQ, nWay], s[b][i] = 1/M sum_j L[b*M + j][i*M + j]
 * (raw logits averaged over the copies, each read at its own transformation's column).
 */
export function aggregateJointLogits<T extends tf.Tensor2D | tf.Tensor3D>(jointLogits: T, nWay: number, M: number): T {
  const nQ = checkJointLogits(jointLogits, nWay, M, 'aggregateJointLogits');
  if (M === 1) return jointLogits.clone() as T;
  const lead = jointLogits.shape.slice(0, -2);
  return tf.tidy(() => {
    const blocks = jointLogits.reshape([...lead, nQ, M, nWay, M]);
    const diagonal = tf.eye(M).reshape([1, M, 1, M]);
    const last = lead.length + 3;
    return tf.mul(blocks, diagonal).sum([last - 2, last]).div(tf.scalar(M)) as T;
  });
}

/** Single inference: the identity copy's rows (b*M) at the identity columns (i*M): [(B,) nQ*M, nWay*M] -> [(B,) nQ, nWay]. */
export function singleJointLogits<T extends tf.Tensor2D | tf.Tensor3D>(jointLogits: T, nWay: number, M: number): T {
  const nQ = checkJointLogits(jointLogits, nWay, M, 'singleJointLogits');
  if (M === 1) return jointLogits.clone() as T;
  const lead = jointLogits.shape.slice(0, -2);
  return tf.tidy(() => {
    const blocks = jointLogits.reshape([...lead, nQ, M, nWay, M]);
    const picked = blocks.slice([...lead.map(() => 0), 0, 0, 0, 0], [...lead, nQ, 1, nWay, 1]);
    return picked.reshape([...lead, nQ, nWay]) as T;
  });
}
