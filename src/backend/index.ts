export { BACKEND_NAMES } from './names.js';
export type { BackendName } from './names.js';
export { availableBackends, initBackend, probeBackends } from './select.js';
export type { BackendInfo, BackendProbe } from './select.js';
export * from './wasm/index.js';
