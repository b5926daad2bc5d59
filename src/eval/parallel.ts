/**
 * The head phase on several threads: worker threads share the embedding cache (SharedArrayBuffer
 * chunks, no copy), each rebuilds the head from its spec and pulls batches of episodes from a queue.
 * Worth it when head solves run in JS (the svm head); the embedding pass is threaded by wasm itself.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Episode } from '../episodes/sampler.js';
import { DataError, JointshotError, UsageError } from '../errors.js';
import type { Head } from '../heads/types.js';
import type { EmbeddingCache } from './embedding-cache.js';
import type { EpisodeAccuracy } from './episode-score.js';
import type { FromWorker, HeadSpec, ToWorker } from './worker-protocol.js';

/** Episodes per work item: small enough for balance and progress, big enough to amortise messages. */
const BATCH = 8;

/** Heads whose solve runs in plain JS (one core) rather than in threaded tf kernels. */
const JS_SOLVER_HEADS = new Set(['svm']);

/**
 * Head-phase threads when none are asked for: min(2, cores) for heads solved in JS (svm) over at
 * least 100 episodes, else 1. Measured (docs/evaluation.md): svm gains ~1.7x on 2 workers; protonet
 * and ridge, whose tf ops already use wasm's 2 threads, lose to the workers' start-up and copies.
 */
export function defaultWorkers(head: string, episodes: number, cores: number = os.availableParallelism()): number {
  return JS_SOLVER_HEADS.has(head) && episodes >= 100 ? Math.max(1, Math.min(2, cores)) : 1;
}

/** The spec a worker needs to rebuild `head` (registry name and options) with its current variables. */
export function headSpec(head: Head, name: string, options: Record<string, unknown>): HeadSpec {
  return {
    name,
    options,
    variables: head.variables.map((v) => ({ shape: [...v.shape], values: Float32Array.from(v.dataSync()) })),
  };
}

/**
 * A worker running episode-worker: the .js build directly; under tsx (tests, `npm run jointshot`)
 * the .ts source through tsx's loader, which Node 20 does not carry into worker threads by itself.
 */
function startWorker(): Worker {
  const env = { ...process.env, JOINTSHOT_WASM_THREADS: '1' };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./episode-worker.js', import.meta.url), { env });
  const source = new URL('./episode-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true, env });
}

function rebuildError(name: string, message: string): Error {
  if (name === 'UsageError') return new UsageError(message);
  if (name === 'DataError') return new DataError(message);
  return new JointshotError(`evaluation worker failed: ${message}`);
}

/** Options of `scoreEpisodesInWorkers`. */
export interface WorkerPoolOptions {
  workers: number;
  head: HeadSpec;
  /** Backend each worker starts (wasm runs with 1 thread per worker). */
  backend: string;
  onProgress?: (done: number, total: number) => void;
}

/** Scores `episodes` from `cache` on `workers` threads; results in episode order. */
export async function scoreEpisodesInWorkers(
  cache: EmbeddingCache,
  episodes: readonly Episode[],
  options: WorkerPoolOptions,
): Promise<EpisodeAccuracy[]> {
  const results: EpisodeAccuracy[] = new Array(episodes.length);
  let next = 0;
  let done = 0;
  const pool = Array.from(
    { length: Math.max(1, Math.min(options.workers, Math.ceil(episodes.length / BATCH))) },
    startWorker,
  );
  const init: ToWorker = {
    type: 'init',
    chunks: cache.chunks.map((c) => ({ slotOf: c.slotOf, data: c.data })),
    dim: cache.dim,
    copies: cache.copies,
    head: options.head,
    backend: options.backend,
  };
  const run = (worker: Worker) =>
    new Promise<void>((resolve, reject) => {
      const give = () => {
        if (next >= episodes.length) {
          worker.postMessage({ type: 'stop' } satisfies ToWorker);
          resolve();
          return;
        }
        const first = next;
        next = Math.min(episodes.length, next + BATCH);
        worker.postMessage({ type: 'score', first, episodes: episodes.slice(first, next) } satisfies ToWorker);
      };
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'error') reject(rebuildError(message.name, message.message));
        else if (message.type === 'ready') give();
        else {
          message.accuracies.forEach((a, i) => (results[message.first + i] = a));
          done += message.accuracies.length;
          options.onProgress?.(done, episodes.length);
          give();
        }
      });
      worker.on('error', (error) => reject(new JointshotError(`evaluation worker failed: ${error.message.split('\n')[0]}`)));
      worker.on('exit', (code) => {
        if (next < episodes.length || code !== 0) reject(new JointshotError(`evaluation worker exited early (code ${code})`));
      });
      worker.postMessage(init);
    });
  try {
    await Promise.all(pool.map(run));
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
