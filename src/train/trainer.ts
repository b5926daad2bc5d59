/**
 * The trainer: runs a TrainConfig, validates after every epoch, keeps the best model, checkpoints
 * every N steps and resumes exactly (weights, BN state, optimizer moments, every RNG, step counter).
 * Two tasks share this loop: `episodic` (few-shot episodes through a lifted head, validated on a
 * fixed seeded set of val episodes) and `classify` (whole-class objectives on all classes of a
 * dataset, validated on a held-out val set when there is one).
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { JsonValue } from '../backbones/checkpoint.js';
import { backboneNames, createBackbone } from '../backbones/registry.js';
import type { Backbone } from '../backbones/types.js';
import { assertWasmHeapHealthy } from '../backend/wasm/heap.js';
import type { ClassificationData } from '../data/classification-types.js';
import type { FewShotSplit } from '../data/types.js';
import { JointshotError, UsageError } from '../errors.js';
import { makeManifest, type EpisodeManifest } from '../episodes/manifest.js';
import { createEpisodeSampler, type EpisodeSampler } from '../episodes/sampler.js';
import { evaluate } from '../eval/evaluate.js';
import { classifierLogits, scoreInferences } from '../eval/classify.js';
import { checkHeadWays } from '../eval/model.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { summarizeAccuracies } from '../eval/report.js';
import { createHead } from '../heads/registry.js';
import type { Head } from '../heads/types.js';
import { classifierVariableNames, createClassifiers } from '../objectives/classifier.js';
import { classCounts } from '../data/class-pool.js';
import { classLossSchedule, cosineScaleOf, drwStartStep } from '../objectives/long-tail/schedule.js';
import { getObjective } from '../objectives/registry.js';
import { liftHead } from '../sla/lift.js';
import { tf } from '../tf.js';
import { recipeAugmentation, type AugmentationOptions } from '../transforms/augment.js';
import type { LabelTransform } from '../transforms/label-transform.js';
import { DATASET_NORMALIZATION, measureChannelStats, type ChannelStats } from '../transforms/normalization.js';
import { getLabelTransform } from '../transforms/registry.js';
import { createRng, type Rng } from '../util/rng.js';
import { createBatchSchedule } from './batches.js';
import { episodicMicroBatch, microBatchForBudget } from './budget.js';
import { classifyStepGradients, type ClassifyStepContext } from './classify-step.js';
import { learningRateAt, resumeConflicts, type TrainConfig } from './config.js';
import { TrainLog } from './log.js';
import { disposeLoadedModel, disposeRecord, loadModel, saveModel, type ModelImageSize, type TrainedModel, type WholeClassModel } from './model.js';
import { SILENT_PROGRESS, type TrainProgress } from './progress.js';
import { Sgd } from './sgd.js';
import { largestBnGroup, stepGradients, type StepContext, type StepGradients } from './step.js';

/** The files a run writes into its output folder. */
export const TRAIN_FILES = {
  config: 'config.json',
  log: 'train-log.jsonl',
  /** The resumable checkpoint (model + optimizer + RNG states + step). */
  last: 'last.jsm',
  /** The model with the best validation accuracy (the last one when validation is off). */
  best: 'best.jsm',
  summary: 'summary.json',
} as const;

/** Training stopped because the loss or the gradients stopped being finite numbers. */
export class TrainingDivergedError extends JointshotError {}

/** When the kept model was saved and its validation accuracy in percent (null without validation). */
export interface BestModel {
  accuracy: number | null;
  epoch: number;
  step: number;
}

/** One training run. */
export interface TrainRunOptions {
  config: TrainConfig;
  /** episodic: the train split. */
  train?: FewShotSplit;
  /** episodic: the val split; required when `config.validation.episodes` > 0. */
  val?: FewShotSplit;
  /** classify: the dataset read whole-class (its val set, when present, selects the best epoch). */
  data?: ClassificationData;
  outDir: string;
  /** Continue the run saved in `outDir` (its last checkpoint) instead of starting afresh. */
  resume?: boolean;
  /** Aborting saves a checkpoint after the current step and returns with `stopped: true`. */
  signal?: AbortSignal;
  progress?: TrainProgress;
  backend?: { name: string; threads: number };
  /** Called after every completed step (before any checkpoint of that step). */
  onStep?: (step: number) => void;
}

