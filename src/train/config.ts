/**
 * The training recipe as a typed config. Defaults are MetaOptNet's recipe (Lee et al., CVPR 2019); presets
 * scale it down for a 2-core CPU. Layers merge in the order defaults < preset < config file <
 * flags, and the result is checked once, with one-line UsageErrors.
 */
import { UsageError } from '../errors.js';
import { readJsonObject } from '../util/json-file.js';
import type { JsonValue } from '../backbones/checkpoint.js';
import type { AugmentationOptions } from '../transforms/augment.js';
import { BN_GROUPINGS, type BnGrouping } from './step.js';
import type { ClassificationOptions } from '../data/classification-types.js';
import { checkLongTailSettings, type LongTailLoss } from '../objectives/long-tail/schedule.js';

/** From `epoch` (1-based) on, the learning rate is `lr` (until the next entry). */
export interface LrStage {
  epoch: number;
  lr: number;
}

/** Validation on a fixed, seeded set of val-split episodes after every epoch. */
export interface ValidationConfig {
  /** Episodes per validation (0 disables validation; the last checkpoint is then also the best). */
  episodes: number;
  ways: number;
  shots: number;
  queries: number;
}

/** What a run trains: few-shot episodes, or whole-class classification (all classes of the dataset). */
export type TrainTask = 'episodic' | 'classify';

/** Everything a training run depends on; saved as `config.json` next to the results. */
export interface TrainConfig {
  /** `episodic` (N-way K-shot episodes through a few-shot head) or `classify` (whole-class objectives). */
  task: TrainTask;
  dataset: string;
  /** Side (pixels) the prepared images must have; 0 accepts whatever size the data was prepared at. */
  imageSize: number;
  /** Backbone registry name (`conv4`, `resnet12`) and its options (channels, widths, pooling...). */
  backbone: string;
  backboneOptions: { [key: string]: JsonValue };
  /** Head registry name (`protonet`, `ridge`, `svm`) and its options. */
  head: string;
  headOptions: { [key: string]: JsonValue };
  /** Label transformation set (`none`, `rotation`, `colorperm`, ...). */
  transform: string;
  /** Training episodes: N-way K-shot with Q queries per class. */
  ways: number;
  shots: number;
  queries: number;
  episodesPerBatch: number;
  batchesPerEpoch: number;
  epochs: number;
  /** Step schedule; the first stage must start at epoch 1. */
  lrSchedule: LrStage[];
  momentum: number;
  nesterov: boolean;
  /** L2 weight decay, added to the gradient before momentum (PyTorch SGD), on every variable. */
  weightDecay: number;
  /** MetaOptNet-style label smoothing eps of the joint cross-entropy (0 = off). */
  labelSmoothing: number;
  /** `recipe` (crop with padding, flip, colour jitter 0.4), `none`, or explicit options. */
  augmentation: 'recipe' | 'none' | AugmentationOptions;
  validation: ValidationConfig;
  /** Save the resumable checkpoint every this many steps (and at every epoch end). */
  checkpointEvery: number;
  /** Write a JSONL step line every this many steps. */
  logEvery: number;
  /** wasm heap a step may use (MiB); decides the micro-batch size when `microBatch` is 0. */
  heapBudgetMiB: number;
  /** Images (after the M copies) per forward/backward pass; 0 = derived from `heapBudgetMiB`. */
  microBatch: number;
  /** Which images share batch-norm statistics (docs/training.md#batch-norm-grouping); `microBatch` must hold the largest group. */
  bnGrouping: BnGrouping;
  /** Seed of the episode sampler, augmentation, validation episodes and weight initialisation. */
  seed: number;
  /** classify: the objective (`baseline`, `da`, `mt`, `sla`, `sla+sd`). */
  objective: string;
  /** classify: images per step (before the M copies). */
  batchSize: number;
  /** classify: the reference's `--with-large-loss` (joint CE times M). */
  largeLoss: boolean;
  /** classify: self-distillation temperature T of `sla+sd`. */
  temperature: number;
  /** classify, few-shot datasets read whole-class: test images per class of the seeded split (0: the default, 50). */
  testPerClass: number;
  /** classify, few-shot datasets read whole-class: seed of the train/test split (apart from `seed`, so seeds share one test set). */
  splitSeed: number;
  /** classify, few-shot datasets read whole-class: only the classes of these splits (empty: all; `["train"]`: pretraining on the base classes). */
  classSplits: ('train' | 'val' | 'test')[];
  /** classify: keep only this many (seeded) training images per class; 0 keeps all. */
  perClass: number;
  /** classify: hold out the source's validation set (CIFAR: the SLA reference's 5,000) and select the best epoch on it. */
  holdOutVal: boolean;
  /** Start from the backbone (weights and batch-norm state) of this model file, e.g. a whole-class pretrained `best.jsm` ("" = seeded init). */
  init: string;
  /** Input normalisation: `dataset` (its known constants, else measured on the training images) or explicit per-channel { mean, std } in pixel units (0..255). */
  normalization: 'dataset' | { mean: number[]; std: number[] };
  /** classify: long-tailed training set with this ratio n_max/n_min (0 = as the data is; docs/long-tail.md). */
  imbalance: number;
  /** classify: `exp` (n_i = n_max * ratio^(-i/(C-1))) or `step` (half the classes at n_max/ratio). */
  imbalanceProfile: 'exp' | 'step';
  /** classify: n_max of the long-tailed set (0: the smallest class of the balanced training set). */
  maxPerClass: number;
  /** classify: class loss `ce`, `cb` (class-balanced weights, CB-RW) or `ldam` (margins, cosine classifier). */
  loss: LongTailLoss;
  /** classify: deferred re-weighting: the class-balanced weights only from `drwEpoch` on. */
  drw: boolean;
  /** classify: beta of the class-balanced weights (0.9999 in both references). */
  cbBeta: number;
  /** classify: the largest LDAM margin (0.5 in the reference). */
  ldamMaxMargin: number;
  /** classify: logit scale s of LDAM's cosine classifier (30 in the reference). */
  ldamScale: number;
  /** classify: 1-based epoch where DRW switches to the class-balanced weights (0: the first lr decay). */
  drwEpoch: number;
  /** classify: learning-rate multiplier per classifier of the objective, e.g. `{ "transformation": 0.1 }` for mt's transformation head (the others 1). */
  classifierLrScale: { [classifier: string]: number };
}

