/**
 * `train --seeds`: one configuration trained once per seed, each run in `<out>/seed-<s>/` (the
 * layout bench --seeds uses for a cell), resumable per seed, and one summary over the seeds in
 * `<out>/seeds.json`.
 */
import { join } from 'node:path';
import type { ClassificationData } from '../data/classification-types.js';
import type { FewShotSplit } from '../data/types.js';
import { UsageError } from '../errors.js';
import { meanConfidenceInterval } from '../stats/confidence.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { makeDir } from '../util/make-dir.js';
import { resolveTrainConfig, type TrainConfig } from './config.js';
import type { TrainProgress } from './progress.js';
import { finishedRun, runState, type RunState, type SavedSummary } from './run-state.js';
import { TRAIN_FILES, trainRun } from './trainer.js';

/** The summary file `train --seeds` writes into its output folder. */
export const SEEDS_SUMMARY_FILE = 'seeds.json';
export const SEEDS_SUMMARY_FORMAT = 'jointshot-train-seeds';
export const SEEDS_SUMMARY_VERSION = 1;

/** The folder of one seed's run under a seeded output folder. */
export function seedDir(outDir: string, seed: number): string {
  return join(outDir, `seed-${seed}`);
}

/** One-line UsageError unless `seeds` is a non-empty list of distinct integers. */
export function checkSeedList(seeds: readonly number[]): void {
  if (seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s))) throw new UsageError(`--seeds must list integers (e.g. 0,1,2), found ${seeds.join(',') || 'nothing'}`);
  const repeated = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (repeated !== undefined) throw new UsageError(`--seeds lists seed ${repeated} twice; give each seed once`);
}

/** The data one seed's run trains on (whole-class data depends on the seed: subsets and imbalance are seeded). */
export interface SeedData {
  train?: FewShotSplit;
  val?: FewShotSplit;
  data?: ClassificationData;
}

/** Options of trainSeeds. */
export interface SeedRunOptions {
  /** The run's configuration; each seed's run is this with `seed` replaced. */
  config: TrainConfig;
  seeds: readonly number[];
  outDir: string;
  /** Continue unfinished seeds' runs, skip finished ones, start the others; without it any existing run is an error. */
  resume: boolean;
  data: (config: TrainConfig) => Promise<SeedData>;
  signal?: AbortSignal;
  backend?: { name: string; threads: number };
  progress?: (config: TrainConfig) => TrainProgress;
  /** Called before each seed's run with what will happen to it. */
  onSeed?: (seed: number, state: RunState, config: TrainConfig) => void;
}

/** What happened to one seed in this session, and its run's numbers when finished. */
export interface SeedRunReport {
  seed: number;
  dir: string;
  /** trained / resumed / skipped (finished earlier) / stopped (by the signal) / pending (not reached). */
  status: 'trained' | 'resumed' | 'skipped' | 'stopped' | 'pending';
  steps: number | null;
  totalSteps: number | null;
  /** Best validation accuracy (percent), null without validation or before the run finished. */
  bestValidation: number | null;
  /** Training seconds of the run's last session (summary.json), null before it finished one. */
  trainSeconds: number | null;
}

/** The summary written to seeds.json and printed with --json. */
export interface SeedsSummary {
  format: typeof SEEDS_SUMMARY_FORMAT;
  version: typeof SEEDS_SUMMARY_VERSION;
  seeds: SeedRunReport[];
  /** Every seed finished. */
  complete: boolean;
  stopped: boolean;
  /** Mean of the finished seeds' best validation accuracies ± 95% Student-t half-width across them (null under two). */
  validationAcrossSeeds: { mean: number; halfWidth: number; n: number } | null;
}

