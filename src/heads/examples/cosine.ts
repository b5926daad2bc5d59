/**
 * Worked example of a new head in one file (docs/extending.md): cosine-similarity prototypes.
 * logits[q, c] = scale * temperature * cos(query_q, p_c), p_c the mean support embedding of class c.
 * Registered in src/heads/registry.ts with one line; SLA lifts it without any SLA-specific code.
 */
import { UsageError } from '../../errors.js';
import { tf } from '../../tf.js';
import { readHeadOptions, requirePositive } from '../options.js';
import type { Head } from '../types.js';

/** Unit-length rows (a small epsilon keeps zero rows finite). */
function unitRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))));
}

/** The cosine head; option `temperature` (default 10) sharpens the softmax over cosines in [-1, 1]. */
export function createCosineHead(options?: Record<string, unknown>): Head {
  const { temperature } = readHeadOptions('cosine', { temperature: 10 }, options);
  requirePositive('cosine', 'temperature', temperature);
  const scale = tf.tidy(() => tf.variable(tf.scalar(1), true));
  return {
    name: 'cosine',
    variables: [scale],
    logits(support, supportLabels, query, nWay) {
      if (support.rank !== 2 || query.rank !== 2 || support.shape[1] !== query.shape[1] || supportLabels.shape[0] !== support.shape[0]) {
        throw new UsageError(`head 'cosine': expected support [nS, d], int32 labels [nS], query [nQ, d]; got ${JSON.stringify([support.shape, supportLabels.shape, query.shape])}`);
      }
      const counts = new Float32Array(nWay);
      for (const y of supportLabels.dataSync()) {
        if (!(y >= 0 && y < nWay)) throw new UsageError(`head 'cosine': support label ${y} is outside 0..${nWay - 1}`);
        counts[y]! += 1;
      }
      if (counts.includes(0)) throw new UsageError(`head 'cosine': class ${counts.indexOf(0)} has no support example`);
      return tf.tidy(() => {
        const onehot = tf.oneHot(supportLabels, nWay).toFloat(); // [nS, nWay]
        const prototypes = tf.div(tf.matMul(onehot, support, true, false), tf.tensor2d(counts, [nWay, 1])); // [nWay, d]
        const cosines = tf.matMul(unitRows(query), unitRows(prototypes as tf.Tensor2D), false, true); // [nQ, nWay]
        return tf.mul(tf.mul(scale, temperature), cosines) as tf.Tensor2D;
      });
    },
    dispose() {
      scale.dispose();
    },
  };
}