/** MetaOptNet's recipe (CIFAR-FS flavour: 5-shot training, no label smoothing). */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = {
  task: 'episodic',
  dataset: 'synthetic',
  imageSize: 0,
  backbone: 'conv4',
  backboneOptions: {},
  head: 'protonet',
  headOptions: {},
  transform: 'none',
  ways: 5,
  shots: 5,
  queries: 6,
  episodesPerBatch: 8,
  batchesPerEpoch: 1000,
  epochs: 60,
  lrSchedule: [
    { epoch: 1, lr: 0.1 },
    { epoch: 20, lr: 0.006 },
    { epoch: 40, lr: 0.0012 },
    { epoch: 50, lr: 0.00024 },
  ],
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-4,
  labelSmoothing: 0,
  augmentation: 'recipe',
  validation: { episodes: 2000, ways: 5, shots: 5, queries: 15 },
  checkpointEvery: 500,
  logEvery: 1,
  heapBudgetMiB: 3072,
  microBatch: 0,
  bnGrouping: 'support-query',
  seed: 0,
  objective: 'baseline',
  batchSize: 128,
  largeLoss: false,
  temperature: 1,
  testPerClass: 0,
  splitSeed: 0,
  classSplits: [],
  perClass: 0,
  holdOutVal: false,
  normalization: 'dataset',
  init: '',
  imbalance: 0,
  imbalanceProfile: 'exp',
  maxPerClass: 0,
  loss: 'ce',
  drw: false,
  cbBeta: 0.9999,
  ldamMaxMargin: 0.5,
  ldamScale: 30,
  drwEpoch: 0,
  classifierLrScale: {},
};

/** The SLA reference code's CIFAR augmentation: random crop 32 with padding 4 and horizontal flip, no colour jitter. */
const SLA_CIFAR_AUGMENTATION: AugmentationOptions = { cropPadding: 4, horizontalFlip: true };

