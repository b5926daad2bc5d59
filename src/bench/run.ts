/**
 * Running the bench matrix: for every dataset x head x transformation, train (skipping finished
 * runs, resuming interrupted ones), then evaluate the best model on the canonical test manifest of
 * every shot count (skipping evaluations already done with the same model and episodes).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FewShotSplit, SplitName } from '../data/types.js';
import { UsageError } from '../errors.js';
import { CANONICAL_SETTINGS, CANONICAL_SHOTS, PACKAGE_EPISODES_DIR, canonicalManifestPath } from '../episodes/canonical.js';
import { readManifest } from '../episodes/manifest-file.js';
import { makeManifest, type EpisodeManifest } from '../episodes/manifest.js';
import { evaluate } from '../eval/evaluate.js';
import { loadEvalModel } from '../eval/load-model.js';
import { writeEvalOutputs } from '../eval/output.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { checkHeadWays } from '../eval/model.js';
import { defaultWorkers } from '../eval/parallel.js';
import { listHeads } from '../heads/registry.js';
import { coversWholeManifest } from '../report/merge.js';
import { SLICE_FILE, shardLabel, shardRange, sliceManifest, stampSlice, writeSliceInfo, type Shard } from '../report/slice.js';
import type { TrainConfig } from '../train/config.js';
import { runState, type RunState } from '../train/run-state.js';
import { getLabelTransform } from '../transforms/registry.js';
import { TRAIN_FILES, trainRun } from '../train/trainer.js';
import type { BenchConfig } from './config.js';
import { cellTrainConfig } from './config.js';
import { SILENT_BENCH, type BenchProgress } from './progress.js';

/** One trained model of the matrix and where its files go. */
export interface BenchCell {
  /** Position in the full matrix (shards take every n-th cell). */
  index: number;
  dataset: string;
  head: string;
  transform: string;
  /** The training seed (train.seed), or null when the bench runs one seed in the unseeded layout. */
  seed: number | null;
  train: TrainConfig;
  /** `<out>/<dataset>/<head>-<transform>[/seed-<s>]`: `train/` and one `eval-<K>shot/` per shot inside. */
  dir: string;
}

/** The matrix in order: datasets, then heads, then transformations, then seeds (config.seeds). */
export function benchCells(config: BenchConfig, outDir: string): BenchCell[] {
  const cells: BenchCell[] = [];
  for (const dataset of config.datasets) {
    for (const head of config.heads) {
      for (const transform of config.transforms) {
        const dir = join(outDir, dataset, `${head}-${transform}`);
        if (config.seeds === null) {
          cells.push({ index: cells.length, dataset, head, transform, seed: null, train: cellTrainConfig(config, dataset, head, transform), dir });
          continue;
        }
        for (const seed of config.seeds) {
          const train = cellTrainConfig(config, dataset, head, transform, seed);
          cells.push({ index: cells.length, dataset, head, transform, seed, train, dir: join(dir, `seed-${seed}`) });
        }
      }
    }
  }
  return cells;
}

/** The cells shard i/n runs: contiguous block i of n of the matrix (shardRange, as eval's episodes); shards may share one output folder. */
export function cellsOfShard(cells: readonly BenchCell[], shard?: Shard): BenchCell[] {
  if (!shard) return [...cells];
  const { start, end } = shardRange(cells.length, shard);
  return cells.slice(start, end);
}

/**
 * One-line UsageErrors for names that cannot run (unknown head or transformation, a head that
 * cannot solve the training or test ways), checked before any training.
 */
export function checkBenchNames(config: BenchConfig): void {
  const heads = listHeads();
  for (const head of config.heads) {
    if (!heads.includes(head)) throw new UsageError(`unknown head '${head}' in heads; known heads: ${heads.join(', ')}`);
  }
  for (const transform of config.transforms) getLabelTransform(transform);
  for (const cell of benchCells(config, '')) {
    checkHeadWays(cell.head, cell.train.ways);
    checkHeadWays(cell.head, CANONICAL_SETTINGS.ways);
  }
}

/** One bench run. */
export interface BenchRunOptions {
  config: BenchConfig;
  outDir: string;
  /** Loads a split of a dataset (the CLI reads the data registry; tests pass tiny splits). */
  loadSplit: (dataset: string, split: SplitName) => Promise<FewShotSplit>;
  shard?: Shard;
  backend?: { name: string; threads: number };
  progress?: BenchProgress;
  /** Aborting stops training after the current step (checkpointed) and skips the remaining work. */
  signal?: AbortSignal;
  /** Where canonical manifests live (default: the package's episodes/ folder). */
  manifestsDir?: string;
  /** Called after every training step of a cell (tests interrupt a run with it). */
  onTrainStep?: (cell: BenchCell, step: number) => void;
}

