/**
 * Finding finished results under folders (one eval, a bench, shards): every `results.json` of an
 * evaluation (shards are merged on the fly) and every training log with its config.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { RESULTS_FORMAT, type EvalResults } from '../eval/results.js';
import { coversWholeManifest, mergeSlices, modelIdentity, type SlicePart } from './merge.js';
import { readSliceInfo, type SliceInfo } from './slice.js';
import { methodLabel, type SourcedResults } from './table.js';

const RESULTS_FILE = 'results.json';
const TRAIN_LOG_FILE = 'train-log.jsonl';
const SKIP = new Set(['node_modules', '.git']);

/** Files named `name` under `root` (recursively), sorted. */
async function findFiles(root: string, name: string): Promise<string[]> {
  const info = await stat(root).catch(() => {
    throw new UsageError(`${root}: no such file or folder`);
  });
  if (!info.isDirectory()) return root.endsWith(name) ? [root] : [];
  const found: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(root, entry.name);
    if (entry.isDirectory()) found.push(...(await findFiles(path, name)));
    else if (entry.name === name) found.push(path);
  }
  return found.sort();
}

/** Reads one evaluation results file; a DataError when it is something else. */
export async function readResults(path: string): Promise<EvalResults> {
  let parsed: Partial<EvalResults>;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<EvalResults>;
  } catch (error) {
    throw new DataError(`${path}: not readable JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (parsed.format !== RESULTS_FORMAT || !parsed.accuracy || !Array.isArray(parsed.accuracy.single)) {
    throw new DataError(`${path}: not an evaluation results file (format '${String(parsed.format)}', expected '${RESULTS_FORMAT}')`);
  }
  return parsed as EvalResults;
}

/** A results file found on disk, with its slice record (null for a whole-manifest evaluation). */
export interface FoundResults {
  results: EvalResults;
  info: SliceInfo | null;
  source: string;
}

/** Every evaluation results file under `roots` with its slice record. */
export async function findResults(roots: readonly string[]): Promise<FoundResults[]> {
  const files = [...new Set((await Promise.all(roots.map((r) => findFiles(r, RESULTS_FILE)))).flat())];
  return Promise.all(files.map(async (source) => ({ results: await readResults(source), info: await readSliceInfo(dirname(source)), source })));
}

/**
 * The results to report under `roots`: whole results as they are, shards of one evaluation merged
 * (a UsageError names missing shards), quick-mode subsets with the size of their manifest.
 */
export async function collectResults(roots: readonly string[]): Promise<SourcedResults[]> {
  const found = await findResults(roots);
  if (found.length === 0) throw new UsageError(`no results.json under ${roots.join(', ')}: run jointshot eval or jointshot bench first`);
  const out: SourcedResults[] = [];
  const shardGroups = new Map<string, SlicePart[]>();
  for (const f of found) {
    if (!f.info) out.push({ results: f.results, source: f.source });
    else if (!f.info.shard) out.push({ results: f.results, source: f.source, of: f.info.of.count });
    else {
      const key = `${f.info.of.sha256}|${modelIdentity(f.results)}|${f.info.shard.count}`;
      shardGroups.set(key, [...(shardGroups.get(key) ?? []), { ...f, info: f.info }]);
    }
  }
  for (const parts of shardGroups.values()) {
    const n = parts[0]!.info.shard!.count;
    const have = new Set(parts.map((p) => p.info.shard!.number));
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !have.has(i));
    if (missing.length > 0) {
      throw new UsageError(`${parts[0]!.source}: shard(s) ${missing.map((i) => `${i}/${n}`).join(', ')} of this evaluation are missing; finish them or pass only complete runs`);
    }
    const merged = mergeSlices(parts);
    const source = `${parts.length} shards (${dirname(dirname(parts[0]!.source))})`;
    out.push(coversWholeManifest(merged.info) ? { results: merged.results, source } : { results: merged.results, source, of: merged.info.of.count });
  }
  return out;
}

/** One training run's curves from its JSONL log. */
export interface TrainingCurve {
  /** e.g. `synthetic ProtoNet + SLA` (from the run's config.json). */
  label: string;
  dataset: string;
  head: string;
  transform: string;
  source: string;
  steps: number[];
  loss: number[];
  accuracy: number[];
  /** Validation after each epoch: step and mean accuracy (percent). */
  validation: { step: number; mean: number }[];
}

/** Training logs (train-log.jsonl + config.json) under `roots`, as curves. */
export async function collectCurves(roots: readonly string[]): Promise<TrainingCurve[]> {
  const files = [...new Set((await Promise.all(roots.map((r) => findFiles(r, TRAIN_LOG_FILE)))).flat())];
  const curves: TrainingCurve[] = [];
  for (const source of files) {
    const config = JSON.parse(await readFile(join(dirname(source), 'config.json'), 'utf8').catch(() => '{}')) as Record<string, unknown>;
    const curve: TrainingCurve = {
      label: '',
      dataset: String(config.dataset ?? '?'),
      head: String(config.head ?? '?'),
      transform: String(config.transform ?? 'none'),
      source,
      steps: [],
      loss: [],
      accuracy: [],
      validation: [],
    };
    for (const line of (await readFile(source, 'utf8')).split('\n')) {
      if (line.trim() === '') continue;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (record.event === 'step' && typeof record.loss === 'number' && Number.isFinite(record.loss)) {
        curve.steps.push(record.step as number);
        curve.loss.push(record.loss);
        curve.accuracy.push(record.accuracy as number);
      } else if (record.event === 'validation') {
        const v = (curve.transform === 'none' ? record.single : record.aggregated) as { mean?: number } | undefined;
        if (typeof v?.mean === 'number') curve.validation.push({ step: record.step as number, mean: v.mean });
      }
    }
    curve.label = `${curve.dataset} ${methodLabel(curve.head, curve.transform, curve.transform === 'none' ? 'plain' : 'single')}`;
    if (curve.steps.length > 0) curves.push(curve);
  }
  return curves;
}
