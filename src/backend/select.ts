/**
 * Backend selection: which TensorFlow.js backends are installed here, and activating one of them
 * (`tensorflow` -> `native` (oneDNN addon) -> `wasm` -> `cpu` unless forced by `--backend` or `JOINTSHOT_BACKEND`).
 */
import os from 'node:os';
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import { setupWasm, wasmBackendInfo, wasmThreadCount } from './wasm/setup.js';
import { nativeThreadCount, registerNativeBackend } from './native/backend.js';
import { BACKEND_NAMES, type BackendName } from './names.js';


/** The backend in use and the threads its kernels run on. */
export interface BackendInfo {
  name: BackendName;
  threads: number;
  /** Why it runs with fewer threads than asked for (wasm's threaded build unavailable), if so. */
  note?: string;
}

/** Whether a backend can be used here; `detail` names its package, or why it is not usable. */
export interface BackendProbe {
  name: BackendName;
  available: boolean;
  detail: string;
}

/** Native TensorFlow bindings, GPU build first. Both register a backend called 'tensorflow'. */
const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

/** Imports a package by a runtime name (so tsc does not require optional packages to exist). */
async function importOptional(specifier: string): Promise<unknown> {
  return import(specifier);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.trim();
}

/**
 * Tries the native bindings in order; one counts only if it registered 'tensorflow' into
 * jointshot's own tfjs instance. Import failures (absent package, missing native binding) are
 * reported, never thrown. `load` is replaceable for tests.
 */
export async function probeTensorflow(
  specifiers: readonly string[] = TENSORFLOW_PACKAGES,
  load: (specifier: string) => Promise<unknown> = importOptional,
): Promise<BackendProbe> {
  const failures: string[] = [];
  for (const specifier of specifiers) {
    try {
      await load(specifier);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
      failures.push(missing ? `${specifier} not installed` : `${specifier} failed to load: ${firstLine(error)}`);
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      failures.push(`${specifier} did not register into jointshot's @tensorflow/tfjs-core (versions differ?)`);
      continue;
    }
    return { name: 'tensorflow', available: true, detail: specifier };
  }
  return { name: 'tensorflow', available: false, detail: failures.join('; ') };
}

async function loadWasm(): Promise<BackendProbe> {
  try {
    await importOptional(WASM_PACKAGE);
  } catch (error) {
    return { name: 'wasm', available: false, detail: `${WASM_PACKAGE} failed to load: ${firstLine(error)}` };
  }
  if (tf.findBackendFactory('wasm') === null) {
    return { name: 'wasm', available: false, detail: `${WASM_PACKAGE} registered into a different copy of @tensorflow/tfjs-core` };
  }
  return { name: 'wasm', available: true, detail: WASM_PACKAGE };
}

/** Loads jointshot's oneDNN addon (built at install when libdnnl is present) and registers 'native'. */
async function probeNative(): Promise<BackendProbe> {
  return { name: 'native', ...registerNativeBackend() };
}

const probes = new Map<BackendName, Promise<BackendProbe>>();

/** Loads (once per process) the package behind a backend and reports whether it is usable. */
function probe(name: BackendName): Promise<BackendProbe> {
  let found = probes.get(name);
  if (!found) {
    if (name === 'tensorflow') found = probeTensorflow();
    else if (name === 'native') found = probeNative();
    else if (name === 'wasm') found = loadWasm();
    else found = Promise.resolve({ name: 'cpu', available: true, detail: '@tensorflow/tfjs-backend-cpu (built in)' });
    probes.set(name, found);
  }
  return found;
}

/** Every known backend with whether it is installed here, in preference order. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const result: BackendProbe[] = [];
  for (const name of BACKEND_NAMES) result.push(await probe(name));
  return result;
}

/** Names of the backends installed here, in preference order. */
export async function availableBackends(): Promise<BackendName[]> {
  return (await probeBackends()).filter((p) => p.available).map((p) => p.name);
}

function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

let wasmPrepared: Promise<void> | undefined;

/** The active backend with its threads. TensorFlow sizes its own pool from the CPU count. */
function describeActive(name: BackendName): BackendInfo {
  if (name === 'wasm') {
    const note = wasmBackendInfo()?.fallbackReason;
    return note ? { name, threads: wasmThreadCount(), note } : { name, threads: wasmThreadCount() };
  }
  if (name === 'native') return { name, threads: nativeThreadCount() };
  return { name, threads: name === 'tensorflow' ? os.availableParallelism() : 1 };
}

/** Makes `name` the active tfjs backend; false (with a tfjs warning) when it fails to start. */
async function activate(name: BackendName): Promise<boolean> {
  if (name === 'wasm') {
    wasmPrepared ??= setupWasm();
    await wasmPrepared;
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch {
    ok = false;
  }
  if (!ok) return false;
  await tf.ready();
  if (name === 'cpu') {
    // The cpu backend prints a multi-line "install tfjs-node" banner on first use; the choice was made here.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
  return true;
}

/**
 * Activates a backend and returns it with its thread count. `requested` (the `--backend` flag)
 * wins over `env.JOINTSHOT_BACKEND`; with neither, the first usable of tensorflow, native, wasm, cpu.
 * An unknown or unusable requested backend is a UsageError that lists the installed ones.
 */
export async function initBackend(requested?: string, env: NodeJS.ProcessEnv = process.env): Promise<BackendInfo> {
  const wanted = requested || env.JOINTSHOT_BACKEND || undefined;
  if (wanted === undefined) {
    for (const name of BACKEND_NAMES) {
      if ((await probe(name)).available && (await activate(name))) return describeActive(name);
    }
    throw new UsageError(`no TensorFlow.js backend could be started (tried ${BACKEND_NAMES.join(', ')})`);
  }
  const source = requested ? '--backend' : 'JOINTSHOT_BACKEND';
  if (!isBackendName(wanted)) {
    const installed = (await availableBackends()).join(', ');
    throw new UsageError(`unknown backend '${wanted}' (${source}): expected one of ${BACKEND_NAMES.join(', ')}; installed here: ${installed}`);
  }
  const found = await probe(wanted);
  if (!found.available) {
    const installed = (await availableBackends()).join(', ');
    throw new UsageError(`backend '${wanted}' (${source}) is not installed (${found.detail}); installed here: ${installed}`);
  }
  if (!(await activate(wanted))) {
    const installed = (await availableBackends()).filter((n) => n !== wanted).join(', ');
    throw new UsageError(`backend '${wanted}' (${source}) failed to start; other installed backends: ${installed}`);
  }
  return describeActive(wanted);
}
