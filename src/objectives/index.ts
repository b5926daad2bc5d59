/** Whole-class objectives (baseline, da, mt, sla, sla+sd), their linear classifiers and read-outs. */
export * from './types.js';
export { getObjective, objectiveNames, registerObjective } from './registry.js';
export { createClassifiers, classifierVariableNames, type LinearClassifiers } from './classifier.js';
export { identityRows, classifierOnIdentity, jointAggregated, jointSingle } from './readouts.js';
export { plainCrossEntropy, repeatLabels, copyLabels, jointClassLoss } from './losses.js';
