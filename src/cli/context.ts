/** Shared helpers for CLI commands: the global options, the data dir, backend start-up and output. */
import os from 'node:os';
import path from 'node:path';
import type { BackendInfo } from '../backend/select.js';
import type { DatasetDefinition } from '../data/registry.js';

/** Global options every command receives (see `src/cli/parser.ts`). */
export interface GlobalArgs {
  backend?: string;
  dataDir: string;
  seed: number;
  verbose: boolean;
  json: boolean;
  plugin?: string[];
}

/** Default `--data-dir`: `$JOINTSHOT_DATA`, else `~/.cache/jointshot`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.JOINTSHOT_DATA || path.join(os.homedir(), '.cache', 'jointshot');
}

/** The data dir a command should use, as an absolute path. */
export function resolveDataDir(argv: Pick<GlobalArgs, 'dataDir'>): string {
  return path.resolve(argv.dataDir || defaultDataDir());
}

/**
 * The dataset `name` as every command sees it: the built-in and plugin datasets plus those prepared
 * under the data dir (`data prepare folder --name X`). The one way commands look datasets up.
 */
export async function datasetFor(argv: Pick<GlobalArgs, 'dataDir'>, name: string): Promise<DatasetDefinition> {
  const { getDataset, registerPreparedDatasets } = await import('../data/index.js');
  await registerPreparedDatasets(resolveDataDir(argv));
  return getDataset(name);
}

/** One line describing a backend, e.g. `wasm (2 threads)`. */
export function describeBackend(info: BackendInfo): string {
  const note = info.note ? `: ${info.note}` : '';
  return `${info.name} (${info.threads} thread${info.threads === 1 ? '' : 's'}${note})`;
}

/**
 * Starts the backend chosen by `--backend`/`JOINTSHOT_BACKEND` and announces it on stderr.
 * TensorFlow.js is imported here, lazily, so that `--help` and light commands start fast.
 */
export async function startBackend(argv: Pick<GlobalArgs, 'backend'>): Promise<BackendInfo> {
  const { initBackend } = await import('../backend/select.js');
  const info = await initBackend(argv.backend);
  process.stderr.write(`backend: ${describeBackend(info)}\n`);
  return info;
}

/** Prints a command's result: `data` as one JSON document under `--json`, else `text`. */
export function emit(argv: Pick<GlobalArgs, 'json'>, data: unknown, text: string): void {
  process.stdout.write(argv.json ? `${JSON.stringify(data, null, 2)}\n` : text.endsWith('\n') ? text : `${text}\n`);
}
