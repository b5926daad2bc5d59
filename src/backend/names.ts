/** Backend names jointshot knows, in the order it prefers them (no tfjs import: cheap for --help). */
export const BACKEND_NAMES = ['tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