/** The preset `cpu-classify` (documented at its entry in TRAIN_PRESETS). */
const CPU_CLASSIFY: Partial<TrainConfig> = {
  task: 'classify',
  dataset: 'tiny-imagenet-fs',
  imageSize: 32,
  backbone: 'conv4',
  objective: 'baseline',
  batchSize: 128,
  batchesPerEpoch: 125,
  epochs: 8,
  lrSchedule: [
    { epoch: 1, lr: 0.1 },
    { epoch: 5, lr: 0.01 },
    { epoch: 7, lr: 0.001 },
  ],
  momentum: 0.9,
  nesterov: false,
  weightDecay: 1e-4,
  augmentation: SLA_CIFAR_AUGMENTATION,
  validation: { episodes: 0, ways: 5, shots: 5, queries: 15 },
  checkpointEvery: 125,
  logEvery: 5,
};

/** LDAM-DRW's CIFAR schedule (200 epochs): lr 0.1 * e/5 in epochs e = 1..5, 0.1, x0.01 from 161, x0.0001 from 181. */
const LDAM_DRW_SCHEDULE: LrStage[] = [
  ...[1, 2, 3, 4, 5].map((epoch) => ({ epoch, lr: (0.1 * epoch) / 5 })),
  { epoch: 161, lr: 0.001 },
  { epoch: 181, lr: 0.00001 },
];

/** The recipe's schedule shape (drops at 1/3, 2/3 and 5/6 of the run) for a run of `epochs` epochs. */
export function scaledSchedule(epochs: number): LrStage[] {
  const stages: LrStage[] = [{ epoch: 1, lr: 0.1 }];
  for (const [fraction, lr] of [[1 / 3, 0.006], [2 / 3, 0.0012], [5 / 6, 0.00024]] as const) {
    const epoch = Math.round(fraction * epochs);
    if (epoch > stages[stages.length - 1]!.epoch && epoch <= epochs) stages.push({ epoch, lr });
  }
  return stages;
}

