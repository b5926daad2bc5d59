/**
 * The evaluation on several cores: worker processes, each with its own one-thread backend and its
 * own copies of the backbone and head, take batches of images to embed (the embedding pass) and
 * batches of gathered episodes to score (the head phase) from one queue. Batches are the same as
 * in the calling thread, so the results are too (test/eval/parallel.test.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { encodeCheckpoint } from '../backbones/checkpoint.js';
import type { Backbone } from '../backbones/types.js';
import type { Episode } from '../episodes/sampler.js';
import { DataError, JointshotError, UsageError } from '../errors.js';
import type { Head } from '../heads/types.js';
import type { LabelTransform } from '../transforms/label-transform.js';
import type { ChannelStats } from '../transforms/normalization.js';
import type { EmbeddingCache } from './embedding-cache.js';
import { gatherEpisode, type EpisodeAccuracy } from './episode-score.js';
import type { EmbedSpec, FromWorker, HeadSpec, ToWorker, WorkerInit } from './worker-protocol.js';

/** Episodes per work item: small enough for balance and progress, big enough to amortise messages. */
const BATCH = 8;

/**
 * Worker processes when none are asked for: min(2, cores) over at least 100 episodes, else 1 (the
 * calling thread). Start-up (a Node process, the backend, the model) costs about a second per
 * worker; below 100 episodes that is not paid back.
 */
export function defaultWorkers(_head: string, episodes: number, cores: number = os.availableParallelism()): number {
  return episodes >= 100 ? Math.max(1, Math.min(2, cores)) : 1;
}

/** The spec a worker needs to rebuild `head` (registry name and options) with its current variables. */
export function headSpec(head: Head, name: string, options: Record<string, unknown>): HeadSpec {
  return {
    name,
    options,
    variables: head.variables.map((v) => ({ shape: [...v.shape], values: Float32Array.from(v.dataSync()) })),
  };
}

/** The spec a worker needs to embed images as the calling thread would. */
export function embedSpec(backbone: Backbone, transform: LabelTransform, normalization: ChannelStats, shape: EmbedSpec['shape']): EmbedSpec {
  return { checkpoint: encodeCheckpoint({ backbone }), transform: transform.name, normalization, shape };
}

/**
 * A worker process running episode-worker: the .js build directly; under tsx (tests, `npm run
 * jointshot`) the .ts source, through the tsx loader the child inherits in its execArgv.
 */
