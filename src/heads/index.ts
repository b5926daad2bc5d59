/** Few-shot heads (base learners): the contract, the registry and the built-in heads. */
export type { Head, HeadFactory } from './types.js';
export { createHead, registerHead, listHeads } from './registry.js';
export { readHeadOptions, requirePositive } from './options.js';
export { batchLogits } from './episode.js';
export { createProtoNetHead } from './protonet.js';
export { createRidgeHead } from './ridge.js';
export { createSvmHead, type SvmHead } from './svm.js';
