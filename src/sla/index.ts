/** Self-supervised label augmentation: joint labels, lifted heads, single/aggregated inference, losses. */
export { aggregateJointLogits, jointLabelArray, jointLabels, singleJointLogits } from './joint-labels.js';
export { type LiftedHead, type SlaInference, liftHead } from './lift.js';
export {
  type CrossEntropyOptions,
  type SelfDistillationOptions,
  crossEntropy,
  detach,
  distillationKl,
  jointCrossEntropy,
  selfDistillationLoss,
} from './losses.js';
