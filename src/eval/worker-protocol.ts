/** Messages between the evaluator and its head-phase worker threads. */
import type { Episode } from '../episodes/sampler.js';
import type { ClassChunk } from './embedding-cache.js';
import type { EpisodeAccuracy } from './episode-score.js';

/** How a worker rebuilds the head: registry name, options and trained variable values (in order). */
export interface HeadSpec {
  name: string;
  options: Record<string, unknown>;
  variables: { shape: number[]; values: Float32Array }[];
}

/** First message to a worker: the shared cache and the head. */
export interface WorkerInit {
  type: 'init';
  /** The cache's chunks; their Float32Arrays live on SharedArrayBuffers (not copied). */
  chunks: ClassChunk[];
  dim: number;
  copies: number;
  head: HeadSpec;
  /** tfjs backend the worker starts (wasm runs single-threaded there). */
  backend: string;
}

/** A batch of episodes to score; `first` is the index of episodes[0] in the manifest. */
export interface WorkerScore {
  type: 'score';
  first: number;
  episodes: Episode[];
}

export type ToWorker = WorkerInit | WorkerScore | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'scored'; first: number; accuracies: EpisodeAccuracy[] }
  | { type: 'error'; name: string; message: string };
