/** Training losses of SLA: (label-smoothed) cross-entropy on joint labels and self-distillation. */
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';
import { jointLabels } from './joint-labels.js';

/** Optional label smoothing eps: the true class gets 1 - eps, every other class eps / (K - 1). */
export interface CrossEntropyOptions {
  labelSmoothing?: number;
}

/**
 * Mean cross-entropy of logits [n, K] against int32 labels [n]. Label smoothing follows MetaOptNet
 * (eps / (K - 1) on the wrong classes; torch's `label_smoothing` would give eps / K to every class).
 */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, options: CrossEntropyOptions = {}): tf.Scalar {
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new UsageError(`label smoothing must be in [0, 1), found ${eps}`);
  const [n, K] = logits.shape;
  if (labels.shape[0] !== n) throw new UsageError(`cross-entropy: ${n} rows of logits but ${labels.shape[0]} labels`);
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels.toInt(), K).toFloat();
    const target = K > 1 && eps > 0 ? onehot.mul(1 - eps - eps / (K - 1)).add(eps / (K - 1)) : onehot;
    return tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1).mean()) as tf.Scalar;
  });
}

/**
 * L_SLA: cross-entropy of joint logits [nQ*M, nWay*M] (query-major copies) against the joint labels
 * of `labels` [nQ], averaged over all nQ*M rows (= 1/M sum_j of the per-copy mean CE).
 */
export function jointCrossEntropy(
  jointLogits: tf.Tensor2D,
  labels: tf.Tensor1D,
  M: number,
  options: CrossEntropyOptions = {},
): tf.Scalar {
  const [rows] = jointLogits.shape;
  if (rows !== labels.shape[0] * M) {
    throw new UsageError(`jointCrossEntropy: ${rows} rows of joint logits but ${labels.shape[0]} labels x M=${M}`);
  }
  return tf.tidy(() => crossEntropy(jointLogits, jointLabels(labels, M), options));
}

/** x in the forward pass, zero gradient in the backward pass (torch's `.detach()`). */
export function detach<T extends tf.Tensor>(x: T): T {
  const stop = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: (args[0] as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return stop(x) as T;
}

/** The temperature T of self-distillation (default 1, as in the SLA reference code). */
export interface SelfDistillationOptions {
  temperature?: number;
}

/**
 * SLA+SD: CE(u, y) + T^2 * KL(softmax(agg/T) || softmax(u/T)), KL summed over classes and averaged
 * over the nQ rows; `aggregated` [nQ, nWay] is detached (a fixed teacher). Add it to L_SLA.
 */
export function selfDistillationLoss(
  singleLogits: tf.Tensor2D,
  aggregated: tf.Tensor2D,
  labels: tf.Tensor1D,
  options: SelfDistillationOptions = {},
): tf.Scalar {
  const T = options.temperature ?? 1;
  if (!(T > 0)) throw new UsageError(`self-distillation temperature must be positive, found ${T}`);
  if (singleLogits.shape.join() !== aggregated.shape.join()) {
    throw new UsageError(
      `selfDistillationLoss: student [${singleLogits.shape.join(',')}] and aggregate [${aggregated.shape.join(',')}] differ in shape`,
    );
  }
  return tf.tidy(() => crossEntropy(singleLogits, labels).add(distillationKl(singleLogits, aggregated, T)) as tf.Scalar);
}

/** T^2 * KL(softmax(teacher/T) || softmax(student/T)), summed over classes, mean over rows; the teacher gets no gradient. */
export function distillationKl(student: tf.Tensor2D, teacher: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => {
    const teacherLog = tf.logSoftmax(detach(teacher).div(temperature));
    const studentLog = tf.logSoftmax(student.div(temperature));
    const kl = tf.sum(tf.mul(tf.exp(teacherLog), tf.sub(teacherLog, studentLog)), 1).mean();
    return kl.mul(temperature * temperature) as tf.Scalar;
  });
}
