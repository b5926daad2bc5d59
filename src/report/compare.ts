/**
 * `jointshot report compare`: paired comparisons of evaluations that saw the same items. Episode
 * results (same manifest): mean difference with its t interval, paired t-test and Wilcoxon
 * signed-rank test over episodes. Whole-class results (same test set): McNemar's test on
 * per-image correctness, with Wilson and Clopper-Pearson intervals of each accuracy. Against one
 * baseline (the first run), several runs at once get Holm-adjusted p-values.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { summarizeAccuracies } from '../eval/report.js';
import { RESULTS_FORMAT, type EvalResults } from '../eval/results.js';
import { mcnemarTest, type McNemarResult } from '../stats/mcnemar.js';
import { holmAdjust } from '../stats/multiple.js';
import { pairedComparison, type PairedComparison } from '../stats/paired.js';
import { clopperPearsonInterval, wilsonInterval } from '../stats/proportion.js';
import { backendLabel, resultsCommit, trainingSeed } from './provenance.js';
import { methodLabel } from './table.js';

/** The `format` of whole-class results files (written by the classification evaluator). */
export const CLASSIFICATION_FORMAT = 'jointshot-classification-results';
/** The `format` and `version` of the comparison document (`--format json` and `--json`). */
export const COMPARISON_FORMAT = 'jointshot-comparison';
export const COMPARISON_VERSION = 1;

/** The part of a whole-class results file a comparison reads. */
export interface ClassificationRecord {
  format: typeof CLASSIFICATION_FORMAT;
  version: number;
  dataset: string;
  testHash: string;
  inferences: Record<string, { accuracy: number; correct: number[] }>;
  backend?: { name: string; threads: number } | null;
  /** The evaluated model files (several: their ensemble). */
  models?: string[];
}

/** One run to compare: episode accuracies of one inference, or per-image correctness of one inference. */
export type CompareRun =
  | { kind: 'episodes'; label: string; source: string; inference: 'single' | 'aggregated'; results: EvalResults; values: number[] }
  | { kind: 'classification'; label: string; source: string; inference: string; results: ClassificationRecord; values: number[] };

