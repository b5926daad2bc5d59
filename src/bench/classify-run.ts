/**
 * Running a classify bench: for every dataset x run x seed, train with the classify trainer
 * (skipping finished runs, resuming interrupted ones, exactly as episodic cells), evaluate the
 * model with eval-class at the run's inferences, then every ensemble over a run's seeds (each
 * evaluation skipped when done earlier with the same model bytes, inferences and data options).
 */
import { join } from 'node:path';
import { loadClassificationData } from '../data/classification.js';
import type { ClassificationData } from '../data/classification-types.js';
import { UsageError } from '../errors.js';
import { TEN_CROP } from '../eval/classify.js';
import { evaluateWholeClass } from '../eval/classify-run.js';
import { getObjective } from '../objectives/registry.js';
import { writeClassificationResults } from '../eval/classify-results.js';
import { classificationOptionsOf, type TrainConfig } from '../train/config.js';
import { TRAIN_FILES, checkTrainSetup, trainRun } from '../train/trainer.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { mkdir } from 'node:fs/promises';
import { classifyCellTrainConfig, runSeeds, type ClassifyEnsembleSpec, type ClassifyRunSpec } from './classify-config.js';
import type { BenchConfig } from './config.js';
import { SILENT_BENCH, type BenchProgress } from './progress.js';
import { BENCH_CONFIG_FILE, EVAL_CONFIG_FILE, exists, readJson, sha256File, trainingState } from './run.js';

/** One whole-class model of the bench: `<out>/<dataset>/<run>/seed-<s>/` with `train/` and `test/`. */
export interface ClassifyCell {
  index: number;
  dataset: string;
  run: ClassifyRunSpec;
  seed: number;
  train: TrainConfig;
  dir: string;
}

/** Where a bench puts a run's seeds and an ensemble's results. */
export const classifyRunDir = (outDir: string, dataset: string, name: string): string => join(outDir, dataset, name);

/** The cells in order: datasets, then runs, then seeds. */
export function classifyCells(config: BenchConfig, outDir: string): ClassifyCell[] {
  const cells: ClassifyCell[] = [];
  for (const dataset of config.datasets) {
    for (const run of config.runs) {
      for (const seed of runSeeds(config, run)) {
        cells.push({ index: cells.length, dataset, run, seed, train: classifyCellTrainConfig(config, dataset, run, seed), dir: join(classifyRunDir(outDir, dataset, run.name), `seed-${seed}`) });
      }
    }
  }
  return cells;
}

/** One classify bench run. */
export interface ClassifyBenchOptions {
  config: BenchConfig;
  outDir: string;
  /** Reads a cell's data (default: loadClassificationData from `dataDir` with the cell's options). */
  loadData?: (train: TrainConfig) => Promise<ClassificationData>;
  dataDir?: string;
  backend?: { name: string; threads: number };
  progress?: BenchProgress;
  signal?: AbortSignal;
  onTrainStep?: (cell: ClassifyCell, step: number) => void;
}

/** What happened to one model. */
export interface ClassifyCellReport {
  dataset: string;
  run: string;
  seed: number;
  dir: string;
  training: 'trained' | 'resumed' | 'skipped' | 'stopped';
  evaluation: 'evaluated' | 'skipped' | 'not run';
  cpuSeconds: number;
  wallSeconds: number;
}

/** What happened to one ensemble (`waiting`: a member is not trained yet). */
export interface EnsembleReport {
  dataset: string;
  name: string;
  dir: string;
  status: 'evaluated' | 'skipped' | 'waiting';
}

export interface ClassifyBenchSummary {
  cells: ClassifyCellReport[];
  ensembles: EnsembleReport[];
  stopped: boolean;
  cpuSeconds: number;
  wallSeconds: number;
}

/** Training seconds summed over every session of a cell (the trainer's summary holds the last session's only). */
export const TRAIN_TIME_FILE = 'bench-train-seconds.json';

/** The data options of a cell without the folder (they identify the test set and the training subset). */
function dataKey(train: TrainConfig): string {
  const { dataDir: _dir, ...rest } = classificationOptionsOf(train, '');
  return JSON.stringify({ dataset: train.dataset, ...rest });
}