/** Small recipes for a 2-core CPU (see docs/training.md for what each costs, measured). */
export const TRAIN_PRESETS: Readonly<Record<string, Partial<TrainConfig>>> = {
  /** Synthetic glyphs, Conv-4: a smoke run of 200 episodes (11,000 images). */
  quick: {
    dataset: 'synthetic',
    backbone: 'conv4',
    ways: 5,
    shots: 5,
    queries: 6,
    episodesPerBatch: 2,
    batchesPerEpoch: 50,
    epochs: 2,
    lrSchedule: [
      { epoch: 1, lr: 0.05 },
      { epoch: 2, lr: 0.006 },
    ],
    validation: { episodes: 20, ways: 5, shots: 5, queries: 10 },
    checkpointEvery: 50,
  },
  /**
   * tiny-imagenet-fs prepared at 32x32, Conv-4: 2,560 episodes (16 epochs x 40 batches x 4), the
   * budget of each of the six comparison runs (protonet/ridge/svm x none/rotation) of
   * docs/results.md. At this budget half the run is at lr 0.1: the recipe's first third was too
   * little for the joint (N*M-way) loss to move (docs/results.md, the 800-episode runs). The heap
   * budget holds the 480 images that the support-query grouping puts through batch norm together
   * with rotation (estimated 3,840 MiB on wasm), which the default 3,072 MiB does not.
   */
  'cpu-real': {
    dataset: 'tiny-imagenet-fs',
    imageSize: 32,
    backbone: 'conv4',
    ways: 5,
    shots: 5,
    queries: 6,
    episodesPerBatch: 4,
    batchesPerEpoch: 40,
    epochs: 16,
    lrSchedule: [
      { epoch: 1, lr: 0.1 },
      { epoch: 9, lr: 0.006 },
      { epoch: 13, lr: 0.0012 },
      { epoch: 15, lr: 0.00024 },
    ],
    validation: { episodes: 30, ways: 5, shots: 5, queries: 10 },
    checkpointEvery: 40,
    heapBudgetMiB: 3840,
  },
  /**
   * Whole-class classification on tiny-imagenet-fs read as 100 classes at 32x32 (500 train / 50 test
   * images per class, split seed 0), Conv-4, batch 128: 1,000 steps (2.6 passes over the training
   * set), lr 0.1 / 0.01 / 0.001 at 1/2 and 3/4 as the reference recipe; the budget of the runs in
   * docs/results.md ## Whole-class SLA. Add `--objective sla --transform rotation` for SDA.
   */
  'cpu-classify': CPU_CLASSIFY,
  /**
   * Whole-class pretraining for few-shot: `cpu-classify` on the 64 base (train-split) classes of
   * tiny-imagenet-fs only (500 train / 50 held-out images per class); evaluate the model on the
   * few-shot test manifests with any head (`jointshot eval --head ridge --transform rotation`), or
   * meta-train from it (`jointshot train --preset cpu-real --init runs/pre/best.jsm`).
   */
  'cpu-pretrain': { ...CPU_CLASSIFY, classSplits: ['train'] },
  /**
   * The SLA reference recipe for CIFAR-100 (`--dataset cifar-10` for CIFAR-10): CIFAR ResNet-32,
   * batch 128, SGD momentum 0.9 (no Nesterov), weight decay 1e-4, 80,000 iterations (80 epochs of
   * 1,000), lr 0.1 with x0.1 at 1/2 and 3/4, crop 32 pad 4 + flip, normalisation (0.5, 0.5, 0.5),
   * the reference's 5,000 validation images held out and used to pick the best epoch. GPU work.
   */
  'paper-cifar': {
    task: 'classify',
    dataset: 'cifar-100',
    imageSize: 32,
    backbone: 'resnet32',
    objective: 'baseline',
    batchSize: 128,
    batchesPerEpoch: 1000,
    epochs: 80,
    lrSchedule: [
      { epoch: 1, lr: 0.1 },
      { epoch: 41, lr: 0.01 },
      { epoch: 61, lr: 0.001 },
    ],
    momentum: 0.9,
    nesterov: false,
    weightDecay: 1e-4,
    augmentation: SLA_CIFAR_AUGMENTATION,
    normalization: { mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] },
    holdOutVal: true,
    validation: { episodes: 0, ways: 5, shots: 5, queries: 15 },
    checkpointEvery: 1000,
    logEvery: 50,
  },
  /**
   * LDAM-DRW's CIFAR-LT recipe (kaidic/LDAM-DRW `cifar_train.py`) for CIFAR-10-LT with ratio 100
   * (`--dataset cifar-100`, `--imbalance 10` for the other columns): ResNet-32, 200 epochs of batch
   * 128, SGD momentum 0.9, weight decay 2e-4, lr 0.1 with a linear warm-up over epochs 1-5, x0.01
   * from epoch 161 and x0.0001 from epoch 181, crop 32 pad 4 + flip, the reference's CIFAR
   * mean/std. An epoch is floor(n/128) batches of the long-tailed set: 96 here; CIFAR-10-LT ratio 10:
   * 159, CIFAR-100-LT 100: 84, ratio 10: 152 (`--batches-per-epoch`). Add `--loss cb` or
   * `--loss ldam --drw` for the Table 6 rows. GPU work.
   */
  'paper-imbalanced': {
    task: 'classify',
    dataset: 'cifar-10',
    imageSize: 32,
    backbone: 'resnet32',
    objective: 'baseline',
    imbalance: 100,
    imbalanceProfile: 'exp',
    batchSize: 128,
    batchesPerEpoch: 96,
    epochs: 200,
    lrSchedule: LDAM_DRW_SCHEDULE,
    momentum: 0.9,
    nesterov: false,
    weightDecay: 2e-4,
    augmentation: SLA_CIFAR_AUGMENTATION,
    normalization: { mean: [125.307, 122.961, 113.8575], std: [51.5865, 50.847, 51.255] },
    validation: { episodes: 0, ways: 5, shots: 5, queries: 15 },
    checkpointEvery: 1000,
    logEvery: 50,
  },
  /**
   * Long-tailed tiny-imagenet-fs at 32x32 (100 classes, n_max 500, ratio 100; `--imbalance 10`),
   * Conv-4, batch 128, 1,000 steps: LDAM-DRW's 200-epoch schedule with 5-step epochs (warm-up over
   * steps 1-25, x0.01 from step 801, x0.0001 from step 901; DRW from step 801), weight decay 2e-4,
   * crop pad 4 + flip. The budget of benchmarks/long-tail-study.sh.
   */
  'cpu-imbalanced': {
    task: 'classify',
    dataset: 'tiny-imagenet-fs',
    imageSize: 32,
    backbone: 'conv4',
    objective: 'baseline',
    imbalance: 100,
    imbalanceProfile: 'exp',
    batchSize: 128,
    batchesPerEpoch: 5,
    epochs: 200,
    lrSchedule: LDAM_DRW_SCHEDULE,
    momentum: 0.9,
    nesterov: false,
    weightDecay: 2e-4,
    augmentation: SLA_CIFAR_AUGMENTATION,
    validation: { episodes: 0, ways: 5, shots: 5, queries: 15 },
    checkpointEvery: 125,
    logEvery: 5,
  },
};