/** What a run did. */
export interface TrainSummary {
  steps: number;
  totalSteps: number;
  /** true when stopped early by the abort signal. */
  stopped: boolean;
  /** Best validation accuracy (percent; null without validation: the last epoch counts as best). */
  best: BestModel | null;
  /** Seconds spent training in this session (validation excluded). */
  trainSeconds: number;
  imagesPerSecond: number;
  microBatch: number;
  files: { config: string; log: string; last: string; best: string; summary: string };
}

/** Everything that changes while training, and is saved in the checkpoint. */
interface RunState {
  step: number;
  episodeRng: Rng;
  augmentRng: Rng;
  best: BestModel | null;
}

/** The model pieces of a run. */
interface RunModel {
  backbone: Backbone;
  head: Head;
  transform: LabelTransform;
  normalization: ChannelStats;
  /** classify runs: the objective's linear classifiers. */
  wholeClass?: WholeClassModel;
}

/** What a task gives the shared loop: its trained variables, its steps, its validation. */
interface TrainTask {
  /** Trained variables by name (gradients come back under these names). */
  params: Record<string, tf.Variable>;
  /** Images (copies included) per forward/backward pass. */
  microBatch: number;
  imageSize: ModelImageSize;
  /** Gradients of the next step (0-based `step`), drawing from the run's generators. */
  step(step: number): StepGradients;
  /** Validation after an epoch: accuracy in percent with its half-width, or null when there is none. */
  validate(): Promise<{ accuracy: number; ci95: number | null; record: Record<string, unknown> } | null>;
}

/** Throws one-line UsageErrors for combinations that cannot train (checked before any work). */
export function checkTrainSetup(config: TrainConfig, train?: FewShotSplit, val?: FewShotSplit, data?: ClassificationData): void {
  if (config.task === 'classify') return checkClassifySetup(config, data);
  if (!train) throw new UsageError('episodic training needs the train split');
  if (train.dataset !== config.dataset || train.split !== 'train') {
    throw new UsageError(`the training split must be ${config.dataset}/train, found ${train.dataset}/${train.split}`);
  }
  if (!backboneNames().includes(config.backbone)) {
    throw new UsageError(`unknown backbone '${config.backbone}': expected one of ${backboneNames().join(', ')}`);
  }
  if (config.imageSize > 0 && (train.height !== config.imageSize || train.width !== config.imageSize)) {
    throw new UsageError(
      `${config.dataset}/train holds ${train.height}x${train.width} images but the config asks for imageSize ${config.imageSize}: ` +
        `prepare it with --size ${config.imageSize} into its own --data-dir (or set imageSize to 0 to accept any size)`,
    );
  }
  createHead(config.head, config.headOptions).dispose();
  checkHeadWays(config.head, config.ways);
  const transform = getLabelTransform(config.transform);
  transform.check([1, train.height, train.width, train.channels]);
  const group = largestBnGroup(config.bnGrouping, config, transform.count);
  if (config.microBatch > 0 && config.microBatch < group) {
    throw new UsageError(
      `microBatch ${config.microBatch} is smaller than the largest batch-norm group of bnGrouping '${config.bnGrouping}', ${group} images (copies included), which is never split: ` +
        `set --micro-batch >= ${group} (or leave it out: the default is raised to the group), or lower episodesPerBatch, or use bnGrouping 'episode'`,
    );
  }
  const shape = { ways: config.ways, shots: config.shots, queries: config.queries };
  createEpisodeSampler(train.classes.map((c) => c.count), shape, train.classes.map((c) => c.name));
  if (config.validation.episodes > 0) {
    if (!val) throw new UsageError('validation needs the val split (or set validation.episodes to 0)');
    const { ways, shots, queries } = config.validation;
    checkHeadWays(config.head, ways);
    createEpisodeSampler(val.classes.map((c) => c.count), { ways, shots, queries }, val.classes.map((c) => c.name));
    if (val.height !== train.height || val.width !== train.width || val.channels !== train.channels) {
      throw new UsageError(`train and val images differ in size (${train.height}x${train.width} vs ${val.height}x${val.width}); prepare both at one size`);
    }
  }
}

