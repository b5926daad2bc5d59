/** The wasm backend's public surface: setup, threads, shutdown and the heap guard. */
export {
  requestedWasmThreads,
  runningWasmModule,
  setupWasm,
  shutdownBackend,
  wasmBackendInfo,
  wasmThreadCount,
  type WasmBackendInfo,
  type WasmSetupOptions,
} from './setup.js';
export {
  assertWasmHeapHealthy,
  WASM_HEAP_CAP_BYTES,
  WasmHeapError,
  wasmHeapBytes,
  type HeapCheckOptions,
} from './heap.js';