/** Names of the presets, for help texts and errors. */
export function presetNames(): string[] {
  return Object.keys(TRAIN_PRESETS);
}

const KEYS = Object.keys(DEFAULT_TRAIN_CONFIG) as (keyof TrainConfig)[];

/** Checks that a config layer only has known keys; `source` names it in errors. */
function checkKeys(layer: Record<string, unknown>, source: string): void {
  const unknown = Object.keys(layer).filter((k) => !KEYS.includes(k as keyof TrainConfig));
  if (unknown.length > 0) throw new UsageError(`${source}: unknown training option '${unknown[0]}'; known: ${KEYS.join(', ')}`);
}

/** The preset `name`, or a UsageError listing the presets. */
export function presetConfig(name: string): Partial<TrainConfig> {
  const preset = TRAIN_PRESETS[name];
  if (!preset) throw new UsageError(`unknown preset '${name}': expected one of ${presetNames().join(', ')}`);
  return preset;
}

/** Reads a JSON config file (a partial TrainConfig); one-line errors for unreadable or bad files. */
export async function readConfigFile(path: string): Promise<Partial<TrainConfig>> {
  // `plugins` is for the CLI, which loads them before any option is read (src/cli/middleware.ts).
  const { plugins: _plugins, ...parsed } = await readJsonObject(path, `--config ${path}`, 'training options');
  checkKeys(parsed, `--config ${path}`);
  return parsed as Partial<TrainConfig>;
}

/** Merges layers over the defaults (later wins; `validation` merges key by key), then validates. */
export function resolveTrainConfig(...layers: Partial<TrainConfig>[]): TrainConfig {
  let config: TrainConfig = structuredClone(DEFAULT_TRAIN_CONFIG) as TrainConfig;
  layers.forEach((layer, i) => {
    checkKeys(layer, `config layer ${i + 1}`);
    const defined = Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
    const validation = defined.validation ? { ...config.validation, ...defined.validation } : config.validation;
    config = { ...config, ...structuredClone(defined), validation };
  });
  return validateTrainConfig(config);
}

