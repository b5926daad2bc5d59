/** Evaluation: embedding cache, per-episode single/aggregated accuracy, reports with 95% intervals. */
export {
  MAX_CHUNK_BYTES,
  buildEmbeddingCache,
  cacheFromChunks,
  defaultEmbedBatch,
  embedImages,
  type ClassChunk,
  type ImageEmbedder,
  type ImageEmbedding,
  type EmbeddingCache,
  type CacheBuildOptions,
  type EmbedProgress,
} from './embedding-cache.js';
export { gatherEpisode, scoreEpisode, type EpisodeAccuracy, type EpisodeEmbeddings } from './episode-score.js';
export { embedEpisodeNaive } from './naive.js';
export { checkHeadWays, checkImageSize, type EvalModel } from './model.js';
export { checkModelFlags, loadEvalModel, peekModelFile, type LoadedEvalModel, type ModelFileOptions, type ModelFileSummary } from './load-model.js';
export { evaluate, scoreEpisodesFromCache, usedImages, type EvalProgress, type EvaluateOptions } from './evaluate.js';
export { RESULTS_FORMAT, RESULTS_VERSION, type EvalResults } from './results.js';
export {
  renderReport,
  summarizeAccuracies,
  summarizeResults,
  type AccuracySummary,
  type ReportFormat,
  type ResultsSummary,
} from './report.js';
export { renderEpisodesCsv, writeEvalOutputs, type EvalOutputFiles } from './output.js';
export {
  EvalPool,
  defaultWorkers,
  embedSpec,
  headSpec,
  scoreEpisodesInWorkers,
  type EvalPoolOptions,
  type WorkerPoolOptions,
} from './parallel.js';
export type { EmbedSpec, HeadSpec } from './worker-protocol.js';
