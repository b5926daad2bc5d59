/** Lifting any Head to joint labels: an N-way episode with M transformations becomes (N*M)-way. */
import { UsageError } from '../errors.js';
import type { Head } from '../heads/types.js';
import { tf } from '../tf.js';
import { aggregateJointLogits, jointLabels, singleJointLogits } from './joint-labels.js';

/** Both inference modes of one episode, from a single head evaluation. */
export interface SlaInference {
  /** [nQ, nWay]: identity copy, identity columns. */
  single: tf.Tensor2D;
  /** [nQ, nWay]: raw logits averaged over the M copies. */
  aggregated: tf.Tensor2D;
}

/**
 * A head lifted to M transformations. It works on embeddings of query-major copies: support
 * [nS*M, d] (row b*M + j = copy j of support sample b) with the original labels [nS], query [nQ*M, d].
 * As a `Head`, `logits` returns the aggregated [nQ, nWay] answer.
 */
export interface LiftedHead extends Head {
  readonly base: Head;
  /** M, the number of transformations. */
  readonly copies: number;
  /** The (N*M)-way problem: joint logits [nQ*M, nWay*M], column y*M + j = class y under t_j. */
  jointLogits(support: tf.Tensor2D, supportLabels: tf.Tensor1D, query: tf.Tensor2D, nWay: number): tf.Tensor2D;
  /** Single and aggregated logits from one joint evaluation. */
  infer(support: tf.Tensor2D, supportLabels: tf.Tensor1D, query: tf.Tensor2D, nWay: number): SlaInference;
}

function checkCopyRows(what: string, tensor: tf.Tensor2D, M: number, expected?: number): void {
  const rows = tensor.shape[0];
  if (rows % M !== 0 || (expected !== undefined && rows !== expected * M)) {
    const want = expected !== undefined ? `${expected}*${M} = ${expected * M}` : `a multiple of M=${M}`;
    throw new UsageError(`lifted head: ${what} has ${rows} rows, expected ${want} (query-major copies)`);
  }
}

/** Lifts `head` to M transformations (M = 1 gives exactly the plain head). Disposing it disposes the base head. */
export function liftHead(head: Head, M: number): LiftedHead {
  if (!Number.isInteger(M) || M < 1) throw new UsageError(`the number of transformations M must be a positive integer, found ${M}`);
  const jointLogits = (support: tf.Tensor2D, supportLabels: tf.Tensor1D, query: tf.Tensor2D, nWay: number): tf.Tensor2D => {
    checkCopyRows('support', support, M, supportLabels.shape[0]);
    checkCopyRows('query', query, M);
    if (M === 1) return head.logits(support, supportLabels, query, nWay);
    return tf.tidy(() => head.logits(support, jointLabels(supportLabels, M), query, nWay * M));
  };
  return {
    name: M === 1 ? head.name : `${head.name}+sla${M}`,
    base: head,
    copies: M,
    get variables() {
      return head.variables;
    },
    jointLogits,
    logits(support, supportLabels, query, nWay) {
      return tf.tidy(() => aggregateJointLogits(jointLogits(support, supportLabels, query, nWay), nWay, M));
    },
    infer(support, supportLabels, query, nWay) {
      const joint = jointLogits(support, supportLabels, query, nWay);
      try {
        return { single: singleJointLogits(joint, nWay, M), aggregated: aggregateJointLogits(joint, nWay, M) };
      } finally {
        joint.dispose();
      }
    },
    dispose() {
      head.dispose();
    },
  };
}
