/** Shared plumbing of the heads: input checks, one-hot labels, the learnable output scale. */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import type { Head } from './types.js';

const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Checks the shapes of one episode (support rank 2) or a batch of episodes (rank 3) and returns
 * the labels as JS integers (flat, episode-major).
 */
export function checkEpisode(
  head: string,
  support: tf.Tensor,
  supportLabels: tf.Tensor,
  query: tf.Tensor,
  nWay: number,
  rank: 2 | 3,
): Int32Array {
  const form = rank === 2 ? 'support [nS, d], query [nQ, d]' : 'support [B, nS, d], query [B, nQ, d]';
  const lead = support.shape.slice(0, rank - 1);
  if (support.rank !== rank || query.rank !== rank || !same(support.shape.slice(0, rank - 2), query.shape.slice(0, rank - 2)) || support.shape[rank - 1] !== query.shape[rank - 1]) {
    throw new UsageError(`head '${head}': expected ${form} with the same d; got support ${JSON.stringify(support.shape)}, query ${JSON.stringify(query.shape)}`);
  }
  if (supportLabels.dtype !== 'int32' || !same(supportLabels.shape, lead)) {
    throw new UsageError(`head '${head}': supportLabels must be int32 ${JSON.stringify(lead)}; got ${supportLabels.dtype} ${JSON.stringify(supportLabels.shape)}`);
  }
  if (!Number.isInteger(nWay) || nWay < 1) throw new UsageError(`head '${head}': nWay must be a positive integer, got ${nWay}`);
  const labels = Int32Array.from(supportLabels.dataSync());
  const bad = labels.find((y) => y < 0 || y >= nWay);
  if (bad !== undefined) throw new UsageError(`head '${head}': support label ${bad} is outside 0..${nWay - 1} (nWay = ${nWay})`);
  return labels;
}

/** The one-hot float32 labels [..., nS, nWay]. */
export function oneHotFloat(labels: tf.Tensor, nWay: number): tf.Tensor {
  return tf.tidy(() => tf.oneHot(labels as tf.Tensor1D, nWay).toFloat());
}

/**
 * Raw (unscaled) logits of a head, written once for one episode (rank-2 support/query) and a
 * batch (rank 3, leading episode dim); `labels` holds the checked labels flat, episode-major.
 */
export type RawLogits = (support: tf.Tensor, supportLabels: tf.Tensor, query: tf.Tensor, nWay: number, labels: Int32Array) => tf.Tensor;

/** A head whose logits are `scale * raw(...)`, with `scale` a learnable scalar initialised to 1. */
export function scaledHead(name: string, raw: RawLogits): Head {
  const scale = tf.tidy(() => tf.variable(tf.scalar(1), true));
  const run = (support: tf.Tensor, supportLabels: tf.Tensor, query: tf.Tensor, nWay: number, rank: 2 | 3) => {
    const labels = checkEpisode(name, support, supportLabels, query, nWay, rank);
    return tf.tidy(() => tf.mul(scale, raw(support, supportLabels, query, nWay, labels)));
  };
  return {
    name,
    variables: [scale],
    logits: (support, supportLabels, query, nWay) => run(support, supportLabels, query, nWay, 2) as tf.Tensor2D,
    logitsBatch: (support, supportLabels, query, nWay) => run(support, supportLabels, query, nWay, 3) as tf.Tensor3D,
    dispose() {
      scale.dispose();
    },
  };
}

/**
 * Logits of B episodes at once ([B, nS, d], int32 [B, nS], [B, nQ, d] -> [B, nQ, nWay]) with the
 * head's batched form, or episode by episode for heads that have none.
 */
export function batchLogits(head: Head, support: tf.Tensor3D, supportLabels: tf.Tensor2D, query: tf.Tensor3D, nWay: number): tf.Tensor3D {
  if (head.logitsBatch) return head.logitsBatch(support, supportLabels, query, nWay);
  return tf.tidy(() => {
    const s = tf.unstack(support) as tf.Tensor2D[];
    const l = tf.unstack(supportLabels) as tf.Tensor1D[];
    const q = tf.unstack(query) as tf.Tensor2D[];
    return tf.stack(s.map((x, i) => head.logits(x, l[i]!, q[i]!, nWay))) as tf.Tensor3D;
  });
}
