export { meanConfidenceInterval, metaOptNetHalfWidth } from './confidence.js';
export type { ConfidenceInterval, ConfidenceOptions } from './confidence.js';
export { normalCdf, normalQuantile, studentTCdf, studentTQuantile } from './distributions.js';
export { erfc, logGamma, regularizedIncompleteBeta } from './special.js';
export { wilsonInterval, type ProportionInterval } from './binomial.js';
