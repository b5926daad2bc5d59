export { BACKEND_NAMES, availableBackends, initBackend, probeBackends } from './select.js';
export type { BackendInfo, BackendName, BackendProbe } from './select.js';