/** Evaluates `models` (one, or an ensemble) into `dir` unless `record` matches the last evaluation there. */
async function evaluateOnce(dir: string, models: string[], inferences: string[], data: () => Promise<ClassificationData>, record: Record<string, unknown>, options: ClassifyBenchOptions): Promise<'evaluated' | 'skipped'> {
  const previous = await readJson<Record<string, unknown>>(join(dir, EVAL_CONFIG_FILE));
  if (previous && JSON.stringify(previous) === JSON.stringify(record) && (await exists(join(dir, 'results.json')))) return 'skipped';
  const { results, labels } = await evaluateWholeClass(models, {
    dataDir: options.dataDir ?? '',
    inferences,
    ensemble: models.length > 1,
    data: await data(),
    ...(options.backend ? { backend: options.backend } : {}),
  });
  await writeClassificationResults(dir, results, labels);
  await writeFileAtomic(join(dir, EVAL_CONFIG_FILE), `${JSON.stringify(record, null, 2)}\n`);
  return 'evaluated';
}

/** The read-outs a run's objective offers (eval-class's names). */
function checkReadouts(where: string, objective: string, inferences: readonly string[]): void {
  const offered = [...Object.keys(getObjective(objective).inferences), TEN_CROP];
  const unknown = inferences.find((n) => !offered.includes(n));
  if (unknown !== undefined) throw new UsageError(`${where}: inference '${unknown}' is not offered by objective ${objective}; available: ${offered.join(', ')}`);
}

/** One-line UsageErrors for cells that cannot train or be evaluated as configured, checked against their data before any training. */
export async function checkClassifyCells(config: BenchConfig, cells: readonly ClassifyCell[], dataOf: (t: TrainConfig) => Promise<ClassificationData>): Promise<void> {
  for (const run of config.runs) checkReadouts(`run ${run.name}`, run.objective, run.inferences);
  for (const ensemble of config.ensembles) checkReadouts(`ensemble ${ensemble.name}`, config.runs.find((r) => r.name === ensemble.run)!.objective, ensemble.inferences);
  for (const cell of cells) checkTrainSetup(cell.train, undefined, undefined, await dataOf(cell.train));
}