/** Each seed's config and state, checked before any training so a conflict in the last seed fails at once. */
async function planSeeds(options: SeedRunOptions): Promise<{ seed: number; config: TrainConfig; dir: string; state: RunState }[]> {
  checkSeedList(options.seeds);
  const plan = [];
  for (const seed of options.seeds) {
    const config = resolveTrainConfig(options.config, { seed });
    const dir = seedDir(options.outDir, seed);
    const state = await runState(dir, config);
    if (!options.resume && state !== 'new') {
      throw new UsageError(`${dir} already holds a training run (${TRAIN_FILES.last}); pass --resume to continue unfinished seeds and skip finished ones, or choose another --out`);
    }
    plan.push({ seed, config, dir, state });
  }
  if (options.resume && plan.every((p) => p.state === 'new')) {
    throw new UsageError(`--resume: ${options.outDir} holds no run of seeds ${options.seeds.join(',')} (no seed-<s>/${TRAIN_FILES.last}); drop --resume to start them`);
  }
  return plan;
}

function report(seed: number, dir: string, status: SeedRunReport['status'], summary: SavedSummary | undefined): SeedRunReport {
  return {
    seed,
    dir,
    status,
    steps: summary?.steps ?? null,
    totalSteps: summary?.totalSteps ?? null,
    bestValidation: summary?.best?.accuracy ?? null,
    trainSeconds: summary?.trainSeconds ?? null,
  };
}

/** Trains (or continues) every seed's run in order, stopping at the signal; writes and returns the summary. */
export async function trainSeeds(options: SeedRunOptions): Promise<SeedsSummary> {
  const plan = await planSeeds(options);
  const reports: SeedRunReport[] = [];
  let stopped = false;
  for (const { seed, config, dir, state } of plan) {
    if (stopped || options.signal?.aborted) {
      stopped = true;
      reports.push(report(seed, dir, 'pending', undefined));
      continue;
    }
    options.onSeed?.(seed, state, config);
    if (state === 'done') {
      reports.push(report(seed, dir, 'skipped', await finishedRun(dir)));
      continue;
    }
    const summary = await trainRun({
      config,
      ...(await options.data(config)),
      outDir: dir,
      resume: state === 'partial',
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.progress ? { progress: options.progress(config) } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
    });
    stopped = summary.stopped;
    reports.push(report(seed, dir, summary.stopped ? 'stopped' : state === 'partial' ? 'resumed' : 'trained', summary));
  }
  const finished = (r: SeedRunReport) => r.steps !== null && r.steps === r.totalSteps;
  const accuracies = reports.filter(finished).map((r) => r.bestValidation).filter((a): a is number => a !== null);
  const across = accuracies.length > 1 ? meanConfidenceInterval(accuracies, { method: 't' }) : null;
  const summary: SeedsSummary = {
    format: SEEDS_SUMMARY_FORMAT,
    version: SEEDS_SUMMARY_VERSION,
    seeds: reports,
    complete: reports.every(finished),
    stopped,
    validationAcrossSeeds: across ? { mean: across.mean, halfWidth: across.halfWidth, n: across.n } : null,
  };
  await makeDir(options.outDir);
  await writeFileAtomic(join(options.outDir, SEEDS_SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** The seeds' summary as text: one line per seed, then the mean of the best validation accuracies over the seeds. */
export function renderSeedsSummary(summary: SeedsSummary): string {
  const lines = summary.seeds.map((r) => {
    const steps = r.steps === null ? 'not started' : `step ${r.steps}/${r.totalSteps}`;
    const best = r.bestValidation === null ? '' : `, best validation ${r.bestValidation.toFixed(2)}%`;
    const time = r.trainSeconds === null ? '' : `, ${r.trainSeconds.toFixed(1)} s training${r.status === 'trained' ? '' : ' (its last session)'}`;
    return `seed ${r.seed}: ${r.status}, ${steps}${best}${time}; model ${join(r.dir, TRAIN_FILES.best)}`;
  });
  const v = summary.validationAcrossSeeds;
  if (v) lines.push(`best validation over ${v.n} seeds: ${v.mean.toFixed(2)} ± ${v.halfWidth.toFixed(2)}% (95% Student-t half-width across the seeds, ${v.n - 1} degree${v.n === 2 ? '' : 's'} of freedom)`);
  if (!summary.complete) lines.push('not every seed finished: run the same command with --resume to continue');
  return `${lines.join('\n')}\n`;
}