/** The checks of a whole-class run. */
function checkClassifySetup(config: TrainConfig, data?: ClassificationData): void {
  if (!data) throw new UsageError('whole-class training needs the dataset read as classification');
  if (data.dataset !== config.dataset) throw new UsageError(`the classification data is ${data.dataset}, the config asks for ${config.dataset}`);
  if (!backboneNames().includes(config.backbone)) {
    throw new UsageError(`unknown backbone '${config.backbone}': expected one of ${backboneNames().join(', ')}`);
  }
  const { train } = data;
  if (config.imageSize > 0 && (train.height !== config.imageSize || train.width !== config.imageSize)) {
    throw new UsageError(
      `${config.dataset} holds ${train.height}x${train.width} images but the config asks for imageSize ${config.imageSize}: ` +
        `prepare it with --size ${config.imageSize} into its own --data-dir (or set imageSize to 0 to accept any size)`,
    );
  }
  const objective = getObjective(config.objective);
  const transform = getLabelTransform(config.transform);
  if (objective.needsTransform && transform.count === 1) {
    throw new UsageError(`objective '${objective.name}' needs a transformation set with M > 1 copies: add --transform rotation (or colorperm, ...)`);
  }
  if (!objective.needsTransform && transform.count > 1) {
    throw new UsageError(`objective '${objective.name}' trains on the original images only: drop --transform ${transform.name} (or use --objective da, mt, sla or sla+sd)`);
  }
  transform.check([1, train.height, train.width, train.channels]);
  const classifiers = Object.keys(objective.classifiers(data.classes.length, transform.count));
  for (const name of Object.keys(config.classifierLrScale)) {
    if (!classifiers.includes(name)) {
      throw new UsageError(`classifierLrScale names '${name}', which objective '${objective.name}' does not have (its classifiers: ${classifiers.join(', ')})`);
    }
  }
  if (config.batchSize > train.labels.length) {
    throw new UsageError(`batchSize ${config.batchSize} is larger than the training set (${train.labels.length} images); lower --batch-size`);
  }
  createHead(config.head, config.headOptions).dispose();
  if (config.drw) drwStartStep(config, config.lrSchedule, config.batchesPerEpoch, config.epochs);
  classLossSchedule(config, classCounts(train, data.classes.length), 0);
}

