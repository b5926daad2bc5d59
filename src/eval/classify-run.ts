/**
 * A whole-class evaluation from model files: loads each model, reads the test set the first model
 * was trained against (same dataset, split seed and test size, so every run of a study shares one
 * test set), computes the requested inferences, and for several models their ensemble.
 */
import { loadClassificationData } from '../data/classification.js';
import type { ClassificationData } from '../data/classification-types.js';
import { DataError, UsageError } from '../errors.js';
import { classificationOptionsOf, resolveTrainConfig, type TrainConfig } from '../train/config.js';
import { disposeLoadedModel, loadModel, type LoadedModel } from '../train/model.js';
import { classCounts } from '../data/class-pool.js';
import { checkInferences, classifierLogits, ensembleLogits, frequencyGroups, groupAccuracies, scoreInferences, type ClassifierLogits } from './classify.js';
import { CLASSIFICATION_RESULTS_FORMAT, CLASSIFICATION_RESULTS_VERSION, inferenceRecords, type ClassificationResults, type FrequencyRecord } from './classify-results.js';

/** Options of `evaluateWholeClass`. */
export interface WholeClassEvalOptions {
  dataDir: string;
  /** Inference names (default: every read-out of the model's objective, without ten-crop). */
  inferences?: readonly string[];
  /** Several models: evaluate their ensemble (mean softmax) instead of refusing. */
  ensemble?: boolean;
  batchSize?: number;
  tenCropPadding?: number;
  backend?: { name: string; threads: number };
  /** Evaluate on this data instead of the test set read from the first model's training config. */
  data?: ClassificationData;
  onModel?: (index: number, path: string) => void;
}

/** The training config saved in a model (its `info.trainConfig`), with defaults filled in. */
export function trainConfigOf(model: LoadedModel, path: string): TrainConfig {
  const saved = (model.info as { trainConfig?: Partial<TrainConfig> } | null)?.trainConfig;
  if (!saved || saved.task !== 'classify') throw new UsageError(`${path} was not trained with --task classify: evaluate it on episodes with jointshot eval`);
  return resolveTrainConfig(saved);
}

/** Per-class accuracy by training-set frequency group (many / medium / few shot) of every inference. */
function frequencyRecord(train: ClassificationData['train'], classes: number, scored: ReturnType<typeof scoreInferences>, labels: Int32Array): FrequencyRecord {
  const groups = frequencyGroups(classCounts(train, classes));
  return {
    thresholds: { many: groups.many, few: groups.few },
    trainCounts: groups.trainCounts,
    classes: { many: groups.classes.many.length, medium: groups.classes.medium.length, few: groups.classes.few.length },
    accuracy: Object.fromEntries(Object.entries(scored).map(([name, r]) => [name, groupAccuracies(r.correct, labels, groups)])),
  };
}

/** Evaluates one model, or the ensemble of several, on their shared test set. */
export async function evaluateWholeClass(paths: readonly string[], options: WholeClassEvalOptions): Promise<{ results: ClassificationResults; labels: Int32Array }> {
  if (paths.length === 0) throw new UsageError('give at least one model file');
  if (paths.length > 1 && !options.ensemble) throw new UsageError(`${paths.length} models given: pass --ensemble to evaluate their ensemble, or one model at a time`);
  const started = performance.now();
  let data = options.data;
  let reference: { dataset: string; testHash: string; classes: string[] } | undefined;
  const perModel: ClassifierLogits[] = [];
  for (const [index, path] of paths.entries()) {
    options.onModel?.(index, path);
    const model = await loadModel(path);
    try {
      const config = trainConfigOf(model, path);
      const names = checkInferences(model, options.inferences);
      data ??= await loadClassificationData(config.dataset, classificationOptionsOf(config, options.dataDir));
      if (reference && (model.dataset !== reference.dataset || model.wholeClass!.classes.join('\n') !== reference.classes.join('\n'))) {
        throw new DataError(`${path} was trained on ${model.dataset} with other classes than ${paths[0]}: an ensemble needs models of one dataset`);
      }
      if (model.wholeClass!.classes.length !== data.classes.length) {
        throw new DataError(`${path} has ${model.wholeClass!.classes.length} classes but the test set has ${data.classes.length}`);
      }
      reference ??= { dataset: model.dataset, testHash: data.testHash, classes: model.wholeClass!.classes };
      perModel.push(classifierLogits(model, data.test, { inferences: names, ...(options.batchSize ? { batchSize: options.batchSize } : {}), ...(options.tenCropPadding !== undefined ? { tenCropPadding: options.tenCropPadding } : {}) }));
    } finally {
      disposeLoadedModel(model);
    }
  }
  const first = perModel[0]!;
  const names = Object.keys(first.logits);
  const scores = paths.length === 1 ? first.logits : Object.fromEntries(names.map((n) => [n, ensembleLogits(perModel.map((m) => m.logits[n]!), first.classes)]));
  const scored = scoreInferences(scores, first.labels, first.classes);
  const results: ClassificationResults = {
    format: CLASSIFICATION_RESULTS_FORMAT,
    version: CLASSIFICATION_RESULTS_VERSION,
    dataset: reference!.dataset,
    testHash: reference!.testHash,
    data: data!.description,
    images: first.count,
    classes: first.classes,
    models: [...paths],
    ensemble: paths.length > 1,
    ...(first.tenCropPadding !== undefined ? { tenCropPadding: first.tenCropPadding } : {}),
    ...(paths.length > 1
      ? { members: perModel.map((m) => Object.fromEntries(Object.entries(scoreInferences(m.logits, m.labels, m.classes)).map(([n, r]) => [n, r.accuracy]))) }
      : {}),
    inferences: inferenceRecords(scored),
    frequency: frequencyRecord(data!.train, first.classes, scored, first.labels),
    backend: options.backend ?? null,
    seconds: (performance.now() - started) / 1000,
  };
  return { results, labels: first.labels };
}
