/** Shared plumbing of the heads: input checks, one-hot labels, the learnable output scale. */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import type { Head } from './types.js';

/** Checks the shapes of an episode and returns its labels as JS integers. */
export function checkEpisode(
  head: string,
  support: tf.Tensor,
  supportLabels: tf.Tensor,
  query: tf.Tensor,
  nWay: number,
): Int32Array {
  if (support.rank !== 2 || query.rank !== 2 || support.shape[1] !== query.shape[1]) {
    throw new UsageError(
      `head '${head}': support must be [nS, d] and query [nQ, d] with the same d; got support ${JSON.stringify(support.shape)}, query ${JSON.stringify(query.shape)}`,
    );
  }
  if (supportLabels.rank !== 1 || supportLabels.shape[0] !== support.shape[0] || supportLabels.dtype !== 'int32') {
    throw new UsageError(
      `head '${head}': supportLabels must be int32 [nS] = [${support.shape[0]}]; got ${supportLabels.dtype} ${JSON.stringify(supportLabels.shape)}`,
    );
  }
  if (!Number.isInteger(nWay) || nWay < 1) throw new UsageError(`head '${head}': nWay must be a positive integer, got ${nWay}`);
  const labels = supportLabels.dataSync() as Int32Array;
  const bad = labels.find((y) => y < 0 || y >= nWay);
  if (bad !== undefined) throw new UsageError(`head '${head}': support label ${bad} is outside 0..${nWay - 1} (nWay = ${nWay})`);
  return Int32Array.from(labels);
}

/** The one-hot float32 matrix [nS, nWay] of the labels. */
export function oneHotFloat(labels: tf.Tensor1D, nWay: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(labels, nWay).toFloat() as tf.Tensor2D);
}

/** Raw (unscaled) logits of a head for one episode, after the checks. */
export type RawLogits = (
  support: tf.Tensor2D,
  supportLabels: tf.Tensor1D,
  query: tf.Tensor2D,
  nWay: number,
  labels: Int32Array,
) => tf.Tensor2D;

/** A head whose logits are `scale * raw(...)`, with `scale` a learnable scalar initialised to 1. */
export function scaledHead(name: string, raw: RawLogits): Head {
  const scale = tf.tidy(() => tf.variable(tf.scalar(1), true));
  return {
    name,
    variables: [scale],
    logits(support, supportLabels, query, nWay) {
      const labels = checkEpisode(name, support, supportLabels, query, nWay);
      return tf.tidy(() => tf.mul(scale, raw(support, supportLabels, query, nWay, labels)) as tf.Tensor2D);
    },
    dispose() {
      scale.dispose();
    },
  };
}