/** Creates `dir` if needed and checks that files can be written there. */
async function ensureWritableDir(dir: string): Promise<void> {
  try {
    // The folder itself without `recursive`: Node's recursive mkdir never returns under /proc.
    await mkdir(dirname(resolve(dir)), { recursive: true });
    await mkdir(dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    await access(dir, constants.W_OK);
    const probe = join(dir, `.write-test-${process.pid}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch {
    throw new UsageError(`output folder ${dir} cannot be created or written to; choose another --out`);
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** The dataset's normalisation constants, measured on the training images when none are known. */
function normalizationOf(config: TrainConfig, options: TrainRunOptions): ChannelStats {
  if (config.normalization !== 'dataset') return config.normalization;
  const known = DATASET_NORMALIZATION[config.dataset];
  if (known) return known;
  if (options.data) {
    const { train } = options.data;
    return measureChannelStats((function* () { for (let i = 0; i < train.labels.length; i++) yield train.image(i); })(), train.channels);
  }
  const train = options.train!;
  function* images() {
    for (let c = 0; c < train.classes.length; c++) for (let i = 0; i < train.classes[c]!.count; i++) yield train.image(c, i);
  }
  return measureChannelStats(images(), train.channels);
}

function augmentationOf(config: TrainConfig, size: number): AugmentationOptions | undefined {
  if (config.augmentation === 'none') return undefined;
  return config.augmentation === 'recipe' ? recipeAugmentation(size) : config.augmentation;
}

/**
 * Named trained variables: the backbone's own names, then `head/<i>` (episodic) or the
 * classifiers' `classifier/<name>/...` (classify: the few-shot head is not trained there).
 */
function namedParams(model: RunModel): Record<string, tf.Variable> {
  const params: Record<string, tf.Variable> = { ...model.backbone.trainable };
  if (model.wholeClass) Object.assign(params, model.wholeClass.classifiers.variables);
  else model.head.variables.forEach((v, i) => (params[`head/${i}`] = v));
  return params;
}

/** config.classifierLrScale by parameter name: each named classifier's kernel and bias (names checked by checkClassifySetup). */
function classifierLrScale(config: TrainConfig, model: RunModel): Record<string, number> {
  const out: Record<string, number> = {};
  const variables = model.wholeClass?.classifiers.variables ?? {};
  for (const [name, scale] of Object.entries(config.classifierLrScale)) {
    const { kernel, bias } = classifierVariableNames(name);
    for (const param of [kernel, bias]) if (variables[param]) out[param] = scale;
  }
  return out;
}

function bundle(config: TrainConfig, model: RunModel, imageSize: ModelImageSize, info: JsonValue): TrainedModel {
  return {
    ...model,
    headName: config.head,
    headOptions: config.headOptions,
    dataset: config.dataset,
    imageSize,
    info,
  };
}

/** The backbone of the model file `config.init` (its architecture must be the config's). */
async function initialBackbone(config: TrainConfig): Promise<Backbone> {
  if (!(await exists(config.init))) throw new UsageError(`--init: no model file ${config.init}`);
  const loaded = await loadModel(config.init);
  const { backbone } = loaded;
  loaded.head.dispose();
  loaded.wholeClass?.classifiers.dispose();
  disposeRecord(loaded.optimizer);
  disposeRecord(loaded.extra);
  if (backbone.name !== config.backbone) {
    backbone.dispose();
    throw new UsageError(`--init ${config.init} holds a ${backbone.name} backbone but the run trains ${config.backbone}: pass --backbone ${backbone.name}`);
  }
  return backbone;
}

/** A fresh model from the config (backbone from `init`, else seeded with `backboneOptions.seed`, else the run seed). */
async function freshModel(config: TrainConfig, options: TrainRunOptions): Promise<RunModel> {
  const channels = options.data?.train.channels ?? options.train!.channels;
  const backbone = config.init !== ''
    ? await initialBackbone(config)
    : createBackbone({ seed: config.seed, inChannels: channels, ...config.backboneOptions, name: config.backbone });
  const transform = getLabelTransform(config.transform);
  const model: RunModel = { backbone, head: createHead(config.head, config.headOptions), transform, normalization: normalizationOf(config, options) };
  if (config.task === 'classify') {
    const { classes, train } = options.data!;
    const objective = getObjective(config.objective);
    const sizes = objective.classifiers(classes.length, transform.count);
    const classifiers = createClassifiers(sizes, backbone.outputDim(train.height, train.width), createRng(`${config.seed}:classifiers`), cosineScaleOf(config));
    model.wholeClass = { objective: objective.name, classes: [...classes], classifiers };
  }
  return model;
}

/**
 * The saved config with the batch-norm grouping its steps used: an episodic checkpoint written
 * before the trainer passed `bnGrouping` to the step (no `train/bnGrouping` record) was grouped as
 * `pass`, whatever its config says, so resuming it exactly needs `bnGrouping: "pass"`.
 */
function groupingAsTrained(saved: TrainConfig, extra: Record<string, unknown>): TrainConfig {
  if ((saved.task ?? 'episodic') !== 'episodic' || 'train/bnGrouping' in extra) return saved;
  return { ...saved, bnGrouping: 'pass' };
}

/** Loads the run saved in `path`; the saved config must match `config` except harmless keys. */
async function resumeFrom(path: string, config: TrainConfig, sgdFor: (model: RunModel) => Sgd): Promise<{ model: RunModel; sgd: Sgd; state: RunState }> {
  if (!(await exists(path))) throw new UsageError(`--resume: no checkpoint ${path}; start the run without --resume`);
  const loaded = await loadModel(path);
  const model: RunModel = { backbone: loaded.backbone, head: loaded.head, transform: loaded.transform, normalization: loaded.normalization };
  if (loaded.wholeClass) model.wholeClass = loaded.wholeClass;
  let sgd: Sgd | undefined;
  try {
    const saved = loaded.extra['train/config'] as unknown as TrainConfig | undefined;
    if (!saved) throw new UsageError(`--resume: ${path} holds no training state (it is a finished model, not a run checkpoint)`);
    const asTrained = groupingAsTrained(saved, loaded.extra);
    const differences = resumeConflicts(asTrained, config);
    if (differences.length > 0) {
      const old = differences.includes('bnGrouping') && asTrained.bnGrouping !== saved.bnGrouping;
      const hint = old ? ` (its steps grouped batch norm as 'pass', before the trainer applied bnGrouping: put "bnGrouping": "pass" in --config to continue it)` : '';
      throw new UsageError(`--resume: the run in ${path} was started with different ${differences.join(', ')}${hint}; use the same settings or another --out`);
    }
    sgd = sgdFor(model);
    sgd.restore(loaded.optimizer);
    const state: RunState = {
      step: loaded.extra['train/step'] as number,
      episodeRng: createRng(0, loaded.extra['train/episodeRng'] as object),
      augmentRng: createRng(0, loaded.extra['train/augmentRng'] as object),
      best: (loaded.extra['train/best'] as RunState['best']) ?? null,
    };
    disposeRecord(loaded.optimizer);
    disposeRecord(loaded.extra);
    return { model, sgd, state };
  } catch (error) {
    sgd?.dispose();
    disposeLoadedModel(loaded);
    throw error;
  }
}

/** Validation episodes: the same seeded set every epoch (and after a resume). */
function validationManifest(config: TrainConfig, val: FewShotSplit): EpisodeManifest {
  const { episodes: count, ways, shots, queries } = config.validation;
  return makeManifest(val, { ways, shots, queries, count, seed: config.seed + 1 });
}

/** Runs (or resumes) a training run; see TRAIN_FILES for what it writes. */
export async function trainRun(options: TrainRunOptions): Promise<TrainSummary> {
  const { config, train, val, data, outDir } = options;
  const progress = options.progress ?? SILENT_PROGRESS;
  checkTrainSetup(config, train, val, data);
  await ensureWritableDir(outDir);
  const files = Object.fromEntries(Object.entries(TRAIN_FILES).map(([k, f]) => [k, join(outDir, f)])) as TrainSummary['files'];
  if (!options.resume && (await exists(files.last))) {
    throw new UsageError(`${outDir} already holds a training run (${TRAIN_FILES.last}); pass --resume to continue it or choose another --out`);
  }
  const sgdFor = (model: RunModel) => new Sgd(namedParams(model), { ...config, lrScale: classifierLrScale(config, model) });
  const resumed = options.resume ? await resumeFrom(files.last, config, sgdFor) : undefined;
  const model = resumed?.model ?? (await freshModel(config, options));
  const sgd = resumed?.sgd ?? sgdFor(model);
  const state: RunState = resumed?.state ?? {
    step: 0,
    episodeRng: createRng(`${config.seed}:episodes`),
    augmentRng: createRng(`${config.seed}:augment`),
    best: null,
  };
  try {
    return await runLoop(options, files, model, sgd, state, progress);
  } finally {
    sgd.dispose();
    model.backbone.dispose();
    model.head.dispose();
    model.wholeClass?.classifiers.dispose();
    progress.end();
  }
}

/** The episodic task: batches of seeded episodes through the lifted head; validation on seeded val episodes. */
function episodicTask(options: TrainRunOptions, model: RunModel, state: RunState): TrainTask {
  const { config } = options;
  const train = options.train!;
  const group = largestBnGroup(config.bnGrouping, config, model.transform.count);
  const microBatch = config.microBatch || episodicMicroBatch(model.backbone.config, train.height, train.width, config.heapBudgetMiB, group, tf.getBackend() === 'wasm');
  const augmentation = augmentationOf(config, train.height);
  const sampler: EpisodeSampler = createEpisodeSampler(train.classes.map((c) => c.count), config);
  const manifest = config.validation.episodes > 0 ? validationManifest(config, options.val!) : undefined;
  const params = namedParams(model);
  const ctx: StepContext = {
    split: train,
    backbone: model.backbone,
    head: liftHead(model.head, model.transform.count),
    transform: model.transform,
    normalization: model.normalization,
    ...(augmentation ? { augmentation } : {}),
    augmentRng: state.augmentRng,
    labelSmoothing: config.labelSmoothing,
    microBatch,
    bnGrouping: config.bnGrouping,
    params,
  };
  return {
    params,
    microBatch,
    imageSize: { height: train.height, width: train.width, channels: train.channels },
    step: () => stepGradients(ctx, Array.from({ length: config.episodesPerBatch }, () => sampler(state.episodeRng))),
    async validate() {
      if (!manifest) return null;
      const results = await evaluate({ model, split: options.val!, manifest });
      const single = summarizeAccuracies(results.accuracy.single);
      const aggregated = summarizeAccuracies(results.accuracy.aggregated);
      const score = model.transform.count > 1 ? aggregated : single;
      return {
        accuracy: score.mean,
        ci95: score.ci95,
        record: {
          episodes: results.count,
          single: { mean: single.mean, ci95: single.ci95 },
          aggregated: { mean: aggregated.mean, ci95: aggregated.ci95 },
          seconds: results.timing.totalSeconds,
        },
      };
    },
  };
}

/**
 * The whole-class task: seeded batches over all training images through the objective; the best
 * epoch is chosen on the held-out val set by the `single` read-out (the reference code's
 * `single_acc`), never on the test set; without a val set the last epoch is kept.
 */
function classifyTask(options: TrainRunOptions, model: RunModel, state: RunState): TrainTask {
  const { config } = options;
  const data = options.data!;
  const { train } = data;
  const objective = getObjective(config.objective);
  const copies = objective.usesCopies ? model.transform.count : 1;
  const onePass = config.batchSize * copies;
  const microBatch = config.microBatch || (tf.getBackend() === 'wasm' ? microBatchForBudget(model.backbone.config, train.height, train.width, config.heapBudgetMiB) : onePass);
  const augmentation = augmentationOf(config, train.height);
  const params = namedParams(model);
  const schedule = createBatchSchedule(train.labels.length, config.batchSize, config.seed);
  const drwStep = config.drw ? drwStartStep(config, config.lrSchedule, config.batchesPerEpoch, config.epochs) : 0;
  const classLossAt = classLossSchedule(config, classCounts(train, data.classes.length), drwStep);
  const ctx: ClassifyStepContext = {
    images: train,
    backbone: model.backbone,
    classifiers: model.wholeClass!.classifiers,
    objective,
    options: {
      copies,
      classes: data.classes.length,
      largeLoss: config.largeLoss,
      temperature: config.temperature,
      classLoss: classLossAt(0),
    },
    transform: model.transform,
    normalization: model.normalization,
    ...(augmentation ? { augmentation } : {}),
    augmentRng: state.augmentRng,
    microBatch: Math.min(microBatch, onePass),
    params,
  };
  const trained = () => bundle(config, model, { height: train.height, width: train.width, channels: train.channels }, null);
  return {
    params,
    microBatch: ctx.microBatch,
    imageSize: { height: train.height, width: train.width, channels: train.channels },
    step: (step) => {
      ctx.options.classLoss = classLossAt(step);
      return classifyStepGradients(ctx, schedule(step));
    },
    async validate() {
      if (!data.val) return null;
      const started = performance.now();
      const logits = classifierLogits(trained(), data.val, { inferences: ['single'] });
      const result = scoreInferences(logits.logits, logits.labels, logits.classes).single!;
      const half = (100 * (result.interval.high - result.interval.low)) / 2;
      return {
        accuracy: result.accuracy,
        ci95: half,
        record: { images: logits.count, single: { accuracy: result.accuracy, low: 100 * result.interval.low, high: 100 * result.interval.high }, seconds: (performance.now() - started) / 1000 },
      };
    },
  };
}

async function runLoop(
  options: TrainRunOptions,
  files: TrainSummary['files'],
  model: RunModel,
  sgd: Sgd,
  state: RunState,
  progress: TrainProgress,
): Promise<TrainSummary> {
  const { config } = options;
  const totalSteps = config.epochs * config.batchesPerEpoch;
  const task = config.task === 'classify' ? classifyTask(options, model, state) : episodicTask(options, model, state);
  const { microBatch } = task;
  const log = new TrainLog(files.log);
  await log.start(options.resume ? state.step : undefined);
  await writeFileAtomic(files.config, `${JSON.stringify(config, null, 2)}\n`);
  const startStep = state.step;
  await log.write({ event: options.resume ? 'resume' : 'start', step: state.step, totalSteps, microBatch, backend: options.backend ?? null });
  if (options.resume) progress.note(`resumed ${files.last} at step ${state.step}/${totalSteps}`);

  const info = (): JsonValue => ({ trainConfig: config as unknown as JsonValue, step: state.step, best: state.best as JsonValue });
  const trained = () => bundle(config, model, task.imageSize, info());
  const checkpoint = async () => {
    await saveModel(files.last, trained(), {
      optimizer: sgd.state(),
      extra: {
        'train/step': state.step,
        'train/config': config as unknown as JsonValue,
        'train/episodeRng': state.episodeRng.state() as JsonValue,
        'train/augmentRng': state.augmentRng.state() as JsonValue,
        'train/best': state.best as JsonValue,
        ...(config.task === 'episodic' ? { 'train/bnGrouping': config.bnGrouping } : {}),
      },
    });
  };

  let trainSeconds = 0;
  let images = 0;
  let stopped = false;
  while (state.step < totalSteps) {
    const epoch = Math.floor(state.step / config.batchesPerEpoch) + 1;
    const lr = learningRateAt(config.lrSchedule, epoch);
    const started = performance.now();
    const result = task.step(state.step);
    try {
      assertWasmHeapHealthy(); // before the update: a failed kernel must not reach the weights
      if (!Number.isFinite(result.loss) || !Number.isFinite(result.gradNormSquared)) {
        const what = Number.isFinite(result.loss) ? `gradient norm became ${Math.sqrt(result.gradNormSquared)}` : `loss became ${result.loss}`;
        const kept = (await exists(files.last)) ? `the last good checkpoint is ${files.last}` : 'no checkpoint was saved yet';
        await log.write({ event: 'diverged', step: state.step + 1, loss: result.loss, lr });
        throw new TrainingDivergedError(`training diverged at step ${state.step + 1} (epoch ${epoch}, lr ${lr}): ${what}; ${kept}; lower the learning rate (lrSchedule) and start again`);
      }
      sgd.step(result.grads, lr);
    } finally {
      for (const g of Object.values(result.grads)) g.dispose();
    }
    assertWasmHeapHealthy();
    state.step++;
    const seconds = (performance.now() - started) / 1000;
    trainSeconds += seconds;
    images += result.images;
    const imagesPerSecond = images / trainSeconds;
    const etaSeconds = ((totalSteps - state.step) * trainSeconds) / (state.step - startStep);
    progress.step({ step: state.step, totalSteps, epoch, epochs: config.epochs, lr, loss: result.loss, accuracy: result.accuracy, imagesPerSecond, etaSeconds });
    if (state.step % config.logEvery === 0 || state.step === totalSteps) {
      await log.write({ event: 'step', step: state.step, epoch, lr, loss: result.loss, accuracy: result.accuracy, images: result.images, passes: result.passes, seconds, imagesPerSecond });
    }
    options.onStep?.(state.step);
    const epochEnd = state.step % config.batchesPerEpoch === 0;
    if (epochEnd) await validateEpoch(task, files, state, epoch, progress, log, trained);
    if (epochEnd || state.step % config.checkpointEvery === 0 || options.signal?.aborted) {
      await checkpoint();
      await log.write({ event: 'checkpoint', step: state.step, file: files.last });
    }
    if (options.signal?.aborted && state.step < totalSteps) {
      stopped = true;
      progress.note(`stopped at step ${state.step}/${totalSteps}; continue with --resume (checkpoint ${files.last})`);
      break;
    }
  }
  const summary: TrainSummary = {
    steps: state.step,
    totalSteps,
    stopped,
    best: state.best,
    trainSeconds,
    imagesPerSecond: trainSeconds > 0 ? images / trainSeconds : 0,
    microBatch,
    files,
  };
  await log.write({ event: stopped ? 'stopped' : 'end', step: state.step, best: state.best, trainSeconds });
  await writeFileAtomic(files.summary, `${JSON.stringify({ ...summary, backend: options.backend ?? null }, null, 2)}\n`);
  return summary;
}

/** Validates after an epoch; saves `best.jsm` when the accuracy improves (or always without validation). */
async function validateEpoch(
  task: TrainTask,
  files: TrainSummary['files'],
  state: RunState,
  epoch: number,
  progress: TrainProgress,
  log: TrainLog,
  trained: () => TrainedModel,
): Promise<void> {
  const outcome = await task.validate();
  if (!outcome) {
    state.best = { accuracy: null, epoch, step: state.step };
    await saveModel(files.best, trained());
    return;
  }
  const best = state.best === null || outcome.accuracy > (state.best.accuracy ?? -Infinity);
  if (best) {
    state.best = { accuracy: outcome.accuracy, epoch, step: state.step };
    await saveModel(files.best, trained());
  }
  await log.write({ event: 'validation', step: state.step, epoch, ...outcome.record, best });
  progress.validation({ epoch, accuracy: outcome.accuracy, ci95: outcome.ci95, best });
}
