/**
 * Prepares the wasm backend for training in Node (kernels it lacks, threads). Call before
 * `tf.setBackend('wasm')`. PLACEHOLDER: the wasm-kernels work replaces this body.
 */
export async function setupWasm(): Promise<void> {}

/** Threads the wasm backend runs on once set up. */
export function wasmThreadCount(): number {
  return 1;
}
