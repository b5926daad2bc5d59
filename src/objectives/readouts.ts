/** Test-time read-outs shared by the objectives: which rows (copies) and columns give N-way logits. */
import { aggregateJointLogits, singleJointLogits } from '../sla/joint-labels.js';
import { tf } from '../tf.js';
import type { ClassifierOutputs, Readout } from './types.js';

/** Rows b*M (the identity copy) of `logits` [B*M, K] -> [B, K]. */
export function identityRows(logits: tf.Tensor2D, copies: number): tf.Tensor2D {
  if (copies === 1) return logits.clone();
  return tf.tidy(() => {
    const [rows, k] = logits.shape;
    return logits.reshape([rows / copies, copies, k]).slice([0, 0, 0], [-1, 1, -1]).reshape([rows / copies, k]) as tf.Tensor2D;
  });
}

/** The N-way classifier `name` on the identity copy. */
export function classifierOnIdentity(name: string): Readout {
  return (outputs, copies) => identityRows(required(outputs, name), copies);
}

/** SDA+SI: the joint classifier's identity copy at the identity columns y*M. */
export const jointSingle: Readout = (outputs, copies, classes) => singleJointLogits(required(outputs, 'joint'), classes, copies);

/** SDA+AG: mean over copies of the joint logits at each copy's own column y*M + j. */
export const jointAggregated: Readout = (outputs, copies, classes) => aggregateJointLogits(required(outputs, 'joint'), classes, copies);

function required(outputs: ClassifierOutputs, name: string): tf.Tensor2D {
  const logits = outputs[name];
  if (!logits) throw new Error(`classifier '${name}' missing from the outputs (have ${Object.keys(outputs).join(', ')})`);
  return logits;
}