function startProcess(): ChildProcess {
  const ts = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(ts ? './episode-worker.ts' : './episode-worker.js', import.meta.url));
  return fork(entry, [], {
    serialization: 'advanced',
    env: { ...process.env, JOINTSHOT_WASM_THREADS: '1', JOINTSHOT_NATIVE_THREADS: '1' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function rebuildError(name: string, message: string): Error {
  if (name === 'UsageError') return new UsageError(message);
  if (name === 'DataError') return new DataError(message);
  return new JointshotError(`evaluation worker failed: ${message}`);
}

/** A request, built when a worker takes it (gathered episodes exist only while in flight). */
type Task = { build: () => ToWorker; resolve: (m: FromWorker) => void; reject: (e: Error) => void };

/** What the workers of an EvalPool run. */
export interface EvalPoolOptions {
  workers: number;
  /** Backend each worker starts, with one thread. */
  backend: string;
  /** M, copies per image. */
  copies: number;
  head: HeadSpec;
  /** Give it for workers that also embed images. */
  embed?: EmbedSpec;
}

/** Worker processes pulling embed and score batches from one queue. */
export class EvalPool {
  private readonly idle: ChildProcess[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<ChildProcess, Task>();
  private nextId = 0;
  private failure: Error | undefined;
  private stopping = false;

  private constructor(private readonly children: ChildProcess[]) {}

  /** Starts `workers` processes and waits until each has its backend and model. */
  static async start(options: EvalPoolOptions): Promise<EvalPool> {
    const pool = new EvalPool(Array.from({ length: Math.max(1, options.workers) }, startProcess));
    const init: WorkerInit = { type: 'init', backend: options.backend, copies: options.copies, head: options.head, ...(options.embed ? { embed: options.embed } : {}) };
    try {
      await Promise.all(pool.children.map((child) => pool.attach(child, init)));
    } catch (error) {
      await pool.stop();
      throw error;
    }
    return pool;
  }

  /** Number of worker processes. */
  get size(): number {
    return this.children.length;
  }

  private attach(child: ChildProcess, init: WorkerInit): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      child.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          resolve();
          this.release(child);
          return;
        }
        const task = this.running.get(child);
        this.running.delete(child);
        if (message.type === 'error') {
          const error = rebuildError(message.name, message.message);
          if (task) task.reject(error);
          else reject(error);
          return;
        }
        task?.resolve(message);
        this.release(child);
      });
      child.on('error', (error) => this.fail(new JointshotError(`evaluation worker failed: ${error.message.split('\n')[0]}`), reject));
      child.on('exit', (code, signal) => {
        if (!this.stopping) this.fail(new JointshotError(`evaluation worker exited early (${signal ?? `code ${code}`})`), reject);
      });
      child.send(init);
    });
  }

  /** A worker failed: every pending and future task fails with `error`. */
  private fail(error: Error, rejectStart: (e: Error) => void): void {
    this.failure ??= error;
    rejectStart(error);
    for (const task of [...this.running.values(), ...this.queue.splice(0)]) task.reject(error);
    this.running.clear();
  }

  private release(child: ChildProcess): void {
    const task = this.queue.shift();
    if (!task) {
      this.idle.push(child);
      return;
    }
    this.running.set(child, task);
    try {
      child.send(task.build());
    } catch (error) {
      this.running.delete(child);
      this.idle.push(child);
      task.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private run(build: () => ToWorker): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ build, resolve, reject });
      const child = this.idle.shift();
      if (child) this.release(child);
    });
  }

  /** Embeds raw images on a worker (see embedImages): images x M rows of d floats. */
  async embed(images: Uint8Array[]): Promise<Float32Array> {
    const reply = await this.run(() => ({ type: 'embed', id: this.nextId++, images }));
    if (reply.type !== 'embedded') throw new JointshotError(`evaluation worker answered '${reply.type}' to an embed request`);
    return reply.values;
  }

  /** Scores `episodes` from `cache` on the workers, BATCH episodes per request; results in episode order. */
  async score(cache: EmbeddingCache, episodes: readonly Episode[], onProgress?: (done: number, total: number) => void): Promise<EpisodeAccuracy[]> {
    const results: EpisodeAccuracy[] = new Array(episodes.length);
    let done = 0;
    const batches: Promise<void>[] = [];
    for (let first = 0; first < episodes.length; first += BATCH) {
      const batch = episodes.slice(first, first + BATCH);
      batches.push(
        this.run(() => ({ type: 'score', id: this.nextId++, episodes: batch.map((e) => gatherEpisode(cache, e)) })).then((reply) => {
          if (reply.type !== 'scored') throw new JointshotError(`evaluation worker answered '${reply.type}' to a score request`);
          reply.accuracies.forEach((a, i) => (results[first + i] = a));
          done += reply.accuracies.length;
          onProgress?.(done, episodes.length);
        }),
      );
    }
    await Promise.all(batches);
    return results;
  }

  /** Stops the workers (a stop message, then a kill for any that does not exit within 5 s). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.connected) child.send({ type: 'stop' } satisfies ToWorker);
            else child.kill('SIGKILL');
          }),
      ),
    );
  }
}

/** Options of `scoreEpisodesInWorkers`. */
export interface WorkerPoolOptions {
  workers: number;
  head: HeadSpec;
  /** Backend each worker starts (with one thread). */
  backend: string;
  onProgress?: (done: number, total: number) => void;
}

/** Scores `episodes` from `cache` on `workers` processes; results in episode order. */
export async function scoreEpisodesInWorkers(
  cache: EmbeddingCache,
  episodes: readonly Episode[],
  options: WorkerPoolOptions,
): Promise<EpisodeAccuracy[]> {
  const pool = await EvalPool.start({
    workers: Math.max(1, Math.min(options.workers, Math.ceil(episodes.length / BATCH))),
    backend: options.backend,
    copies: cache.copies,
    head: options.head,
  });
  try {
    return await pool.score(cache, episodes, options.onProgress);
  } finally {
    await pool.stop();
  }
}
