/** The class-level cross-entropies objectives are built from, with the joint-label layout of SLA. */
import { jointLabels } from '../sla/joint-labels.js';
import { crossEntropy } from '../sla/losses.js';
import { tf } from '../tf.js';
import type { ClassLoss } from './types.js';

/** Plain mean cross-entropy (the default ClassLoss). */
export const plainCrossEntropy: ClassLoss = (logits, labels) => crossEntropy(logits, labels);

/** Every label repeated M times, query-major: [B] -> [B*M] with entry b*M + j = labels[b]. */
export function repeatLabels(labels: tf.Tensor1D, copies: number): tf.Tensor1D {
  if (copies === 1) return labels.clone();
  return tf.tidy(() => labels.expandDims(1).tile([1, copies]).reshape([-1]) as tf.Tensor1D);
}

/** The copy index j of every row b*M + j: [B*M] int32. */
export function copyLabels(batch: number, copies: number): tf.Tensor1D {
  return tf.tidy(() => tf.range(0, copies, 1, 'int32').expandDims(0).tile([batch, 1]).reshape([-1]) as tf.Tensor1D);
}

/** L_SLA with a pluggable class loss: the loss over all B*M rows against joint labels y*M + j. */
export function jointClassLoss(joint: tf.Tensor2D, labels: tf.Tensor1D, copies: number, classLoss: ClassLoss): tf.Scalar {
  return tf.tidy(() => classLoss(joint, jointLabels(labels, copies), (c) => Math.floor(c / copies)));
}

/** Identity map of columns to classes (N-way logits). */
export const sameClass = (c: number): number => c;
