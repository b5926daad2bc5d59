/** jointshot public API. */
export { tf } from './tf.js';
export * from './backend/index.js';
export * from './errors.js';
export * from './stats/index.js';
export * from './episodes/index.js';
export * from './data/index.js';
export * from './transforms/index.js';
export * from './backbones/index.js';
export * from './solvers/index.js';
export * from './heads/index.js';
export * from './sla/index.js';
export * from './train/index.js';
export * from './eval/index.js';
export * from './bench/index.js';
export * from './report/index.js';
export { writeFileAtomic } from './util/atomic-file.js';
