/** Training: the trained-model bundle (save/load), the recipe config, SGD, the episodic trainer. */
export {
  MODEL_FORMAT,
  MODEL_VERSION,
  disposeLoadedModel,
  disposeRecord,
  loadModel,
  saveModel,
  type LoadedModel,
  type ModelImageSize,
  type ModelState,
  type TrainedModel,
  type WholeClassModel,
} from './model.js';
export {
  DEFAULT_TRAIN_CONFIG,
  classificationOptionsOf,
  TRAIN_PRESETS,
  configDifferences,
  resumeConflicts,
  learningRateAt,
  presetConfig,
  presetNames,
  readConfigFile,
  resolveTrainConfig,
  scaledSchedule,
  validateTrainConfig,
  type LrStage,
  type TrainConfig,
  type TrainTask,
  type ValidationConfig,
} from './config.js';
export { Sgd, type SgdOptions } from './sgd.js';
export { MAX_DEFAULT_MICRO_BATCH, microBatchForBudget, trainingBytesPerImage } from './budget.js';
export { stepGradients, type StepContext, type StepGradients } from './step.js';
export { classifyStepGradients, type ClassifyStepContext } from './classify-step.js';
export { createBatchSchedule, type BatchSchedule } from './batches.js';
export {
  createProgress,
  formatDuration,
  SILENT_PROGRESS,
  type StepReport,
  type TrainProgress,
  type ValidationReport,
} from './progress.js';
export { TrainLog, type LogRecord } from './log.js';
export {
  TRAIN_FILES,
  TrainingDivergedError,
  checkTrainSetup,
  trainRun,
  type BestModel,
  type TrainRunOptions,
  type TrainSummary,
} from './trainer.js';
