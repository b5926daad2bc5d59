/** The saved record of one evaluation: per-episode accuracies plus what produced them. */
import type { JsonValue } from '../backbones/checkpoint.js';
import type { SplitName } from '../data/types.js';

/** The `format` field of every results file. */
export const RESULTS_FORMAT = 'jointshot-eval-results';
export const RESULTS_VERSION = 1;

/** Everything needed to trust, reproduce and report an evaluation. */
export interface EvalResults {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  dataset: string;
  split: SplitName;
  ways: number;
  shots: number;
  queries: number;
  /** Episodes evaluated. */
  count: number;
  /** The episodes' manifest: its hash and seed, and the file it came from (null when sampled here). */
  manifest: { sha256: string; seed: number; file: string | null };
  model: {
    backbone: JsonValue;
    head: string;
    transform: string;
    /** M, transformation copies per image (1 = plain model: single == aggregated). */
    copies: number;
    info: JsonValue;
  };
  backend: { name: string; threads: number } | null;
  timing: {
    /** Embedding pass (every image x copy once). */
    embedSeconds: number;
    /** Head solves over all episodes. */
    episodeSeconds: number;
    totalSeconds: number;
    imagesEmbedded: number;
    /** Threads that ran head solves (1 = in the main thread). */
    workers: number;
    /** Bytes of the embedding cache (outside the wasm heap). */
    cacheBytes: number;
  };
  /** Per-episode accuracies (fractions in [0, 1]), in manifest order. */
  accuracy: { single: number[]; aggregated: number[] };
  /** ISO time the evaluation finished. */
  finishedAt: string;
  /** The jointshot that wrote the file: version and git commit (absent in files written before it was recorded). */
  software?: { name: 'jointshot'; version: string; commit: string | null };
}
