/** Lifting any Head to joint labels: an N-way episode with M transformations becomes (N*M)-way. */
import { UsageError } from '../errors.js';
import { type Head, batchLogits } from '../heads/index.js';
import { tf } from '../tf.js';
import { aggregateJointLogits, jointLabels, singleJointLogits } from './joint-labels.js';

/** Both inference modes from a single head evaluation: [(B,) nQ, nWay] each. */
export interface SlaInference<T extends tf.Tensor2D | tf.Tensor3D = tf.Tensor2D> {
  /** Identity copy, identity columns. */
  single: T;
  /** Raw logits averaged over the M copies. */
  aggregated: T;
}

/**
 * A head lifted to M transformations. It works on embeddings of query-major copies: support
 * [nS*M, d] (row b*M + j = copy j of support sample b) with the original labels [nS], query
 * [nQ*M, d]. As a `Head`, `logits`/`logitsBatch` return the aggregated [(B,) nQ, nWay] answer.
 * The `...Batch` forms take a leading episode dimension B (via the base head's `logitsBatch`).
 */
export interface LiftedHead extends Head {
  readonly base: Head;
  /** M, the number of transformations. */
  readonly copies: number;
  /** The (N*M)-way problem: joint logits [nQ*M, nWay*M], column y*M + j = class y under t_j. */
  jointLogits(support: tf.Tensor2D, supportLabels: tf.Tensor1D, query: tf.Tensor2D, nWay: number): tf.Tensor2D;
  /** Joint logits of B episodes: [B, nS*M, d], int32 [B, nS], [B, nQ*M, d] -> [B, nQ*M, nWay*M]. */
  jointLogitsBatch(support: tf.Tensor3D, supportLabels: tf.Tensor2D, query: tf.Tensor3D, nWay: number): tf.Tensor3D;
  logitsBatch(support: tf.Tensor3D, supportLabels: tf.Tensor2D, query: tf.Tensor3D, nWay: number): tf.Tensor3D;
  /** Single and aggregated logits of one episode from one joint evaluation. */
  infer(support: tf.Tensor2D, supportLabels: tf.Tensor1D, query: tf.Tensor2D, nWay: number): SlaInference;
  /** Single and aggregated logits of B episodes from one joint evaluation. */
  inferBatch(support: tf.Tensor3D, supportLabels: tf.Tensor2D, query: tf.Tensor3D, nWay: number): SlaInference<tf.Tensor3D>;
}

/** Throws unless support has nS*M rows (nS = label count) and query a multiple of M rows. */
function checkCopyRows(support: tf.Tensor, supportLabels: tf.Tensor, query: tf.Tensor, M: number): void {
  const rows = (x: tf.Tensor) => x.shape[x.rank - 2]!;
  const nS = supportLabels.shape[supportLabels.rank - 1]!;
  if (rows(support) !== nS * M) {
    throw new UsageError(`lifted head: support has ${rows(support)} rows, expected ${nS}*${M} = ${nS * M} (query-major copies)`);
  }
  if (rows(query) % M !== 0) {
    throw new UsageError(`lifted head: query has ${rows(query)} rows, expected a multiple of M=${M} (query-major copies)`);
  }
}

/** Splits joint logits into single and aggregated logits, disposing the joint logits. */
function splitInference<T extends tf.Tensor2D | tf.Tensor3D>(joint: T, nWay: number, M: number): SlaInference<T> {
  try {
    return { single: singleJointLogits(joint, nWay, M), aggregated: aggregateJointLogits(joint, nWay, M) };
  } finally {
    joint.dispose();
  }
}

/** Lifts `head` to M transformations (M = 1 gives exactly the plain head). Disposing it disposes the base head. */
export function liftHead(head: Head, M: number): LiftedHead {
  if (!Number.isInteger(M) || M < 1) throw new UsageError(`the number of transformations M must be a positive integer, found ${M}`);
  const jointLogits = (support: tf.Tensor2D, supportLabels: tf.Tensor1D, query: tf.Tensor2D, nWay: number): tf.Tensor2D => {
    checkCopyRows(support, supportLabels, query, M);
    if (M === 1) return head.logits(support, supportLabels, query, nWay);
    return tf.tidy(() => head.logits(support, jointLabels(supportLabels, M), query, nWay * M));
  };
  const jointLogitsBatch = (support: tf.Tensor3D, supportLabels: tf.Tensor2D, query: tf.Tensor3D, nWay: number): tf.Tensor3D => {
    checkCopyRows(support, supportLabels, query, M);
    if (M === 1) return batchLogits(head, support, supportLabels, query, nWay);
    return tf.tidy(() => batchLogits(head, support, jointLabels(supportLabels, M), query, nWay * M));
  };
  return {
    name: M === 1 ? head.name : `${head.name}+sla${M}`,
    base: head,
    copies: M,
    get variables() {
      return head.variables;
    },
    jointLogits,
    jointLogitsBatch,
    logits(support, supportLabels, query, nWay) {
      return tf.tidy(() => aggregateJointLogits(jointLogits(support, supportLabels, query, nWay), nWay, M));
    },
    logitsBatch(support, supportLabels, query, nWay) {
      return tf.tidy(() => aggregateJointLogits(jointLogitsBatch(support, supportLabels, query, nWay), nWay, M));
    },
    infer(support, supportLabels, query, nWay) {
      return splitInference(jointLogits(support, supportLabels, query, nWay), nWay, M);
    },
    inferBatch(support, supportLabels, query, nWay) {
      return splitInference(jointLogitsBatch(support, supportLabels, query, nWay), nWay, M);
    },
    dispose() {
      head.dispose();
    },
  };
}
