/**
 * Loads the emscripten module behind the wasm backend ourselves (instead of tfjs' `init()`), so
 * that in Node the threaded-SIMD build can run (tfjs issue 3830), its output can be watched for
 * XNNPACK failures, and its linear memory can be measured. Falls back to the single-threaded
 * (SIMD when available) build whenever the threaded one cannot start.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Worker, WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** The parts of the emscripten module (as tfjs' BackendWasm uses it) that jointshot touches. */
export interface WasmModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: unknown[]) => unknown;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _dispose?: () => void;
  HEAPU8: Uint8Array;
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory; dispose?: () => void };
  PThread?: EmscriptenPThread;
  tfjs?: {
    init(): void;
    initWithThreadsCount(count: number): void;
    getThreadsCount(): number;
    registerTensor(id: number, size: number, offset: number): void;
    disposeData(id: number): void;
    dispose(): void;
  };
}

/** The worker pool emscripten keeps for pthreads (node `worker_threads` Workers). */
export interface EmscriptenPThread {
  unusedWorkers: WorkerLike[];
  runningWorkers: WorkerLike[];
  terminateAllThreads(): void;
}

interface WorkerLike {
  ref(): void;
  unref(): void;
  terminate(): unknown;
}

/** What `loadWasmModule` hands back: the module and which build it is. */
export interface LoadedWasmModule {
  module: WasmModule;
  threaded: boolean;
  /** Why the threaded build was not used (undefined when it was, or was not asked for). */
  fallbackReason?: string;
}

/** Options of `loadWasmModule`. */
export interface LoadOptions {
  /** Try the threaded-SIMD build (needs SharedArrayBuffer and wasm threads). */
  threaded: boolean;
  /** Receives every line the module prints (stdout and stderr), after it has been forwarded. */
  onOutput: (text: string) => void;
  /** Threads the threaded build must be able to start (it is told of 2x this many cores). */
  threads?: number;
  /** Give up on the threaded build after this long (ms, default 60 s). */
  timeoutMs?: number;
}

type Factory = (config: Record<string, unknown>) => Promise<WasmModule>;

const THREADED_JS = 'tfjs-backend-wasm-threaded-simd.js';

/** Folder holding the emscripten JS glue and the .wasm binaries of @tensorflow/tfjs-backend-wasm. */
export function wasmOutDir(): string {
  return dirname(require.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${THREADED_JS}`));
}

/** True when this runtime can run the threaded build (shared memory and wasm atomics). */
export function threadsSupported(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  try {
    // A module with a shared memory and an atomic load (the wasm-feature-detect probe).
    return WebAssembly.validate(
      new Uint8Array([
        0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9,
        0, 65, 0, 254, 16, 2, 0, 26, 11,
      ]),
    );
  } catch {
    return false;
  }
}

/** True when this runtime validates wasm SIMD (the SIMD probe tfjs itself uses). */
export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(
      new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 10, 9, 1, 7, 0, 65, 0, 253, 15, 26, 11]),
    );
  } catch {
    return false;
  }
}

/**
 * Writes emscripten's pthread worker script to a content-addressed temp file (once) and returns
 * its path: node's Worker needs a file, tfjs would hand it a Blob URL node cannot load.
 */
function workerScriptFile(): string {
  const { wasmWorkerContents: raw } = require(`${wasmOutDir()}/tfjs-backend-wasm-threaded-simd.worker.js`) as {
    wasmWorkerContents: string;
  };
  // The template literal it is shipped in turned the source's "\n" escapes into real newlines.
  const wasmWorkerContents = raw.replace(/\n/g, '\\n');
  const hash = createHash('sha256').update(wasmWorkerContents).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'jointshot-wasm');
  const file = join(dir, `pthread-worker-${hash}.cjs`);
  try {
    if (readFileSync(file, 'utf8') === wasmWorkerContents) return file;
  } catch {
    // not written yet
  }
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, wasmWorkerContents);
  renameSync(partial, file);
  return file;
}

type ProcessEvent = 'uncaughtException' | 'unhandledRejection';
const PROCESS_EVENTS: ProcessEvent[] = ['uncaughtException', 'unhandledRejection'];

/**
 * Removes the process-wide handlers emscripten installs in Node (they rethrow, which would
 * override the host's own handling, e.g. ava's), and its dispose hook that would remove
 * everyone's handlers (its filter is always true).
 */
function undoProcessHooks(before: Map<ProcessEvent, Function[]>, module: WasmModule): void {
  for (const event of PROCESS_EVENTS) {
    const old = before.get(event) ?? [];
    for (const listener of process.listeners(event as 'uncaughtException')) {
      if (!old.includes(listener)) process.removeListener(event, listener as (...a: unknown[]) => void);
    }
  }
  if (module.asm?.dispose) module._dispose = module.asm.dispose;
}

function writeLine(stream: NodeJS.WriteStream, onOutput: (text: string) => void): (text: string) => void {
  return (text: string) => {
    stream.write(`${text}\n`);
    onOutput(text);
  };
}

/** Runs one emscripten factory; resolves with the module wrapped (an emscripten module is thenable-unsafe). */
function instantiate(
  factory: Factory,
  config: Record<string, unknown>,
  timeoutMs: number,
): Promise<{ module: WasmModule }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new Error(`wasm module did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    config.onAbort = (what: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`wasm module aborted: ${String(what)}`));
    };
    factory(config).then(
      (module) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ module });
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * An emscripten `instantiateWasm` hook that reports `2 * threads` logical cores to the module:
 * its C++ side caps XNNPACK's pool at half the core count (1 on a 2-vCPU machine).
 */
