/**
 * The evaluator: validate the manifest against the split, embed every needed image x copy once
 * into the cache, then score each episode from the cache with the lifted head.
 */
import type { FewShotSplit } from '../data/types.js';
import { UsageError } from '../errors.js';
import type { EpisodeManifest } from '../episodes/manifest.js';
import type { Episode } from '../episodes/sampler.js';
import { validateManifest } from '../episodes/validate.js';
import { liftHead } from '../sla/lift.js';
import { tf } from '../tf.js';
import { EvalPool, embedSpec, headSpec } from './parallel.js';
import { buildEmbeddingCache, type EmbeddingCache } from './embedding-cache.js';
import { gatherEpisode, scoreEpisode, type EpisodeAccuracy } from './episode-score.js';
import { checkHeadWays, checkImageSize, type EvalModel } from './model.js';
import { RESULTS_FORMAT, RESULTS_VERSION, type EvalResults } from './results.js';

/** Progress of an evaluation phase. */
export type EvalProgress = (phase: 'embed' | 'episodes', done: number, total: number) => void;

/** One evaluation request. */
export interface EvaluateOptions {
  model: EvalModel;
  split: FewShotSplit;
  manifest: EpisodeManifest;
  /** The manifest's file, recorded in the results (omit for episodes sampled in memory). */
  manifestFile?: string;
  /** Images per forward pass before the M copies (default: defaultEmbedBatch). */
  batchSize?: number;
  backend?: { name: string; threads: number };
  /** Threads for the head phase (default 1: the calling thread); more start worker threads. */
  workers?: number;
  onProgress?: EvalProgress;
}

/** The image indices each class of the split needs for `episodes`. */
export function usedImages(classCount: number, episodes: readonly Episode[]): Set<number>[] {
  const used = Array.from({ length: classCount }, () => new Set<number>());
  for (const e of episodes) {
    e.classes.forEach((c, slot) => {
      for (const i of e.support[slot]!) used[c]!.add(i);
      for (const i of e.query[slot]!) used[c]!.add(i);
    });
  }
  return used;
}

/** Scores every episode from the cache in the calling thread, in order. */
export function scoreEpisodesFromCache(
  model: EvalModel,
  cache: EmbeddingCache,
  episodes: readonly Episode[],
  onProgress?: (done: number, total: number) => void,
): EpisodeAccuracy[] {
  const lifted = liftHead(model.head, cache.copies);
  return episodes.map((episode, i) => {
    const accuracy = scoreEpisode(lifted, gatherEpisode(cache, episode));
    onProgress?.(i + 1, episodes.length);
    return accuracy;
  });
}

const seconds = (start: number) => (performance.now() - start) / 1000;

/** Evaluates `model` on the manifest's episodes of `split`: per-episode single and aggregated accuracy. */
export async function evaluate(options: EvaluateOptions): Promise<EvalResults> {
  const { model, split, manifest } = options;
  validateManifest(manifest, options.manifestFile ?? 'manifest', split);
  if (manifest.queries < 1) throw new UsageError('evaluation needs at least 1 query per class, found --queries 0');
  checkHeadWays(model.head.name, manifest.ways);
  checkImageSize(model, split);
  if (options.workers !== undefined && (!Number.isSafeInteger(options.workers) || options.workers < 1)) {
    throw new UsageError(`--workers must be a positive integer, found ${options.workers}`);
  }
  const started = performance.now();
  const used = usedImages(split.classes.length, manifest.episodes);
  const workers = options.workers ?? 1;
  const shape = { height: split.height, width: split.width, channels: split.channels };
  // Both phases on worker processes when asked for: the pool starts once, before the embedding pass.
  const pool =
    workers > 1
      ? await EvalPool.start({
          workers,
          backend: options.backend?.name ?? tf.getBackend(),
          copies: model.transform.count,
          head: headSpec(model.head, model.head.name, model.headOptions ?? {}),
          embed: embedSpec(model.backbone, model.transform, model.normalization, shape),
        })
      : undefined;
  try {
    const cache = await buildEmbeddingCache(split, used, {
      backbone: model.backbone,
      transform: model.transform,
      normalization: model.normalization,
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      onProgress: (done, total) => options.onProgress?.('embed', done, total),
      ...(pool ? { embedder: { embed: (images: Uint8Array[]) => pool.embed(images), inFlight: 2 * pool.size } } : {}),
    });
    const embedSeconds = seconds(started);
    const scoring = performance.now();
    const onEpisodes = (done: number, total: number) => options.onProgress?.('episodes', done, total);
    const accuracies = pool
      ? await pool.score(cache, manifest.episodes, onEpisodes)
      : scoreEpisodesFromCache(model, cache, manifest.episodes, onEpisodes);
    const episodeSeconds = seconds(scoring);
    return resultsOf(options, cache, used, accuracies, { started, embedSeconds, episodeSeconds, workers });
  } finally {
    await pool?.stop();
  }
}

/** The results record of an evaluation. */
function resultsOf(
  options: EvaluateOptions,
  cache: EmbeddingCache,
  used: Set<number>[],
  accuracies: EpisodeAccuracy[],
  time: { started: number; embedSeconds: number; episodeSeconds: number; workers: number },
): EvalResults {
  const { model, manifest } = options;
  const { embedSeconds, episodeSeconds, workers, started } = time;
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    dataset: manifest.dataset,
    split: manifest.split,
    ways: manifest.ways,
    shots: manifest.shots,
    queries: manifest.queries,
    count: manifest.count,
    manifest: { sha256: manifest.sha256, seed: manifest.seed, file: options.manifestFile ?? null },
    model: {
      backbone: { ...model.backbone.config } as EvalResults['model']['backbone'],
      head: model.head.name,
      transform: model.transform.name,
      copies: model.transform.count,
      info: model.info ?? null,
    },
    backend: options.backend ?? null,
    timing: {
      embedSeconds,
      episodeSeconds,
      totalSeconds: seconds(started),
      imagesEmbedded: used.reduce((n, s) => n + s.size, 0),
      workers,
      cacheBytes: cache.bytes,
    },
    accuracy: { single: accuracies.map((a) => a.single), aggregated: accuracies.map((a) => a.aggregated) },
    finishedAt: new Date().toISOString(),
  };
}
