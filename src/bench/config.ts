/**
 * The bench configuration: which datasets x heads x transformations to train, which shots to
 * evaluate, and the training recipe (or, with `task: classify`, which whole-class runs:
 * src/bench/classify-config.ts). Layers merge as defaults < preset < config file < flags.
 */
import type { JsonValue } from '../backbones/checkpoint.js';
import { UsageError } from '../errors.js';
import { readJsonObject } from '../util/json-file.js';
import { TRAIN_PRESETS, resolveTrainConfig, type TrainConfig } from '../train/config.js';
import { CLASSIFY_BENCH_PRESETS, validateClassifyBench, type ClassifyEnsembleSpec, type ClassifyLayout, type ClassifyRunSpec } from './classify-config.js';

/** Everything `jointshot bench` runs; written as `bench-config.json` into the output folder. */
export interface BenchConfig {
  /** `episodic` (heads x transforms on few-shot manifests, Table 5) or `classify` (whole-class `runs`, Tables 1-3 / Figure 3). */
  task: 'episodic' | 'classify';
  /** Dataset names (each needs train, val when validating, and test splits). */
  datasets: string[];
  /** Head registry names, one trained model per head x transformation. */
  heads: string[];
  /** Label transformation sets: `none` (plain) and e.g. `rotation` (SLA). */
  transforms: string[];
  /** Test shots: every trained model is evaluated on the canonical 5-way K-shot manifest of each. */
  shots: number[];
  /** Evaluate only the first N episodes of each manifest (null: all of them). */
  evalEpisodes: number | null;
  /** Training options for every cell, over the trainer's defaults (MetaOptNet's recipe). */
  train: Partial<TrainConfig>;
  /** Training options per dataset, over `train` (e.g. 15-shot training on mini-imagenet). */
  trainByDataset: Record<string, Partial<TrainConfig>>;
  /** Options per head name (e.g. `{ "ridge": { "lambda": 50 } }`). */
  headOptions: Record<string, Record<string, JsonValue>>;
  /** Training seeds: every cell trained and evaluated once per seed, in `seed-<s>/` (null: one run with train.seed). */
  seeds: number[] | null;
  /** classify: the whole-class runs (objective x transformation x inferences, per seed). */
  runs: ClassifyRunSpec[];
  /** classify: ensembles over the seeds of a run. */
  ensembles: ClassifyEnsembleSpec[];
  /** classify: report layouts (`tables`, `figure3`). */
  layouts: ClassifyLayout[];
}

/** A layer: any subset of the fields. */
export type BenchLayer = Partial<BenchConfig>;

/** The base every preset starts from: all three heads, plain and SLA-rotation, 1 and 5 shots. */
export const DEFAULT_BENCH_CONFIG: Readonly<BenchConfig> = {
  task: 'episodic',
  datasets: ['synthetic'],
  heads: ['protonet', 'ridge', 'svm'],
  transforms: ['none', 'rotation'],
  shots: [1, 5],
  evalEpisodes: null,
  train: {},
  trainByDataset: {},
  headOptions: {},
  seeds: null,
  runs: [],
  ensembles: [],
  layouts: ['tables'],
};

/** Bench presets; `quick` is what `jointshot bench` runs without arguments. */
export const BENCH_PRESETS: Readonly<Record<string, BenchLayer>> = {
  /**
   * Synthetic glyphs, Conv-4 with 32 channels, 120 training episodes per model (5-way 5-shot,
   * no augmentation), the first 100 episodes of each canonical test manifest: minutes on 2 cores.
   * SVM C = 0.01 instead of MetaOptNet's 0.1: at 0.1 this Conv-4's kernel (K_ii ~160) puts the
   * SVM in its hard-margin regime, where its logits stay at the margin however the backbone
   * grows; the learnable scale collapses towards 0 early and 120 episodes are too few for it to
   * recover (docs/heads.md, "svm at small training budgets").
   */
  quick: {
    datasets: ['synthetic'],
    evalEpisodes: 100,
    train: {
      backbone: 'conv4',
      backboneOptions: { channels: 32 },
      ways: 5,
      shots: 5,
      queries: 6,
      episodesPerBatch: 1,
      batchesPerEpoch: 40,
      epochs: 3,
      lrSchedule: [
        { epoch: 1, lr: 0.1 },
        { epoch: 3, lr: 0.01 },
      ],
      augmentation: 'none',
      validation: { episodes: 0, ways: 5, shots: 5, queries: 15 },
      checkpointEvery: 25,
    },
    headOptions: { svm: { C: 0.01 } },
  },
  /** tiny-imagenet-fs (prepared with jointshot data prepare), the trainer's cpu-real budget, all 1000 test episodes. */
  'cpu-real': {
    datasets: ['tiny-imagenet-fs'],
    evalEpisodes: null,
    train: { ...TRAIN_PRESETS['cpu-real'] },
  },
  /**
   * The MetaOptNet/SLA recipe of every Table 5 cell: ResNet-12, SGD Nesterov, 60 epochs x 1000
   * batches x 8 episodes, 15-shot training on mini-imagenet and FC100 (5-shot on CIFAR-FS), label
   * smoothing 0.1 on mini-imagenet, ridge lambda 50, SVM C 0.1; 1000 test episodes. For GPUs.
   */
  'paper-table5': {
    datasets: ['mini-imagenet', 'cifar-fs', 'fc100'],
    heads: ['protonet', 'ridge', 'svm'],
    transforms: ['none', 'rotation'],
    shots: [1, 5],
    evalEpisodes: null,
    train: { backbone: 'resnet12', augmentation: 'recipe' },
    trainByDataset: {
      'mini-imagenet': { shots: 15, labelSmoothing: 0.1 },
      'cifar-fs': { shots: 5 },
      fc100: { shots: 15 },
    },
    headOptions: { ridge: { lambda: 50 }, svm: { C: 0.1 } },
  },
  ...CLASSIFY_BENCH_PRESETS,
};

