/**
 * Reports of evaluation results: mean accuracy with 95% intervals (normal 1.96*s/sqrt(n) and
 * Student-t) for single and aggregated inference side by side, as JSON or Markdown.
 */
import { UsageError } from '../errors.js';
import { meanConfidenceInterval, metaOptNetHalfWidth } from '../stats/confidence.js';
import type { EvalResults } from './results.js';

/** Mean accuracy (percent) of one inference mode with its 95% half-widths (percent). */
export interface AccuracySummary {
  mean: number;
  /** 1.96 * s / sqrt(n), s the sample standard deviation; null with fewer than 2 episodes. */
  ci95: number | null;
  /** Student-t (n - 1 degrees of freedom) 95% half-width; null with fewer than 2 episodes. */
  ci95t: number | null;
  /** MetaOptNet's printed half-width 1.96 * population std / sqrt(n + 1), for comparison only. */
  ci95MetaOptNet: number | null;
  /** Sample standard deviation of the per-episode accuracies (percent). */
  std: number | null;
  n: number;
}

/** One results file, summarised. */
export interface ResultsSummary {
  dataset: string;
  split: string;
  ways: number;
  shots: number;
  queries: number;
  model: string;
  copies: number;
  manifestSha256: string;
  /** Single inference (identity copy). */
  single: AccuracySummary;
  /** Aggregated inference (SLA+AG); equals `single` when copies = 1. */
  aggregated: AccuracySummary;
  totalSeconds: number;
}

/** Mean and 95% intervals of per-episode accuracies given as fractions, in percent. */
export function summarizeAccuracies(values: readonly number[]): AccuracySummary {
  if (values.length === 0) throw new UsageError('cannot summarise an evaluation of zero episodes');
  const percent = values.map((v) => v * 100);
  if (percent.length < 2) return { mean: percent[0]!, ci95: null, ci95t: null, ci95MetaOptNet: null, std: null, n: 1 };
  const normal = meanConfidenceInterval(percent, { method: 'normal' });
  const t = meanConfidenceInterval(percent, { method: 't' });
  return {
    mean: normal.mean,
    ci95: normal.halfWidth,
    ci95t: t.halfWidth,
    ci95MetaOptNet: metaOptNetHalfWidth(percent),
    std: normal.std,
    n: normal.n,
  };
}

/** A short model label: backbone name, head and transformation, e.g. `conv4 protonet+rotation`. */
function modelLabel(r: EvalResults): string {
  const backbone = (r.model.backbone as { name?: unknown } | null)?.name;
  const name = typeof backbone === 'string' ? `${backbone} ` : '';
  return r.model.copies === 1 ? `${name}${r.model.head}` : `${name}${r.model.head}+${r.model.transform}`;
}

/** Summary of one results record (percentages). */
export function summarizeResults(r: EvalResults): ResultsSummary {
  return {
    dataset: r.dataset,
    split: r.split,
    ways: r.ways,
    shots: r.shots,
    queries: r.queries,
    model: modelLabel(r),
    copies: r.model.copies,
    manifestSha256: r.manifest.sha256,
    single: summarizeAccuracies(r.accuracy.single),
    aggregated: summarizeAccuracies(r.accuracy.aggregated),
    totalSeconds: r.timing.totalSeconds,
  };
}

/** `62.10 ± 0.85 (t ± 0.86)`, or the mean alone for one episode. */
function cell(s: AccuracySummary): string {
  if (s.ci95 === null || s.ci95t === null) return `${s.mean.toFixed(2)} (1 episode, no interval)`;
  return `${s.mean.toFixed(2)} ± ${s.ci95.toFixed(2)} (t ± ${s.ci95t.toFixed(2)})`;
}

/** Output formats of `renderReport`. */
export type ReportFormat = 'json' | 'markdown';

/** The Markdown table: one row per results record, single and aggregated side by side. */
function markdown(summaries: readonly ResultsSummary[]): string {
  const lines = [
    '| dataset/split | episodes | model | n | single (%) | aggregated SLA+AG (%) |',
    '|---|---|---|---|---|---|',
    ...summaries.map((s) => {
      const shape = `${s.ways}-way ${s.shots}-shot, ${s.queries} queries`;
      const aggregated = s.copies === 1 ? '= single (M = 1)' : cell(s.aggregated);
      return `| ${s.dataset}/${s.split} | ${shape} | ${s.model} | ${s.single.n} | ${cell(s.single)} | ${aggregated} |`;
    }),
    '',
    'Mean accuracy over episodes ± the 95% half-width 1.96·s/√n (s: sample standard deviation of the',
    'per-episode accuracies); (t ± …): the Student-t 95% half-width. MetaOptNet prints 1.96·σ/√(n+1) instead.',
  ];
  return `${lines.join('\n')}\n`;
}

/** Renders one or more results as a report: `json` (summaries) or `markdown` (a table). */
export function renderReport(results: EvalResults | readonly EvalResults[], format: ReportFormat): string {
  const list = Array.isArray(results) ? (results as readonly EvalResults[]) : [results as EvalResults];
  const summaries = list.map(summarizeResults);
  if (format === 'json') return `${JSON.stringify(Array.isArray(results) ? summaries : summaries[0], null, 2)}\n`;
  if (format === 'markdown') return markdown(summaries);
  throw new UsageError(`unknown report format '${String(format)}': expected json or markdown`);
}
