/**
 * Whole-class bench cells: named runs (objective x transformation, each trained once per seed with
 * the classify trainer and evaluated with eval-class at its inferences), ensembles over the seeds
 * of a run, and the report layouts (the SLA paper's Tables 1-3, Figure 3). Presets for the
 * synthetic smoke test, the tiny-imagenet-fs study of benchmarks/classify-study.sh and the
 * reference CIFAR recipe.
 */
import { UsageError } from '../errors.js';
import { TRAIN_PRESETS, resolveTrainConfig, type TrainConfig } from '../train/config.js';
import type { BenchConfig, BenchLayer } from './config.js';

/** One whole-class model per dataset and seed: `<out>/<dataset>/<name>/seed-<s>/{train,test}`. */
export interface ClassifyRunSpec {
  /** Folder name and the key the report layouts look up (`base`, `sla`, `sd`, ...). */
  name: string;
  objective: string;
  transform: string;
  /** eval-class inferences of every seed's model (`single`, `aggregated`, `sd`, `ten-crop`). */
  inferences: string[];
  /** Seeds of this run (default: the bench's `seeds`, else `[train.seed]`). */
  seeds?: number[];
  /** Training options over the bench's `train` and `trainByDataset` for this run only. */
  train?: Partial<TrainConfig>;
}

/** The ensemble (mean softmax) of every seed's model of `run`: `<out>/<dataset>/<name>/`. */
export interface ClassifyEnsembleSpec {
  name: string;
  run: string;
  inferences: string[];
}

/** Report layouts of a classify bench: `tables` (Tables 1-3, McNemar) and `figure3` (aggregation gain against M). */
export const CLASSIFY_LAYOUTS = ['tables', 'figure3'] as const;
export type ClassifyLayout = (typeof CLASSIFY_LAYOUTS)[number];

const NAME = /^[a-z0-9][a-z0-9._+-]*$/i;

/** The seeds a run is trained with. */
export function runSeeds(config: BenchConfig, run: ClassifyRunSpec): number[] {
  return run.seeds ?? config.seeds ?? [config.train.seed ?? 0];
}

/** The training config of one run on one dataset with one seed: defaults < train < trainByDataset < run.train < the run's names. */
export function classifyCellTrainConfig(config: BenchConfig, dataset: string, run: ClassifyRunSpec, seed: number): TrainConfig {
  return resolveTrainConfig(config.train, config.trainByDataset[dataset] ?? {}, run.train ?? {}, {
    task: 'classify',
    dataset,
    objective: run.objective,
    transform: run.transform,
    seed,
  });
}

function names(key: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new UsageError(`${key} must be a non-empty list of names, found ${JSON.stringify(value)}`);
  }
  return value as string[];
}

function seedList(key: string, value: unknown): void {
  if (!Array.isArray(value) || value.length === 0 || value.some((s) => !Number.isSafeInteger(s)) || new Set(value).size !== value.length) {
    throw new UsageError(`${key} must be a non-empty list of distinct integers, found ${JSON.stringify(value)}`);
  }
}