/** Splits `path[:inference]`: the suffix only when the whole text is not an existing path. */
async function splitSpec(spec: string): Promise<{ path: string; inference: string | null }> {
  const exists = (p: string) => stat(p).then(() => true, () => false);
  const colon = spec.lastIndexOf(':');
  if ((await exists(spec)) || colon <= 0) return { path: spec, inference: null };
  return { path: spec.slice(0, colon), inference: spec.slice(colon + 1) };
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  const info = await stat(path).catch(() => {
    throw new UsageError(`${path}: no such file or folder (expected a results.json or a folder holding one)`);
  });
  const file = info.isDirectory() ? join(path, 'results.json') : path;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new DataError(`${file}: not readable JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

/** What a classification row is called besides its inference: its model file, "ensemble of K", or (no models recorded) the results folder. */
function classificationModelLabel(models: unknown, path: string): string {
  if (Array.isArray(models) && models.length === 1) return String(models[0]);
  if (Array.isArray(models) && models.length > 1) return `ensemble of ${models.length}`;
  return path.endsWith('.json') ? dirname(path) : path;
}

/**
 * Reads one run from `path[:inference]` (a results.json or its folder). Episode results: inference
 * `single` or `aggregated` (default: aggregated for SLA models, single for plain ones).
 * Classification results: the inference name, needed when the file holds several.
 */
export async function readCompareRun(spec: string): Promise<CompareRun> {
  const { path, inference } = await splitSpec(spec);
  const parsed = await readJson(path);
  if (parsed.format === RESULTS_FORMAT) {
    const results = parsed as unknown as EvalResults;
    const chosen = inference ?? (results.model.copies > 1 ? 'aggregated' : 'single');
    if (chosen !== 'single' && chosen !== 'aggregated') throw new UsageError(`${spec}: episode results have inferences single and aggregated, not '${chosen}'`);
    const plain = results.model.copies === 1;
    const label = methodLabel(results.model.head, plain ? 'none' : results.model.transform, plain ? 'plain' : chosen);
    return { kind: 'episodes', label, source: path, inference: chosen, results, values: results.accuracy[chosen] };
  }
  if (parsed.format === CLASSIFICATION_FORMAT) {
    const results = parsed as unknown as ClassificationRecord;
    const names = Object.keys(results.inferences ?? {});
    if (names.length === 0) throw new DataError(`${path}: a classification results file without inferences`);
    if (inference === null && names.length > 1) throw new UsageError(`${spec}: name one inference as ${path}:NAME; this file has ${names.join(', ')}`);
    const chosen = inference ?? names[0]!;
    const record = results.inferences[chosen];
    if (!record) throw new UsageError(`${spec}: no inference '${chosen}'; this file has ${names.join(', ')}`);
    if (!Array.isArray(record.correct)) throw new DataError(`${path}: inference '${chosen}' has no per-image 'correct' list`);
    return { kind: 'classification', label: `${classificationModelLabel(results.models, path)} ${chosen}`, source: path, inference: chosen, results, values: record.correct };
  }
  throw new DataError(`${path}: not an evaluation or classification results file (format '${String(parsed.format)}', expected '${RESULTS_FORMAT}' or '${CLASSIFICATION_FORMAT}')`);
}

/** One run's line in an episode comparison. */
export interface EpisodeRow {
  label: string;
  source: string;
  inference: string;
  seed: number | null;
  backend: string | null;
  commit: string | null;
  /** Mean accuracy (percent) and its 95% half-width over episodes (1.96·s/√n). */
  mean: number;
  ci95: number | null;
  /** Against the baseline (null on the baseline's row): differences in percentage points, this run minus the baseline. */
  versus: (PairedComparison & { holm: { t: number; wilcoxon: number } }) | null;
}

/** One run's line in a classification comparison. */
export interface ClassificationRow {
  label: string;
  source: string;
  backend: string | null;
  /** Accuracy (percent), correct images, Wilson and Clopper-Pearson 95% intervals (percent). */
  accuracy: number;
  correct: number;
  wilson: [number, number];
  clopperPearson: [number, number];
  /** Against the baseline: accuracy difference (points, this run minus the baseline), McNemar, Holm-adjusted p. */
  versus: { difference: number; mcnemar: McNemarResult; holm: number } | null;
}

/** A whole comparison: runs in the order given, the first being the baseline. */
export type Comparison =
  | { format: typeof COMPARISON_FORMAT; version: typeof COMPARISON_VERSION; kind: 'episodes'; manifest: string; dataset: string; episodes: number; level: number; rows: EpisodeRow[]; notes: string[] }
  | { format: typeof COMPARISON_FORMAT; version: typeof COMPARISON_VERSION; kind: 'classification'; testHash: string; dataset: string; images: number; rows: ClassificationRow[]; notes: string[] };

function checkSameItems(runs: readonly CompareRun[]): void {
  const first = runs[0]!;
  if (runs.some((r) => r.kind !== first.kind)) throw new UsageError(`cannot compare episode results with classification results (${first.source} vs ${runs.find((r) => r.kind !== first.kind)!.source})`);
  for (const run of runs.slice(1)) {
    if (run.kind === 'episodes' && first.kind === 'episodes') {
      if (run.results.manifest.sha256 !== first.results.manifest.sha256) {
        throw new UsageError(`${first.source} and ${run.source} were evaluated on different manifests (sha256 ${first.results.manifest.sha256} vs ${run.results.manifest.sha256}); compare evaluations of the same episodes`);
      }
    } else if (run.kind === 'classification' && first.kind === 'classification' && run.results.testHash !== first.results.testHash) {
      throw new UsageError(`${first.source} and ${run.source} were evaluated on different test sets (testHash ${first.results.testHash} vs ${run.results.testHash}); compare runs on the same test set`);
    }
    if (run.values.length !== first.values.length) {
      throw new UsageError(`${first.source} has ${first.values.length} ${first.kind === 'episodes' ? 'episodes' : 'images'} but ${run.source} has ${run.values.length}; compare complete runs of the same items (merge shards first)`);
    }
  }
}

const HOLM_NOTE = 'Holm: p-values adjusted by Holm\'s step-down method over the comparisons with the baseline (one family per test).';

/** Compares runs (at least two) against the first one. */
export function compareRuns(runs: readonly CompareRun[], options: { level?: number } = {}): Comparison {
  const { level = 0.95 } = options;
  if (runs.length < 2) throw new UsageError(`report compare needs at least two results (a baseline and one run to compare), got ${runs.length}`);
  checkSameItems(runs);
  const several = runs.length > 2;
  const first = runs[0]!;
  if (first.kind === 'episodes') {
    const percent = (r: CompareRun) => r.values.map((v) => 100 * v);
    const tests = runs.slice(1).map((r) => pairedComparison(percent(r), percent(first), { level, what: `${r.source} vs ${first.source}` }));
    const holmT = holmAdjust(tests.map((c) => c.t.pValue));
    const holmW = holmAdjust(tests.map((c) => c.wilcoxon.pValue));
    const rows: EpisodeRow[] = runs.map((run, i) => {
      const r = run.results as EvalResults;
      const s = summarizeAccuracies(run.values);
      const test = i === 0 ? null : tests[i - 1]!;
      return {
        label: run.label,
        source: run.source,
        inference: run.inference,
        seed: trainingSeed(r),
        backend: backendLabel(r),
        commit: resultsCommit(r),
        mean: s.mean,
        ci95: s.ci95,
        versus: test ? { ...test, holm: { t: holmT[i - 1]!, wilcoxon: holmW[i - 1]! } } : null,
      };
    });
    const methods = [...new Set(tests.map((t) => t.wilcoxon.method))].join(' / ');
    const notes = [
      `Differences in percentage points, each run minus the baseline (the first), over the same ${first.values.length} episodes; ${Math.round(level * 100)}% interval: Student t with n − 1 degrees of freedom.`,
      `Paired t-test and Wilcoxon signed-rank test, both two-sided; Wilcoxon drops zero differences and uses the exact null distribution up to 50 pairs without ties or zeros, otherwise the normal approximation with tie and continuity corrections (here: ${methods}).`,
    ];
    if (several) notes.push(HOLM_NOTE);
    return { format: COMPARISON_FORMAT, version: COMPARISON_VERSION, kind: 'episodes', manifest: first.results.manifest.sha256, dataset: `${first.results.dataset} ${first.results.ways}-way ${first.results.shots}-shot`, episodes: first.values.length, level, rows, notes };
  }
  const tests = runs.slice(1).map((r) => mcnemarTest(r.values, first.values));
  const holm = holmAdjust(tests.map((m) => m.pValue));
  const accuracy = (r: CompareRun) => r.values.reduce((s, v) => s + v, 0);
  const rows: ClassificationRow[] = runs.map((run, i) => {
    const k = accuracy(run);
    const n = run.values.length;
    const pct = ([a, b]: [number, number]): [number, number] => [100 * a, 100 * b];
    const test = i === 0 ? null : tests[i - 1]!;
    return {
      label: run.label,
      source: run.source,
      backend: run.kind === 'classification' && run.results.backend ? `${run.results.backend.name} (${run.results.backend.threads} threads)` : null,
      accuracy: (100 * k) / n,
      correct: k,
      wilson: pct(wilsonInterval(k, n)),
      clopperPearson: pct(clopperPearsonInterval(k, n)),
      versus: test ? { difference: (100 * (k - accuracy(first))) / n, mcnemar: test, holm: holm[i - 1]! } : null,
    };
  });
  const notes = [
    `Accuracy over the same ${first.values.length} test images; 95% intervals: Wilson score and exact Clopper-Pearson. Differences in percentage points, each run minus the baseline (the first).`,
    'McNemar\'s test on the images where exactly one of the two is right: exact two-sided binomial test when fewer than 25 such images, else chi-square (1 dof) with continuity correction; the method is named per row.',
  ];
  if (several) notes.push(HOLM_NOTE.replace(' (one family per test)', ''));
  const c = first.results as ClassificationRecord;
  return { format: COMPARISON_FORMAT, version: COMPARISON_VERSION, kind: 'classification', testHash: c.testHash, dataset: c.dataset, images: first.values.length, rows, notes };
}

/** A p-value as text: 4 significant digits, `< 1e-16` below double precision. */
export function formatP(p: number): string {
  if (p === 0 || p < 1e-16) return '< 1e-16';
  return p >= 0.001 ? p.toFixed(4) : p.toExponential(2);
}

const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;

/** The comparison as Markdown: one row per run, the tests against the baseline, the notes. */
export function renderComparison(c: Comparison): string {
  const lines: string[] = [];
  if (c.kind === 'episodes') {
    lines.push(`Paired comparison over ${c.episodes} episodes of ${c.dataset}, manifest sha256 ${c.manifest}; baseline: ${c.rows[0]!.label} (${c.rows[0]!.source}).`, '');
    const holm = c.rows.length > 2;
    lines.push(`| run | mean (%) | difference (points) | ${Math.round(c.level * 100)}% CI of difference | paired t p | Wilcoxon p |${holm ? ' Holm t p | Holm Wilcoxon p |' : ''}`);
    lines.push(`|---|---|---|---|---|---|${holm ? '---|---|' : ''}`);
    for (const r of c.rows) {
      const mean = `${r.mean.toFixed(2)}${r.ci95 === null ? '' : ` ± ${r.ci95.toFixed(2)}`}`;
      if (!r.versus) {
        lines.push(`| ${r.label} (baseline) | ${mean} | – | – | – | – |${holm ? ' – | – |' : ''}`);
        continue;
      }
      const v = r.versus;
      const w = `${formatP(v.wilcoxon.pValue)} (${v.wilcoxon.method === 'exact' ? 'exact' : 'normal'})`;
      lines.push(`| ${r.label} | ${mean} | ${signed(v.meanDifference)} | [${signed(v.interval[0])}, ${signed(v.interval[1])}] | ${formatP(v.t.pValue)} | ${w} |${holm ? ` ${formatP(v.holm.t)} | ${formatP(v.holm.wilcoxon)} |` : ''}`);
    }
    lines.push('', ...c.notes);
    const seeds = c.rows.map((r) => `${r.label}: seed ${r.seed ?? 'not recorded'}, ${r.backend ?? 'backend unknown'}, commit ${r.commit ?? 'not recorded'}`);
    lines.push(`Runs: ${seeds.join('; ')}.`);
  } else {
    lines.push(`Comparison over ${c.images} test images of ${c.dataset}, test-set hash ${c.testHash}; baseline: ${c.rows[0]!.label} (${c.rows[0]!.source}).`, '');
    const holm = c.rows.length > 2;
    lines.push(`| run | accuracy (%) | Wilson 95% | Clopper-Pearson 95% | difference (points) | only this right / only baseline right | McNemar p (method) |${holm ? ' Holm p |' : ''}`);
    lines.push(`|---|---|---|---|---|---|---|${holm ? '---|' : ''}`);
    const range = ([a, b]: [number, number]) => `${a.toFixed(2)}–${b.toFixed(2)}`;
    for (const r of c.rows) {
      const head = `| ${r.label}${r.versus ? '' : ' (baseline)'} | ${r.accuracy.toFixed(2)} | ${range(r.wilson)} | ${range(r.clopperPearson)} |`;
      if (!r.versus) {
        lines.push(`${head} – | – | – |${holm ? ' – |' : ''}`);
        continue;
      }
      const m = r.versus.mcnemar;
      lines.push(`${head} ${signed(r.versus.difference)} | ${m.onlyA} / ${m.onlyB} | ${formatP(m.pValue)} (${m.method}) |${holm ? ` ${formatP(r.versus.holm)} |` : ''}`);
    }
    lines.push('', ...c.notes);
  }
  return `${lines.join('\n')}\n`;
}
