/** ProtoNet head: negative squared distance to class means, divided by the embedding dimension. */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import type { Head } from './types.js';
import { oneHotFloat, scaledHead } from './episode.js';
import { readHeadOptions } from './options.js';

/** logits[q, c] = -||q - p_c||^2 / d (MetaOptNet's normalised ProtoNet); option `normalize` (true). */
export function createProtoNetHead(options?: Record<string, unknown>): Head {
  const o = readHeadOptions('protonet', { normalize: true }, options);
  return scaledHead('protonet', (support, supportLabels, query, nWay, labels) => {
    const lead = support.shape.slice(0, -2);
    const nS = support.shape[support.rank - 2]!;
    const counts = new Float32Array(labels.length / nS * nWay);
    labels.forEach((y, i) => (counts[Math.floor(i / nS) * nWay + y]! += 1));
    const empty = counts.indexOf(0);
    if (empty >= 0) throw new UsageError(`head 'protonet': class ${empty % nWay} has no support example; every class 0..${nWay - 1} needs one`);
    return tf.tidy(() => {
      const y = oneHotFloat(supportLabels, nWay);
      const protos = tf.div(tf.matMul(y, support, true, false), tf.tensor(counts, [...lead, nWay, 1]));
      const qq = tf.sum(tf.square(query), -1, true);
      const pp = tf.expandDims(tf.sum(tf.square(protos), -1), -2);
      const dist = tf.add(tf.sub(qq, tf.mul(2, tf.matMul(query, protos, false, true))), pp);
      const d = support.shape[support.rank - 1]!;
      return tf.neg(o.normalize ? tf.div(dist, d) : dist);
    });
  });
}