function instantiateWithCores(
  wasmPath: string,
  threads: number,
  onError: (error: unknown) => void,
): (imports: { env: Record<string, unknown> }, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) => object {
  return (imports, receive) => {
    imports.env.emscripten_num_logical_cores = () => 2 * threads;
    WebAssembly.instantiate(readFileSync(wasmPath), imports as WebAssembly.Imports).then(
      ({ instance, module }) => receive(instance, module),
      onError,
    );
    return {};
  };
}

/**
 * Runs `start` while node's Worker ignores the parent's execArgv (e.g. a TypeScript loader):
 * emscripten's pthread workers are plain scripts and would each pay for the loader otherwise.
 * emscripten creates its worker pool synchronously inside the factory call, within this window.
 */
function withPlainWorkers<T>(start: () => T): T {
  const threads = require('node:worker_threads') as { Worker: typeof Worker };
  const Original = threads.Worker;
  class PlainWorker extends Original {
    constructor(file: string | URL, options: WorkerOptions = {}) {
      super(file, { ...options, execArgv: [] });
    }
  }
  threads.Worker = PlainWorker;
  try {
    return start();
  } finally {
    threads.Worker = Original;
  }
}

/**
 * emscripten pre-creates 8 pthread workers (each a Node worker with its own copy of the module);
 * XNNPACK's pool needs at most `threads`. Ends the rest before the wasm is handed to them (more
 * are created on demand if ever needed).
 */
function trimWorkerPool(pool: EmscriptenPThread | undefined, threads: number): void {
  if (!pool) return;
  for (const worker of pool.unusedWorkers.splice(Math.max(1, threads))) void worker.terminate();
}

function attachTfjsBindings(module: WasmModule): void {
  module.tfjs = {
    init: module.cwrap('init', null, []) as () => void,
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']) as (n: number) => void,
    getThreadsCount: module.cwrap('get_threads_count', 'number', []) as () => number,
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']) as (
      id: number,
      size: number,
      offset: number,
    ) => void,
    disposeData: module.cwrap('dispose_data', null, ['number']) as (id: number) => void,
    dispose: module.cwrap('dispose', null, []) as () => void,
  };
}

async function loadBuild(threaded: boolean, options: LoadOptions): Promise<WasmModule> {
  const dir = wasmOutDir();
  const before = new Map(PROCESS_EVENTS.map((e) => [e, process.listeners(e as 'uncaughtException') as Function[]]));
  const jsFile = threaded ? THREADED_JS : 'tfjs-backend-wasm.js';
  const wasmFile = threaded
    ? 'tfjs-backend-wasm-threaded-simd.wasm'
    : simdSupported()
      ? 'tfjs-backend-wasm-simd.wasm'
      : 'tfjs-backend-wasm.wasm';
  const factory = require(join(dir, jsFile)) as Factory;
  const config: Record<string, unknown> = {
    locateFile: (path: string, prefix: string) => {
      if (path.endsWith('.worker.js')) return workerScriptFile();
      if (path.endsWith('.wasm')) return join(dir, wasmFile);
      return prefix + path;
    },
    print: writeLine(process.stdout, options.onOutput),
    printErr: writeLine(process.stderr, options.onOutput),
  };
  if (threaded) {
    // Workers load the main script from this path (tfjs would pass a Blob, which node cannot import).
    config.mainScriptUrlOrBlob = join(dir, jsFile);
    const fail = (error: unknown) => (config.onAbort as ((what: unknown) => void) | undefined)?.(error);
    config.instantiateWasm = instantiateWithCores(join(dir, wasmFile), options.threads ?? 1, fail);
  }
  try {
    // The timeout guards the threaded start (workers that never report back); the plain build has none.
    const timeoutMs = threaded ? (options.timeoutMs ?? 60_000) : 600_000;
    const started = withPlainWorkers(() => instantiate(factory, config, timeoutMs));
    if (threaded) trimWorkerPool(config.PThread as EmscriptenPThread | undefined, options.threads ?? 1);
    const { module } = await started;
    undoProcessHooks(before, module);
    attachTfjsBindings(module);
    return module;
  } catch (error) {
    (config.PThread as EmscriptenPThread | undefined)?.terminateAllThreads();
    undoProcessHooks(before, config as unknown as WasmModule);
    throw error;
  }
}

/**
 * Loads the wasm module: the threaded-SIMD build when asked and possible, else the
 * single-threaded one; never throws for a failed threaded start (it falls back and says why).
 */
export async function loadWasmModule(options: LoadOptions): Promise<LoadedWasmModule> {
  if (options.threaded) {
    if (!threadsSupported()) {
      return {
        module: await loadBuild(false, options),
        threaded: false,
        fallbackReason: 'this runtime lacks SharedArrayBuffer or wasm threads',
      };
    }
    try {
      return { module: await loadBuild(true, options), threaded: true };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { module: await loadBuild(false, options), threaded: false, fallbackReason: reason };
    }
  }
  return { module: await loadBuild(false, options), threaded: false };
}

/**
 * Lets the process exit by itself while pthread workers idle: emscripten keeps a running
 * pthread's worker referenced, so a Node process using the threaded build would never end.
 */
export function unrefPthreadWorkers(module: WasmModule): void {
  const pool = module.PThread;
  if (!pool) return;
  for (const worker of [...pool.runningWorkers, ...pool.unusedWorkers]) {
    worker.unref();
    worker.ref = () => {};
  }
}
