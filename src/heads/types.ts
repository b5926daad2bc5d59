/** The base-learner contract: the extension point for new meta-learners. */
import type { tf } from '../tf.js';

/**
 * A few-shot head: fits itself to a labelled support set and scores queries.
 * `logits` must be differentiable with respect to `support` and `query`.
 */
export interface Head {
  readonly name: string;
  /** Learnable parameters of the head (at least the output scale), trained with the backbone. */
  readonly variables: tf.Variable[];
  /**
   * support [nS, d], supportLabels int32 [nS] in 0..nWay-1, query [nQ, d] -> logits [nQ, nWay].
   */
  logits(support: tf.Tensor2D, supportLabels: tf.Tensor1D, query: tf.Tensor2D, nWay: number): tf.Tensor2D;
  /**
   * Optional batched form over B episodes of equal shape: support [B, nS, d], supportLabels int32
   * [B, nS], query [B, nQ, d] -> [B, nQ, nWay]. Use `batchLogits`, which falls back to a loop.
   */
  logitsBatch?(support: tf.Tensor3D, supportLabels: tf.Tensor2D, query: tf.Tensor3D, nWay: number): tf.Tensor3D;
  /** Frees the head's variables. */
  dispose(): void;
}

/** Builds a head from options (e.g. `{ lambda: 50 }`); registered by name. */
export type HeadFactory = (options?: Record<string, unknown>) => Head;