function integer(name: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${name} must be an integer >= ${min}, found ${JSON.stringify(value)}`);
  }
}

function real(name: string, value: unknown, min: number, below?: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (below !== undefined && value >= below)) {
    const range = below === undefined ? `>= ${min}` : `in [${min}, ${below})`;
    throw new UsageError(`${name} must be a number ${range}, found ${JSON.stringify(value)}`);
  }
}

function checkSchedule(stages: unknown): void {
  if (!Array.isArray(stages) || stages.length === 0) throw new UsageError('lrSchedule must be a non-empty list of { epoch, lr }');
  stages.forEach((stage: Partial<LrStage>, i) => {
    integer(`lrSchedule[${i}].epoch`, stage?.epoch, 1);
    real(`lrSchedule[${i}].lr`, stage?.lr, 0);
    if (i === 0 && stage.epoch !== 1) throw new UsageError(`lrSchedule must start at epoch 1, found ${stage.epoch}`);
    if (i > 0 && stage.epoch! <= stages[i - 1].epoch) throw new UsageError('lrSchedule epochs must increase strictly');
  });
}

function checkNormalization(value: unknown): void {
  if (value === 'dataset') return;
  const v = value as { mean?: unknown; std?: unknown } | null;
  const numbers = (a: unknown) => Array.isArray(a) && a.length > 0 && a.every((n) => typeof n === 'number' && Number.isFinite(n));
  if (!v || !numbers(v.mean) || !numbers(v.std) || (v.mean as number[]).length !== (v.std as number[]).length || (v.std as number[]).some((x) => x <= 0)) {
    throw new UsageError(`normalization must be 'dataset' or { mean: number[], std: number[] } (pixel units, std > 0, one per channel), found ${JSON.stringify(value)}`);
  }
}

function checkAugmentation(value: unknown): void {
  if (value === 'recipe' || value === 'none') return;
  const a = value as Partial<AugmentationOptions> | null;
  if (!a || typeof a !== 'object' || typeof a.horizontalFlip !== 'boolean') {
    throw new UsageError(`augmentation must be 'recipe', 'none' or { cropPadding, horizontalFlip, colorJitter? }, found ${JSON.stringify(value)}`);
  }
  integer('augmentation.cropPadding', a.cropPadding, 0);
}

/** Checks every field of a full config (types and ranges, not dataset-dependent limits); returns it. */
export function validateTrainConfig(config: TrainConfig): TrainConfig {
  if (config.task !== 'episodic' && config.task !== 'classify') {
    throw new UsageError(`task must be 'episodic' or 'classify', found ${JSON.stringify(config.task)}`);
  }
  if (typeof config.objective !== 'string' || config.objective === '') throw new UsageError(`objective must be a non-empty name, found ${JSON.stringify(config.objective)}`);
  integer('batchSize', config.batchSize, 1);
  if (typeof config.largeLoss !== 'boolean') throw new UsageError(`largeLoss must be true or false, found ${JSON.stringify(config.largeLoss)}`);
  if (typeof config.holdOutVal !== 'boolean') throw new UsageError(`holdOutVal must be true or false, found ${JSON.stringify(config.holdOutVal)}`);
  real('temperature', config.temperature, Number.MIN_VALUE);
  integer('testPerClass', config.testPerClass, 0);
  integer('splitSeed', config.splitSeed, 0);
  if (!Array.isArray(config.classSplits) || config.classSplits.some((x) => x !== 'train' && x !== 'val' && x !== 'test')) {
    throw new UsageError(`classSplits must be a list of train, val, test, found ${JSON.stringify(config.classSplits)}`);
  }
  integer('perClass', config.perClass, 0);
  checkNormalization(config.normalization);
  if (config.imbalance !== 0) real('imbalance', config.imbalance, 1);
  if (config.imbalanceProfile !== 'exp' && config.imbalanceProfile !== 'step') throw new UsageError(`imbalanceProfile must be exp or step, found ${JSON.stringify(config.imbalanceProfile)}`);
  integer('maxPerClass', config.maxPerClass, 0);
  checkLongTailSettings(config);
  checkClassifierLrScale(config);
  if (config.task === 'episodic' && (config.loss !== 'ce' || config.imbalance > 0)) {
    throw new UsageError('--loss and --imbalance apply to whole-class training: add --task classify (or a classify preset such as cpu-imbalanced)');
  }
  if (typeof config.init !== 'string') throw new UsageError(`init must be a model file path (or "" for none), found ${JSON.stringify(config.init)}`);
  for (const key of ['dataset', 'backbone', 'head', 'transform'] as const) {
    if (typeof config[key] !== 'string' || config[key] === '') throw new UsageError(`${key} must be a non-empty name, found ${JSON.stringify(config[key])}`);
  }
  for (const key of ['backboneOptions', 'headOptions'] as const) {
    if (!config[key] || typeof config[key] !== 'object' || Array.isArray(config[key])) throw new UsageError(`${key} must be an object`);
  }
  integer('imageSize', config.imageSize, 0);
  integer('ways', config.ways, 1);
  integer('shots', config.shots, 1);
  integer('queries', config.queries, 1);
  integer('episodesPerBatch', config.episodesPerBatch, 1);
  integer('batchesPerEpoch', config.batchesPerEpoch, 1);
  integer('epochs', config.epochs, 1);
  checkSchedule(config.lrSchedule);
  real('momentum', config.momentum, 0, 1);
  if (typeof config.nesterov !== 'boolean') throw new UsageError('nesterov must be true or false');
  if (config.nesterov && config.momentum === 0) throw new UsageError('nesterov needs momentum > 0');
  real('weightDecay', config.weightDecay, 0);
  real('labelSmoothing', config.labelSmoothing, 0, 1);
  checkAugmentation(config.augmentation);
  const v = config.validation;
  integer('validation.episodes', v.episodes, 0);
  integer('validation.ways', v.ways, 1);
  integer('validation.shots', v.shots, 1);
  integer('validation.queries', v.queries, 1);
  integer('checkpointEvery', config.checkpointEvery, 1);
  integer('logEvery', config.logEvery, 1);
  real('heapBudgetMiB', config.heapBudgetMiB, 64, 4096);
  integer('microBatch', config.microBatch, 0);
  if (!BN_GROUPINGS.includes(config.bnGrouping)) throw new UsageError(`bnGrouping must be one of ${BN_GROUPINGS.join(', ')}, found ${JSON.stringify(config.bnGrouping)}`);
  integer('seed', config.seed, Number.MIN_SAFE_INTEGER);
  return config;
}

/** classifierLrScale: an object of numbers > 0, whole-class runs only (its names are checked against the objective's classifiers with the data, in checkTrainSetup). */
function checkClassifierLrScale(config: TrainConfig): void {
  const scales = config.classifierLrScale;
  if (!scales || typeof scales !== 'object' || Array.isArray(scales)) {
    throw new UsageError(`classifierLrScale must be an object of classifier names and numbers > 0, e.g. {"transformation": 0.1}, found ${JSON.stringify(scales)}`);
  }
  for (const [name, scale] of Object.entries(scales)) {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) throw new UsageError(`classifierLrScale.${name} must be a number > 0, found ${JSON.stringify(scale)}`);
  }
  if (config.task === 'episodic' && Object.keys(scales).length > 0) {
    throw new UsageError('classifierLrScale applies to whole-class training (--task classify): episodic heads have no classifiers');
  }
}

/** The learning rate of 1-based `epoch` under the step schedule. */
export function learningRateAt(schedule: readonly LrStage[], epoch: number): number {
  let lr = schedule[0]!.lr;
  for (const stage of schedule) if (epoch >= stage.epoch) lr = stage.lr;
  return lr;
}

/** Keys whose values differ between two configs (for resume checks). */
export function configDifferences(a: TrainConfig, b: TrainConfig): string[] {
  return KEYS.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/**
 * Keys that may change when a run resumes: they do not change the numbers (bookkeeping, memory
 * split, the image-size check, which the data is checked against anyway).
 */
const RESUMABLE_KEYS: ReadonlySet<string> = new Set(['checkpointEvery', 'logEvery', 'heapBudgetMiB', 'microBatch', 'imageSize']);

/** How a classify run reads its dataset (the loader's options, from the config). */
export function classificationOptionsOf(config: TrainConfig, dataDir: string): ClassificationOptions {
  return {
    dataDir,
    seed: config.seed,
    splitSeed: config.splitSeed,
    ...(config.classSplits.length > 0 ? { splits: config.classSplits } : {}),
    ...(config.testPerClass > 0 ? { testPerClass: config.testPerClass } : {}),
    ...(config.perClass > 0 ? { perClass: config.perClass } : {}),
    ...(config.holdOutVal ? { holdOutVal: true } : {}),
    ...(config.imbalance > 0
      ? { imbalance: { profile: config.imbalanceProfile, ratio: config.imbalance, ...(config.maxPerClass > 0 ? { maxPerClass: config.maxPerClass } : {}) } }
      : {}),
  };
}

/**
 * Keys a saved run differs in from `config` that forbid resuming it. A config saved before a key
 * existed lacks it and is read with that key's default (runs saved before `task` are episodic).
 */
export function resumeConflicts(saved: TrainConfig, config: TrainConfig): string[] {
  return configDifferences({ ...DEFAULT_TRAIN_CONFIG, ...saved }, config).filter((k) => !RESUMABLE_KEYS.has(k));
}