/** The default preset of `jointshot bench`. */
export const DEFAULT_BENCH_PRESET = 'quick';

const KEYS = Object.keys(DEFAULT_BENCH_CONFIG) as (keyof BenchConfig)[];

/** The preset `name`, or a UsageError listing them. */
export function benchPreset(name: string): BenchLayer {
  const preset = BENCH_PRESETS[name];
  if (!preset) throw new UsageError(`unknown bench preset '${name}': expected one of ${Object.keys(BENCH_PRESETS).join(', ')}`);
  return preset;
}

function checkKeys(layer: object, source: string): void {
  const unknown = Object.keys(layer).find((k) => !KEYS.includes(k as keyof BenchConfig));
  if (unknown !== undefined) throw new UsageError(`${source}: unknown bench option '${unknown}'; known: ${KEYS.join(', ')}`);
}

/** Reads a JSON bench config file (a partial BenchConfig); one-line errors for bad files. */
export async function readBenchConfigFile(path: string): Promise<BenchLayer> {
  // `plugins` is for the CLI, which loads them before any option is read (src/cli/middleware.ts).
  const { plugins: _plugins, ...parsed } = await readJsonObject(path, `--config ${path}`, 'bench options');
  checkKeys(parsed, `--config ${path}`);
  return parsed as BenchLayer;
}

const defined = <T extends object>(layer: T): Partial<T> => Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)) as Partial<T>;

/** `train` layers merge key by key (`validation` too), like the trainer's own layers. */
function mergeTrain(a: Partial<TrainConfig>, b: Partial<TrainConfig> = {}): Partial<TrainConfig> {
  const merged = { ...a, ...defined(b) };
  if (a.validation && b.validation) merged.validation = { ...a.validation, ...b.validation };
  return merged;
}

function mergeRecords<T extends object>(a: Record<string, T>, b: Record<string, T> | undefined, mergeOne: (x: T, y: T) => T): Record<string, T> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b ?? {})) out[k] = out[k] ? mergeOne(out[k]!, v) : v;
  return out;
}

/**
 * Merges layers over the defaults (later wins; `train`, `trainByDataset` and `headOptions` merge
 * key by key; lists are replaced), then checks the result and every cell's training config.
 */
export function resolveBenchConfig(...layers: BenchLayer[]): BenchConfig {
  let config = structuredClone(DEFAULT_BENCH_CONFIG) as BenchConfig;
  layers.forEach((raw, i) => {
    checkKeys(raw, `bench config layer ${i + 1}`);
    const layer = structuredClone(defined(raw));
    config = {
      ...config,
      ...layer,
      train: mergeTrain(config.train, layer.train),
      trainByDataset: mergeRecords(config.trainByDataset, layer.trainByDataset, mergeTrain),
      headOptions: mergeRecords(config.headOptions, layer.headOptions, (x, y) => ({ ...x, ...y })),
    };
  });
  return validateBenchConfig(config);
}

function nameList(key: string, value: unknown): void {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new UsageError(`${key} must be a non-empty list of names, found ${JSON.stringify(value)}`);
  }
  if (new Set(value).size !== value.length) throw new UsageError(`${key} lists a name twice: ${JSON.stringify(value)}`);
}

/** Checks the matrix fields and resolves every cell's training config (so bad recipes fail before any work). */
export function validateBenchConfig(config: BenchConfig): BenchConfig {
  if (config.task !== 'episodic' && config.task !== 'classify') throw new UsageError(`task must be episodic or classify, found ${JSON.stringify(config.task)}`);
  nameList('datasets', config.datasets);
  if (config.seeds !== null && (!Array.isArray(config.seeds) || config.seeds.length === 0 || config.seeds.some((s) => !Number.isSafeInteger(s)) || new Set(config.seeds).size !== config.seeds.length)) {
    throw new UsageError(`seeds must be null or a non-empty list of distinct integers, found ${JSON.stringify(config.seeds)}`);
  }
  if (config.task === 'classify') return validateClassifyBench(config);
  nameList('heads', config.heads);
  nameList('transforms', config.transforms);
  if (!Array.isArray(config.shots) || config.shots.length === 0 || config.shots.some((s) => !Number.isSafeInteger(s) || s < 1)) {
    throw new UsageError(`shots must be a non-empty list of positive integers, found ${JSON.stringify(config.shots)}`);
  }
  if (config.evalEpisodes !== null && (!Number.isSafeInteger(config.evalEpisodes) || config.evalEpisodes < 1)) {
    throw new UsageError(`evalEpisodes must be a positive integer or null (all), found ${JSON.stringify(config.evalEpisodes)}`);
  }
  for (const dataset of config.datasets) for (const head of config.heads) for (const transform of config.transforms) cellTrainConfig(config, dataset, head, transform);
  return config;
}

/** The full training config of one cell: defaults < train < trainByDataset[dataset] < the cell's names (and seed). */
export function cellTrainConfig(config: BenchConfig, dataset: string, head: string, transform: string, seed?: number): TrainConfig {
  return resolveTrainConfig(config.train, config.trainByDataset[dataset] ?? {}, {
    dataset,
    head,
    transform,
    headOptions: config.headOptions[head] ?? {},
    ...(seed !== undefined ? { seed } : {}),
  });
}