/** What happened to one cell. */
export interface CellReport {
  dataset: string;
  head: string;
  transform: string;
  seed: number | null;
  dir: string;
  training: 'trained' | 'resumed' | 'skipped' | 'stopped';
  evaluations: { shots: number; status: 'evaluated' | 'skipped'; dir: string }[];
  /** Process CPU time (all threads) and wall time spent on this cell in this session. */
  cpuSeconds: number;
  wallSeconds: number;
}

/** What a bench run did. */
export interface BenchSummary {
  cells: CellReport[];
  /** true when interrupted: run the same command again to continue. */
  stopped: boolean;
  cpuSeconds: number;
  wallSeconds: number;
}

/** The file every run writes with its resolved bench config. */
export const BENCH_CONFIG_FILE = 'bench-config.json';
/** The file each evaluation folder gets: what was evaluated (model hash, manifest, episode range). */
export const EVAL_CONFIG_FILE = 'eval-config.json';

/** A JSON file's contents, or undefined when it is missing or unreadable. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Whether `path` exists. */
export const exists = (path: string) => access(path).then(() => true, () => false);

/** Where a cell's training stands: finished, interrupted (a checkpoint to resume), or not started. */
export async function trainingState(cell: Pick<BenchCell, 'dir' | 'train'>): Promise<RunState> {
  return runState(join(cell.dir, 'train'), cell.train);
}

/** SHA-256 of a file's bytes (identifies the model an evaluation used). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The canonical 5-way K-shot test manifest of a dataset: the package's file, else sampled the same way. */
async function canonicalTestManifest(dataset: string, shots: number, test: FewShotSplit, root: string): Promise<{ manifest: EpisodeManifest; file: string | null }> {
  if ((CANONICAL_SHOTS as readonly number[]).includes(shots)) {
    const file = canonicalManifestPath(dataset, shots, root);
    if (await exists(file)) return { manifest: await readManifest(file, test), file };
  }
  return { manifest: makeManifest(test, { ...CANONICAL_SETTINGS, shots }), file: null };
}

