/**
 * Guards against the wasm backend's silent failure mode: its heap is capped at 4 GiB and, at the
 * cap, XNNPACK prints "Got status 6" (out of memory) and carries on with wrong results, and a
 * failed malloc hands tfjs offset 0. Here we watch the heap size, the module's output and malloc,
 * and turn all three into a typed error.
 */
import { JointshotError } from '../../errors.js';
import type { WasmModule } from './module-loader.js';

/** Hard cap of the wasm32 linear memory (65536 pages of 64 KiB). */
export const WASM_HEAP_CAP_BYTES = 4 * 1024 ** 3;

/** Default headroom: a heap within this distance of the cap counts as exhausted. */
export const WASM_HEAP_DEFAULT_MARGIN_BYTES = 64 * 1024 ** 2;

/** The wasm heap is (about to be) exhausted: results can no longer be trusted. */
export class WasmHeapError extends JointshotError {}

const XNN_FAILURE = /XNN status for (\S+) is not successful\. Got status (\d+)/;

let watched: WasmModule | undefined;
let pendingFailure: string | undefined;

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

const ADVICE = 'use smaller (micro-)batches or another backend (--backend tensorflow)';

/** Starts watching `module` (called once per module by setupWasm): wraps its malloc. */
export function watchWasmModule(module: WasmModule): void {
  watched = module;
  pendingFailure = undefined;
  // emscripten's first call of `_malloc` swaps in the raw export over whatever is installed: bind it first.
  module._free(module._malloc(16));
  const malloc = module._malloc.bind(module);
  module._malloc = (bytes: number) => {
    // Requests near 4 GiB overflow dlmalloc's size arithmetic into a small, bogus block.
    const pointer = bytes > WASM_HEAP_CAP_BYTES - WASM_HEAP_DEFAULT_MARGIN_BYTES ? 0 : malloc(bytes);
    if (pointer === 0 && bytes > 0) {
      throw new WasmHeapError(
        `wasm heap exhausted: could not allocate ${bytes} bytes with ${gib(wasmHeapBytes())} in use (cap 4 GiB); ${ADVICE}`,
      );
    }
    return pointer;
  };
}

/** Stops watching (the module was disposed). */
export function unwatchWasmModule(module: WasmModule): void {
  if (watched === module) watched = undefined;
}

/**
 * Records a line printed by the wasm module; an XNNPACK failure is remembered and thrown by the
 * next `assertWasmHeapHealthy()` (throwing from inside wasm code would skip its cleanup).
 */
export function noteWasmOutput(text: string): void {
  const match = XNN_FAILURE.exec(text);
  if (match && pendingFailure === undefined) {
    const status = Number(match[2]);
    const meaning = status === 6 ? ' (out of memory)' : '';
    pendingFailure = `XNNPACK ${match[1]} failed with status ${status}${meaning}`;
  }
}

/** Size of the wasm backend's linear memory in bytes (0 when the wasm backend is not running). */
export function wasmHeapBytes(): number {
  if (!watched) return 0;
  const memory = watched.wasmMemory ?? watched.asm?.memory;
  return memory ? memory.buffer.byteLength : watched.HEAPU8.buffer.byteLength;
}

/** Options of `assertWasmHeapHealthy`. */
export interface HeapCheckOptions {
  /** Throw once the heap reaches this many bytes (default: the 4 GiB cap minus 64 MiB). */
  limitBytes?: number;
}

/**
 * Throws a `WasmHeapError` if the wasm heap reached its limit or XNNPACK reported a failure since
 * the last check; call it once per training step. A no-op when the wasm backend is not running.
 */
export function assertWasmHeapHealthy(options: HeapCheckOptions = {}): void {
  if (!watched) return;
  const bytes = wasmHeapBytes();
  if (pendingFailure !== undefined) {
    const failure = pendingFailure;
    pendingFailure = undefined;
    throw new WasmHeapError(
      `wasm backend failed: ${failure} with a ${gib(bytes)} heap, so this step's results are wrong; ${ADVICE}`,
    );
  }
  const limit = options.limitBytes ?? WASM_HEAP_CAP_BYTES - WASM_HEAP_DEFAULT_MARGIN_BYTES;
  if (bytes >= limit) {
    throw new WasmHeapError(
      `wasm heap at ${gib(bytes)} reached its limit of ${gib(limit)} (the heap never shrinks; at 4 GiB XNNPACK silently returns wrong results); ${ADVICE}`,
    );
  }
}
