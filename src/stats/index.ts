export { meanConfidenceInterval, metaOptNetHalfWidth } from './confidence.js';
export type { ConfidenceInterval, ConfidenceOptions } from './confidence.js';
export { normalCdf, normalQuantile, studentTCdf, studentTQuantile } from './distributions.js';
export { erfc, logGamma, regularizedIncompleteBeta } from './special.js';
export { pairedComparison, type PairedComparison } from './paired.js';
export { MCNEMAR_EXACT_BELOW, mcnemarTest, type McNemarResult } from './mcnemar.js';
export { clopperPearsonInterval, wilsonInterval } from './proportion.js';
export { holmAdjust } from './multiple.js';
