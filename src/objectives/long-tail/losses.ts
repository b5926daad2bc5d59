/**
 * The long-tail class losses as `ClassLoss`es: class-balanced weighted cross-entropy (CB-RW) and
 * LDAM (margin on the true-class logit), each optionally weighted. A joint or N-way logit column
 * takes the weight / margin of its class (`classOf`), so one loss serves every objective.
 */
import { DataError } from '../../errors.js';
import { tf } from '../../tf.js';
import type { ClassLoss } from '../types.js';

/** Values of a per-class table spread over K logit columns through `classOf`. */
export function perColumn(values: readonly number[], columns: number, classOf: (column: number) => number): Float32Array {
  const out = new Float32Array(columns);
  for (let c = 0; c < columns; c++) {
    const v = values[classOf(c)];
    if (v === undefined) throw new DataError(`logit column ${c} maps to class ${classOf(c)}, but the class table has ${values.length} classes`);
    out[c] = v;
  }
  return out;
}

/**
 * Cross-entropy of logits [n, K] against labels [n], weighted by `weights` [K] per true column and
 * normalised by the sum of the batch's label weights (PyTorch's `cross_entropy(weight=...)`, mean
 * reduction); null weights give the plain mean.
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, weights: Float32Array | null): tf.Scalar {
  return tf.tidy(() => {
    const [n, K] = logits.shape;
    if (labels.shape[0] !== n) throw new DataError(`cross-entropy: ${n} rows of logits but ${labels.shape[0]} labels`);
    const y = labels.toInt();
    const picked = tf.sum(tf.mul(tf.oneHot(y, K).toFloat(), tf.logSoftmax(logits)), 1);
    if (!weights) return tf.neg(picked.mean()) as tf.Scalar;
    const w = tf.gather(tf.tensor1d(weights), y);
    return tf.neg(tf.sum(tf.mul(w, picked)).div(tf.sum(w))) as tf.Scalar;
  });
}

/** Logits [n, K] with `margins[y_r]` subtracted from each row's true column y_r only. */
export function subtractTrueMargins(logits: tf.Tensor2D, labels: tf.Tensor1D, margins: Float32Array): tf.Tensor2D {
  return tf.tidy(() => {
    const y = labels.toInt();
    const m = tf.gather(tf.tensor1d(margins), y).expandDims(1);
    return tf.sub(logits, tf.mul(tf.oneHot(y, logits.shape[1]).toFloat(), m)) as tf.Tensor2D;
  });
}

/** CB-RW's loss: cross-entropy weighted by per-class `weights` (null: plain CE). */
export function weightedClassLoss(weights: readonly number[] | null): ClassLoss {
  return (logits, labels, classOf) => weightedCrossEntropy(logits, labels, weights ? perColumn(weights, logits.shape[1], classOf) : null);
}

/**
 * LDAM on logits that are already `scale` * cos(f, w) (a normalised classifier of that scale):
 * CE(logits - scale * Delta_y e_y), which equals the reference's CE(s * (cos - Delta_y e_y));
 * optionally weighted (DRW after its switch).
 */
export function ldamClassLoss(margins: readonly number[], scale: number, weights: readonly number[] | null): ClassLoss {
  const scaled = margins.map((m) => m * scale);
  return (logits, labels, classOf) =>
    tf.tidy(() => {
      const K = logits.shape[1];
      const shifted = subtractTrueMargins(logits, labels, perColumn(scaled, K, classOf));
      return weightedCrossEntropy(shifted, labels, weights ? perColumn(weights, K, classOf) : null);
    });
}