/** Runs (or continues) a classify bench; see ClassifyCell for the folder layout. */
export async function runClassifyBench(options: ClassifyBenchOptions): Promise<ClassifyBenchSummary> {
  const { config, outDir } = options;
  if (config.task !== 'classify') throw new UsageError(`runClassifyBench needs a bench config with task 'classify', found '${config.task}'`);
  const progress = options.progress ?? SILENT_BENCH;
  await mkdir(outDir, { recursive: true });
  await writeFileAtomic(join(outDir, BENCH_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  const cache = new Map<string, Promise<ClassificationData>>();
  const dataOf = (train: TrainConfig) => {
    const key = dataKey(train);
    if (!cache.has(key)) {
      if (!options.loadData && options.dataDir === undefined) throw new UsageError('runClassifyBench needs dataDir or loadData');
      cache.set(key, options.loadData ? options.loadData(train) : loadClassificationData(train.dataset, classificationOptionsOf(train, options.dataDir!)));
    }
    return cache.get(key)!;
  };
  const started = { cpu: process.cpuUsage(), wall: performance.now() };
  const cells = classifyCells(config, outDir);
  await checkClassifyCells(config, cells, dataOf);
  const reports: ClassifyCellReport[] = [];
  let stopped = false;
  for (const cell of cells) {
    if (options.signal?.aborted) {
      stopped = true;
      break;
    }
    progress.note(`[${cell.index + 1}/${cells.length}] ${cell.dataset} ${cell.run.name} (${cell.run.objective}, ${cell.run.transform}) seed ${cell.seed}`);
    const report = await runCell(cell, options, progress, dataOf);
    reports.push(report);
    progress.note(`  cell time: ${report.cpuSeconds.toFixed(1)} s CPU (all threads), ${report.wallSeconds.toFixed(1)} s wall`);
    if (report.training === 'stopped') {
      stopped = true;
      break;
    }
  }
  const ensembles: EnsembleReport[] = [];
  if (!stopped) {
    for (const dataset of config.datasets) for (const spec of config.ensembles) ensembles.push(await runEnsemble(dataset, spec, cells, options, progress, dataOf));
  }
  const cpu = process.cpuUsage(started.cpu);
  return { cells: reports, ensembles, stopped, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - started.wall) / 1000 };
}

async function runCell(cell: ClassifyCell, options: ClassifyBenchOptions, progress: BenchProgress, dataOf: (t: TrainConfig) => Promise<ClassificationData>): Promise<ClassifyCellReport> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const trainDir = join(cell.dir, 'train');
  const report: ClassifyCellReport = { dataset: cell.dataset, run: cell.run.name, seed: cell.seed, dir: cell.dir, training: 'skipped', evaluation: 'not run', cpuSeconds: 0, wallSeconds: 0 };
  const finish = () => {
    const cpu = process.cpuUsage(cpu0);
    report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    report.wallSeconds = (performance.now() - wall0) / 1000;
    return report;
  };
  const state = await trainingState(cell);
  if (state === 'done') {
    progress.note(`  training: finished earlier (${trainDir}), skipped`);
  } else {
    const t = cell.train;
    progress.note(`  training: ${state === 'partial' ? 'resuming' : 'starting'} ${t.epochs * t.batchesPerEpoch} steps of ${t.batchSize} images (${t.backbone})`);
    const data = await dataOf(t);
    const summary = await trainRun({
      config: t,
      data,
      outDir: trainDir,
      resume: state === 'partial',
      ...(options.signal ? { signal: options.signal } : {}),
      progress: progress.training(t.batchesPerEpoch),
      ...(options.backend ? { backend: options.backend } : {}),
      onStep: (step) => options.onTrainStep?.(cell, step),
    });
    const before = (await readJson<{ trainSeconds: number }>(join(cell.dir, TRAIN_TIME_FILE)))?.trainSeconds ?? 0;
    await writeFileAtomic(join(cell.dir, TRAIN_TIME_FILE), `${JSON.stringify({ trainSeconds: before + summary.trainSeconds })}\n`);
    report.training = summary.stopped ? 'stopped' : state === 'partial' ? 'resumed' : 'trained';
    if (summary.stopped) return finish();
  }
  if (options.signal?.aborted) return finish();
  const model = join(trainDir, TRAIN_FILES.best);
  const record = { models: [await sha256File(model)], inferences: cell.run.inferences, data: dataKey(cell.train) };
  report.evaluation = await evaluateOnce(join(cell.dir, 'test'), [model], cell.run.inferences, () => dataOf(cell.train), record, options);
  progress.note(`  test (${cell.run.inferences.join(', ')}): ${report.evaluation === 'skipped' ? 'evaluated earlier with this model, skipped' : 'evaluated'}`);
  return finish();
}

async function runEnsemble(
  dataset: string,
  spec: ClassifyEnsembleSpec,
  cells: readonly ClassifyCell[],
  options: ClassifyBenchOptions,
  progress: BenchProgress,
  dataOf: (t: TrainConfig) => Promise<ClassificationData>,
): Promise<EnsembleReport> {
  const dir = classifyRunDir(options.outDir, dataset, spec.name);
  const members = cells.filter((c) => c.dataset === dataset && c.run.name === spec.run);
  for (const member of members) {
    if ((await trainingState(member)) !== 'done') {
      progress.note(`ensemble ${spec.name} (${dataset}): waiting for ${member.run.name} seed ${member.seed}`);
      return { dataset, name: spec.name, dir, status: 'waiting' };
    }
  }
  const models = members.map((m) => join(m.dir, 'train', TRAIN_FILES.best));
  const record = { models: await Promise.all(models.map(sha256File)), inferences: spec.inferences, data: dataKey(members[0]!.train) };
  const status = await evaluateOnce(dir, models, spec.inferences, () => dataOf(members[0]!.train), record, options);
  progress.note(`ensemble ${spec.name} (${dataset}, ${models.length} models of ${spec.run}): ${status === 'skipped' ? 'evaluated earlier with these models, skipped' : 'evaluated'}`);
  return { dataset, name: spec.name, dir, status };
}