/** Runs (or continues) the bench; see BenchCell for the folder layout. */
export async function runBench(options: BenchRunOptions): Promise<BenchSummary> {
  const { config, outDir } = options;
  if (config.task === 'classify') throw new UsageError('a classify bench runs with runClassifyBench (src/bench/classify-run.ts)');
  const progress = options.progress ?? SILENT_BENCH;
  await mkdir(outDir, { recursive: true });
  await writeFileAtomic(join(outDir, BENCH_CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
  const all = benchCells(config, outDir);
  const cells = cellsOfShard(all, options.shard);
  const splits = new Map<string, Promise<FewShotSplit>>();
  const split = (dataset: string, name: SplitName) => {
    const key = `${dataset}/${name}`;
    if (!splits.has(key)) splits.set(key, options.loadSplit(dataset, name));
    return splits.get(key)!;
  };
  const started = { cpu: process.cpuUsage(), wall: performance.now() };
  const reports: CellReport[] = [];
  let stopped = false;
  for (const [i, cell] of cells.entries()) {
    if (options.signal?.aborted) {
      stopped = true;
      break;
    }
    const shardNote = options.shard ? ` (shard ${shardLabel(options.shard)}: cell ${cell.index + 1} of ${all.length})` : '';
    progress.note(`[${i + 1}/${cells.length}] ${cell.dataset} ${cell.head} transform ${cell.transform}${cell.seed === null ? '' : ` seed ${cell.seed}`}${shardNote}`);
    const report = await runCell(cell, options, progress, split);
    reports.push(report);
    progress.note(`  cell time: ${report.cpuSeconds.toFixed(1)} s CPU (all threads), ${report.wallSeconds.toFixed(1)} s wall`);
    if (report.training === 'stopped') {
      stopped = true;
      break;
    }
  }
  const cpu = process.cpuUsage(started.cpu);
  return { cells: reports, stopped, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (performance.now() - started.wall) / 1000 };
}

async function runCell(
  cell: BenchCell,
  options: BenchRunOptions,
  progress: BenchProgress,
  split: (dataset: string, name: SplitName) => Promise<FewShotSplit>,
): Promise<CellReport> {
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const trainDir = join(cell.dir, 'train');
  const state = await trainingState(cell);
  const report: CellReport = { dataset: cell.dataset, head: cell.head, transform: cell.transform, seed: cell.seed, dir: cell.dir, training: 'skipped', evaluations: [], cpuSeconds: 0, wallSeconds: 0 };
  const finish = () => {
    const cpu = process.cpuUsage(cpu0);
    report.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    report.wallSeconds = (performance.now() - wall0) / 1000;
    return report;
  };
  if (state === 'done') {
    progress.note(`  training: finished earlier (${trainDir}), skipped`);
  } else {
    const steps = cell.train.epochs * cell.train.batchesPerEpoch;
    progress.note(`  training: ${state === 'partial' ? 'resuming' : 'starting'} ${steps} steps x ${cell.train.episodesPerBatch} episodes (${cell.train.backbone}, ${cell.train.ways}-way ${cell.train.shots}-shot)`);
    const train = await split(cell.dataset, 'train');
    const val = cell.train.validation.episodes > 0 ? await split(cell.dataset, 'val') : undefined;
    const summary = await trainRun({
      config: cell.train,
      train,
      ...(val ? { val } : {}),
      outDir: trainDir,
      resume: state === 'partial',
      ...(options.signal ? { signal: options.signal } : {}),
      progress: progress.training(cell.train.batchesPerEpoch),
      ...(options.backend ? { backend: options.backend } : {}),
      onStep: (step) => options.onTrainStep?.(cell, step),
    });
    report.training = summary.stopped ? 'stopped' : state === 'partial' ? 'resumed' : 'trained';
    if (summary.stopped) return finish();
  }
  const modelFile = join(trainDir, TRAIN_FILES.best);
  const modelSha256 = await sha256File(modelFile);
  for (const shots of options.config.shots) {
    if (options.signal?.aborted) break;
    report.evaluations.push(await evaluateCell(cell, shots, modelFile, modelSha256, options, progress, split));
  }
  return finish();
}

async function evaluateCell(
  cell: BenchCell,
  shots: number,
  modelFile: string,
  modelSha256: string,
  options: BenchRunOptions,
  progress: BenchProgress,
  split: (dataset: string, name: SplitName) => Promise<FewShotSplit>,
): Promise<CellReport['evaluations'][number]> {
  const dir = join(cell.dir, `eval-${shots}shot`);
  const test = await split(cell.dataset, 'test');
  const { manifest, file } = await canonicalTestManifest(cell.dataset, shots, test, options.manifestsDir ?? PACKAGE_EPISODES_DIR);
  const slice = sliceManifest(manifest, { ...(options.config.evalEpisodes !== null ? { first: options.config.evalEpisodes } : {}), file });
  const record = { modelSha256, manifestSha256: slice.info.of.sha256, start: slice.info.start, end: slice.info.end, model: join('..', 'train', TRAIN_FILES.best), manifest: file };
  const previous = await readJson<typeof record>(join(dir, EVAL_CONFIG_FILE));
  const same = previous && (['modelSha256', 'manifestSha256', 'start', 'end'] as const).every((k) => previous[k] === record[k]);
  if (same && (await exists(join(dir, 'results.json')))) {
    progress.note(`  ${shots}-shot: evaluated earlier with this model and these episodes, skipped`);
    return { shots, status: 'skipped', dir };
  }
  const subset = coversWholeManifest(slice.info) ? '' : ` (the first ${slice.info.end} of ${slice.info.of.count})`;
  progress.note(`  ${shots}-shot: evaluating ${slice.manifest.count} episodes${subset} of ${file ?? 'the canonical sampling'}`);
  const loaded = await loadEvalModel(modelFile, { dataset: cell.dataset });
  try {
    const results = await evaluate({
      model: loaded.model,
      split: test,
      manifest: slice.manifest,
      ...(file ? { manifestFile: file } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
      workers: defaultWorkers(cell.head, slice.manifest.count),
      onProgress: (phase, done, total) => progress.evaluation(phase, done, total),
    });
    await writeEvalOutputs(dir, stampSlice(results, slice.info), slice.info.start);
    if (coversWholeManifest(slice.info)) await rm(join(dir, SLICE_FILE), { force: true });
    else await writeSliceInfo(dir, slice.info);
    await writeFileAtomic(join(dir, EVAL_CONFIG_FILE), `${JSON.stringify(record, null, 2)}\n`);
  } finally {
    loaded.dispose();
  }
  return { shots, status: 'evaluated', dir };
}