/** Checks the classify fields and resolves every cell's training config (bad recipes fail before any work). */
export function validateClassifyBench(config: BenchConfig): BenchConfig {
  if (!Array.isArray(config.runs) || config.runs.length === 0) throw new UsageError('a classify bench needs runs: a non-empty list of { name, objective, transform, inferences }');
  const seen = new Set<string>();
  const unique = (name: unknown, where: string) => {
    if (typeof name !== 'string' || !NAME.test(name)) throw new UsageError(`${where}.name must be a folder name (letters, digits, . _ + -), found ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new UsageError(`${where}: the name '${name}' is used twice among runs and ensembles`);
    seen.add(name);
  };
  config.runs.forEach((run, i) => {
    const where = `runs[${i}]`;
    unique(run?.name, where);
    for (const key of ['objective', 'transform'] as const) {
      if (typeof run[key] !== 'string' || run[key] === '') throw new UsageError(`${where}.${key} must be a non-empty name, found ${JSON.stringify(run[key])}`);
    }
    names(`${where}.inferences`, run.inferences);
    if (run.seeds !== undefined) seedList(`${where}.seeds`, run.seeds);
    const extra = Object.keys(run).find((k) => !['name', 'objective', 'transform', 'inferences', 'seeds', 'train'].includes(k));
    if (extra !== undefined) throw new UsageError(`${where}: unknown key '${extra}'; known: name, objective, transform, inferences, seeds, train`);
  });
  if (!Array.isArray(config.ensembles)) throw new UsageError(`ensembles must be a list of { name, run, inferences }, found ${JSON.stringify(config.ensembles)}`);
  config.ensembles.forEach((ensemble, i) => {
    const where = `ensembles[${i}]`;
    unique(ensemble?.name, where);
    const run = config.runs.find((r) => r.name === ensemble.run);
    if (!run) throw new UsageError(`${where}.run '${ensemble.run}' is not one of the runs (${config.runs.map((r) => r.name).join(', ')})`);
    if (runSeeds(config, run).length < 2) throw new UsageError(`${where}: run '${run.name}' has one seed; an ensemble needs at least 2 (set seeds)`);
    names(`${where}.inferences`, ensemble.inferences);
  });
  const layouts = names('layouts', config.layouts);
  const unknown = layouts.find((l) => !(CLASSIFY_LAYOUTS as readonly string[]).includes(l));
  if (unknown !== undefined) throw new UsageError(`unknown layout '${unknown}': expected ${CLASSIFY_LAYOUTS.join(' or ')}`);
  for (const dataset of config.datasets) {
    for (const run of config.runs) for (const seed of runSeeds(config, run)) classifyCellTrainConfig(config, dataset, run, seed);
  }
  return config;
}

/** Tables 1-3: the run names the tables look up (src/report/classification-table.ts), each with its read-outs. */
const TABLE_RUNS: ClassifyRunSpec[] = [
  { name: 'base', objective: 'baseline', transform: 'none', inferences: ['single', 'ten-crop'] },
  { name: 'sla', objective: 'sla', transform: 'rotation', inferences: ['single', 'aggregated'] },
  { name: 'sd', objective: 'sla+sd', transform: 'rotation', inferences: ['single', 'aggregated', 'sd'] },
  { name: 'da', objective: 'da', transform: 'rotation', inferences: ['single'] },
  { name: 'mt', objective: 'mt', transform: 'rotation', inferences: ['single'] },
  { name: 'cp', objective: 'sla', transform: 'colorperm', inferences: ['single', 'aggregated'] },
];

const run = (name: string, seeds?: number[]): ClassifyRunSpec => ({ ...TABLE_RUNS.find((r) => r.name === name)!, ...(seeds ? { seeds } : {}) });

/** Figure 3: one model per number of copies M = 1, 2, 3, 4, 6, 12, 24 (M = 1 is the baseline itself). */
export const FIGURE3_RUNS: readonly ClassifyRunSpec[] = [
  { name: 'base', objective: 'baseline', transform: 'none', inferences: ['single'] },
  ...(
    [
      [2, 'rotation2'],
      [3, 'colorperm3'],
      [4, 'rotation'],
      [6, 'colorperm'],
      [12, 'rotation+colorperm3'],
      [24, 'rotation+colorperm'],
    ] as const
  ).map(([m, transform]) => ({ name: `m${m}`, objective: 'sla', transform, inferences: ['single', 'aggregated'] })),
];

const ENSEMBLES: ClassifyEnsembleSpec[] = [
  { name: 'ens-base', run: 'base', inferences: ['single'] },
  { name: 'ens-sla', run: 'sla', inferences: ['single', 'aggregated'] },
];

/**
 * Synthetic glyphs read whole-class (the 20 test-split classes, 60 train / 20 test images per
 * class, 32x32), Conv-4 with 32 channels, 120 steps of 32 images per model, no augmentation (the
 * glyphs are upright: flips change them). lr 0.02 then 0.002: a baseline reached 13.50% (chance
 * 5%) where lr 0.1 stayed at chance (3.75%) in 120 steps (docs/bench.md).
 */
const CLASSIFY_QUICK_TRAIN: Partial<TrainConfig> = {
  task: 'classify',
  dataset: 'synthetic',
  classSplits: ['test'],
  testPerClass: 20,
  perClass: 60,
  backbone: 'conv4',
  backboneOptions: { channels: 32 },
  batchSize: 32,
  batchesPerEpoch: 40,
  epochs: 3,
  lrSchedule: [
    { epoch: 1, lr: 0.02 },
    { epoch: 3, lr: 0.002 },
  ],
  momentum: 0.9,
  nesterov: false,
  weightDecay: 1e-4,
  augmentation: 'none',
  validation: { episodes: 0, ways: 5, shots: 5, queries: 15 },
  checkpointEvery: 40,
  logEvery: 10,
};

/** Classify bench presets (merged into BENCH_PRESETS). */
export const CLASSIFY_BENCH_PRESETS: Readonly<Record<string, BenchLayer>> = {
  /** Tables 1-3 on synthetic glyphs: base and sla with seeds 0 and 1 (for the ensembles), sd, da, mt, cp with seed 0; minutes of CPU. */
  'classify-quick': {
    task: 'classify',
    datasets: ['synthetic'],
    train: CLASSIFY_QUICK_TRAIN,
    runs: [run('base', [0, 1]), run('sla', [0, 1]), run('sd', [0]), run('da', [0]), run('mt', [0]), run('cp', [0])],
    ensembles: ENSEMBLES,
    layouts: ['tables'],
  },
  /** Figure 3 on the same synthetic data and budget (M = 24: 24 copies per image, the slowest model). */
  'figure3-quick': {
    task: 'classify',
    datasets: ['synthetic'],
    train: CLASSIFY_QUICK_TRAIN,
    runs: [...FIGURE3_RUNS],
    ensembles: [],
    layouts: ['figure3'],
  },
  /**
   * The rows of benchmarks/classify-study.sh: the trainer's cpu-classify preset (tiny-imagenet-fs
   * at 32x32 as 100 classes, Conv-4, 1,000 steps of 128), base and sla over seeds 0-2 (with their
   * ensembles), sd, da, mt and cp with seed 0. About an hour per SDA run on 2 cores.
   */
  'cpu-classify': {
    task: 'classify',
    datasets: ['tiny-imagenet-fs'],
    train: { ...TRAIN_PRESETS['cpu-classify'] },
    runs: [run('base', [0, 1, 2]), run('sla', [0, 1, 2]), run('sd', [0]), run('da', [0]), run('mt', [0]), run('cp', [0])],
    ensembles: ENSEMBLES,
    layouts: ['tables'],
  },
  /** Figure 3 at the cpu-classify budget, seed 0: seven models (M = 24 is 24 copies per image: many hours). */
  'cpu-figure3': {
    task: 'classify',
    datasets: ['tiny-imagenet-fs'],
    train: { ...TRAIN_PRESETS['cpu-classify'] },
    runs: [...FIGURE3_RUNS],
    ensembles: [],
    layouts: ['figure3'],
  },
  /**
   * The SLA reference recipe (trainer preset paper-cifar: ResNet-32, 80,000 iterations) on
   * CIFAR-10 and CIFAR-100: every Table 1-3 row, four seeds of base and sla for "Ensemble" and
   * "Ensemble + SDA+AG", cp-sd for colour permutation x SDA+SD. Published figures beside the
   * cells the project records (src/report/classification-table.ts). For GPUs.
   */
  'paper-cifar': {
    task: 'classify',
    datasets: ['cifar-10', 'cifar-100'],
    train: { ...TRAIN_PRESETS['paper-cifar'] },
    runs: [
      run('base', [0, 1, 2, 3]),
      run('sla', [0, 1, 2, 3]),
      run('sd', [0]),
      run('da', [0]),
      run('mt', [0]),
      run('cp', [0]),
      { name: 'cp-sd', objective: 'sla+sd', transform: 'colorperm', inferences: ['single', 'aggregated', 'sd'], seeds: [0] },
    ],
    ensembles: ENSEMBLES,
    layouts: ['tables'],
  },
};
