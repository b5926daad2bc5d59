/** Messages between the evaluator and its worker processes (Node's structured-clone IPC). */
import type { ChannelStats } from '../transforms/normalization.js';
import type { EpisodeAccuracy, EpisodeEmbeddings } from './episode-score.js';

/** How a worker rebuilds the head: registry name, options and trained variable values (in order). */
export interface HeadSpec {
  name: string;
  options: Record<string, unknown>;
  variables: { shape: number[]; values: Float32Array }[];
}

/** How a worker rebuilds the embedding side: the backbone as checkpoint bytes, the transformation, the preparation. */
export interface EmbedSpec {
  /** `encodeCheckpoint({ backbone })`: weights and batch-norm statistics. */
  checkpoint: Uint8Array;
  /** Label transformation registry name (M copies per image). */
  transform: string;
  normalization: ChannelStats;
  shape: { height: number; width: number; channels: number };
}

/** First message to a worker: its backend and what it will run. */
export interface WorkerInit {
  type: 'init';
  /** tfjs backend the worker starts (with one thread: the workers are the parallelism). */
  backend: string;
  /** M, transformation copies per image (the lifted head's). */
  copies: number;
  head: HeadSpec;
  /** Present when the worker also embeds images. */
  embed?: EmbedSpec;
}

/** A batch of raw images (uint8 HWC) to prepare, transform M ways and embed in inference mode. */
export interface WorkerEmbed {
  type: 'embed';
  id: number;
  images: Uint8Array[];
}

/** Episodes to score, already gathered from the cache. */
export interface WorkerScore {
  type: 'score';
  id: number;
  episodes: EpisodeEmbeddings[];
}

export type ToWorker = WorkerInit | WorkerEmbed | WorkerScore | { type: 'stop' };

export type FromWorker =
  | { type: 'ready' }
  /** Embeddings of an embed batch: images x M rows of d floats, row (b*M + j) = copy j of image b. */
  | { type: 'embedded'; id: number; values: Float32Array }
  | { type: 'scored'; id: number; accuracies: EpisodeAccuracy[] }
  | { type: 'error'; name: string; message: string };
