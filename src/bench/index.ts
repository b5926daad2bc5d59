/** The bench: a matrix of train + evaluate cells from presets and config files, and its report. */
export {
  BENCH_PRESETS,
  DEFAULT_BENCH_CONFIG,
  DEFAULT_BENCH_PRESET,
  benchPreset,
  cellTrainConfig,
  readBenchConfigFile,
  resolveBenchConfig,
  validateBenchConfig,
  type BenchConfig,
  type BenchLayer,
} from './config.js';
export {
  BENCH_CONFIG_FILE,
  EVAL_CONFIG_FILE,
  benchCells,
  checkBenchNames,
  cellsOfShard,
  runBench,
  trainingState,
  type BenchCell,
  type BenchRunOptions,
  type BenchSummary,
  type CellReport,
} from './run.js';
export { createBenchProgress, SILENT_BENCH, type BenchProgress } from './progress.js';
export { writeBenchReport } from './report.js';
export { CLASSIFY_BENCH_PRESETS, CLASSIFY_LAYOUTS, FIGURE3_RUNS, classifyCellTrainConfig, runSeeds, type ClassifyEnsembleSpec, type ClassifyLayout, type ClassifyRunSpec } from './classify-config.js';
export { TRAIN_TIME_FILE, checkClassifyCells, classifyCells, classifyRunDir, runClassifyBench, type ClassifyBenchOptions, type ClassifyBenchSummary, type ClassifyCell, type ClassifyCellReport, type EnsembleReport } from './classify-run.js';
export { collectBenchStudy, figure3Specs, writeClassifyBenchReport } from './classify-report.js';
