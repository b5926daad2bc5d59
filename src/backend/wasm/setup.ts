/**
 * Prepares the wasm backend for training in Node: the kernels stock tfjs-backend-wasm lacks or
 * runs slowly, its threaded build (tfjs issue 3830) and a heap watch. Call `setupWasm()` before
 * `tf.setBackend('wasm')`.
 */
import os from 'node:os';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { UsageError } from '../../errors.js';
import { tf } from '../../tf.js';
import { unwatchWasmModule, watchWasmModule, noteWasmOutput } from './heap.js';
import { registerWasmKernels } from './kernels/index.js';
import { loadWasmModule, unrefPthreadWorkers, type WasmModule } from './module-loader.js';

/** Options of `setupWasm`. */
export interface WasmSetupOptions {
  /** Threads for XNNPACK (default: `JOINTSHOT_WASM_THREADS`, else all cores). 1 = single-threaded build. */
  threads?: number;
}

/** What the running wasm backend ended up with. */
export interface WasmBackendInfo {
  /** Threads XNNPACK uses (as reported by the module). */
  threads: number;
  /** True when the threaded-SIMD build runs. */
  threaded: boolean;
  /** Why more than one thread was asked for but the single-threaded build runs. */
  fallbackReason?: string;
}

const WASM_PRIORITY = 2;

let requestedThreads = 1;
let info: WasmBackendInfo | undefined;

/** Threads asked for through `JOINTSHOT_WASM_THREADS` (a positive integer), else the core count. */
export function requestedWasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.JOINTSHOT_WASM_THREADS;
  if (raw === undefined || raw.trim() === '') {
    return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`JOINTSHOT_WASM_THREADS must be a positive integer, found '${raw}'`);
  }
  return value;
}

/** Builds the wasm backend from our own module load (threads, output watch, heap watch). */
async function createWasmBackend(): Promise<tf.KernelBackend> {
  const threads = requestedThreads;
  const loaded = await loadWasmModule({ threaded: threads > 1, threads, onOutput: noteWasmOutput });
  tfwasm.setThreadsCount(loaded.threaded ? threads : 1);
  const backend = new tfwasm.BackendWasm(loaded.module as unknown as tfwasm.BackendWasm['wasm']);
  const module = loaded.module;
  if (loaded.threaded) unrefPthreadWorkers(module);
  watchWasmModule(module);
  const dispose = backend.dispose.bind(backend);
  backend.dispose = () => {
    unwatchWasmModule(module);
    info = undefined;
    dispose();
  };
  info = {
    threads: tfwasm.getThreadsCount(),
    threaded: loaded.threaded,
    ...(loaded.fallbackReason !== undefined ? { fallbackReason: loaded.fallbackReason } : {}),
  };
  return backend;
}

/**
 * The wasm backend instance if it has been started, without starting it (`tf.findBackend` would
 * start it from its factory, asynchronously, and leave the engine waiting on that).
 */
function startedWasmBackend(): tfwasm.BackendWasm | undefined {
  return tf.engine().registry['wasm'] as tfwasm.BackendWasm | undefined;
}

function installFactory(): void {
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend('wasm', createWasmBackend, WASM_PRIORITY);
}

/**
 * Prepares the wasm backend for training in Node (kernels it lacks, threads, heap watch). Call
 * before `tf.setBackend('wasm')`; calling it again is harmless (thread changes apply only to a
 * backend not yet started).
 */
export async function setupWasm(options: WasmSetupOptions = {}): Promise<void> {
  const threads = options.threads ?? requestedWasmThreads();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(`wasm threads must be a positive integer, found ${threads}`);
  }
  requestedThreads = threads;
  registerWasmKernels();
  const running = startedWasmBackend();
  if (!running) {
    installFactory();
  } else if (!info) {
    // Started by someone else (tfjs' own loader): keep it, but watch its heap and report it.
    const module = running.wasm as unknown as WasmModule;
    watchWasmModule(module);
    info = {
      threads: tfwasm.getThreadsCount(),
      threaded: module.PThread !== undefined,
      fallbackReason: 'the wasm backend was started before setupWasm()',
    };
  }
}

/** Threads the wasm backend runs on once set up (before it starts: the number it will ask for). */
export function wasmThreadCount(): number {
  return info?.threads ?? requestedThreads;
}

/** Threads, build and fallback reason of the running wasm backend (undefined when not running). */
export function wasmBackendInfo(): WasmBackendInfo | undefined {
  return info ? { ...info } : undefined;
}

/**
 * Stops the wasm backend (frees its heap, ends its pthread workers). Tensors on it become
 * invalid; `tf.setBackend('wasm')` afterwards starts a fresh one. A no-op when it is not running.
 */
export function shutdownBackend(): void {
  const running = startedWasmBackend();
  if (!running) return;
  unwatchWasmModule(running.wasm as unknown as WasmModule);
  info = undefined;
  const factory = tf.findBackendFactory('wasm');
  tf.removeBackend('wasm');
  if (factory) tf.registerBackend('wasm', factory, WASM_PRIORITY);
}

/** The emscripten module of the running wasm backend (undefined when not running). */
export function runningWasmModule(): WasmModule | undefined {
  return startedWasmBackend()?.wasm as unknown as WasmModule | undefined;
}
