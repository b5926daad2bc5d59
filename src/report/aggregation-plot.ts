/**
 * The SLA paper's Figure 3: the aggregation gain against the number of transformations M. For each
 * M, one SDA model (objective sla with an M-copy set; M = 1 is the baseline itself): its SDA+AG
 * accuracy minus the baseline's (same seed, same test images) and minus its own SDA+SI, both in
 * percentage points with 95% intervals, as a Markdown table, a CSV and an SVG line plot.
 */
import type { InferenceRecord } from '../eval/classify-results.js';
import { pairedComparison } from '../stats/paired.js';
import type { ClassificationStudy } from './classification-table.js';
import { renderLinePlot } from './line-plot.js';

/** One point of the figure: a run of the study, its transformation set and its M. */
export interface AggregationRunSpec {
  run: string;
  transform: string;
  m: number;
}

/** A difference in percentage points with its 95% interval and how it was formed. */
export interface GainEstimate {
  mean: number;
  low: number;
  high: number;
  interval: string;
}

/** What Figure 3 shows at one M. */
export interface AggregationPoint {
  m: number;
  run: string;
  transform: string;
  seeds: number[];
  /** Mean top-1 (%) over the seeds: the SDA+SI and SDA+AG read-outs, and the baseline on the same seeds (null without one). */
  single: number;
  aggregated: number;
  baseline: number | null;
  /** SDA+AG minus the baseline (null without a baseline on these seeds). */
  overBaseline: GainEstimate | null;
  /** SDA+AG minus SDA+SI of the same model. */
  overSingle: GainEstimate;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/**
 * `a` minus `b` in percentage points over paired records (one per seed): with several seeds the
 * mean of the per-seed differences and its t interval; with one, the per-image difference of the
 * 0/1 correctness and its paired t interval over the test images.
 */
export function pairedGain(pairs: readonly { a: InferenceRecord; b: InferenceRecord }[]): GainEstimate {
  if (pairs.length >= 2) {
    const c = pairedComparison(pairs.map((p) => 100 * p.a.accuracy), pairs.map((p) => 100 * p.b.accuracy), { what: 'aggregation gain over seeds' });
    return { mean: c.meanDifference, low: c.interval[0], high: c.interval[1], interval: `t over ${pairs.length} seeds` };
  }
  const [{ a, b }] = pairs as [{ a: InferenceRecord; b: InferenceRecord }];
  const c = pairedComparison(a.correct.map((v) => 100 * v), b.correct.map((v) => 100 * v), { what: 'aggregation gain over test images' });
  return { mean: c.meanDifference, low: c.interval[0], high: c.interval[1], interval: `paired t over ${a.correct.length} test images, 1 seed` };
}

const ZERO: GainEstimate = { mean: 0, low: 0, high: 0, interval: 'M = 1: the baseline itself, 0 by definition' };

/**
 * The points of the figure from a study: runs with M > 1 need `single` and `aggregated` results;
 * the M = 1 run (the baseline, objective baseline) counts as its own SDA+AG. Runs without
 * results are left out; the baseline is the run named `baseline` (default `base`).
 */
export function aggregationPoints(study: ClassificationStudy, specs: readonly AggregationRunSpec[], baseline = 'base'): AggregationPoint[] {
  const bases = study.runs[baseline] ?? [];
  const points: AggregationPoint[] = [];
  for (const spec of [...specs].sort((x, y) => x.m - y.m)) {
    const models = (study.runs[spec.run] ?? []).filter((m) => (spec.m === 1 ? m.results.inferences.single : m.results.inferences.single && m.results.inferences.aggregated));
    if (models.length === 0) continue;
    const single = models.map((m) => m.results.inferences.single!);
    const aggregated = spec.m === 1 ? single : models.map((m) => m.results.inferences.aggregated!);
    const withBase = models.flatMap((m, i) => {
      const base = bases.find((b) => b.seed === m.seed)?.results.inferences.single;
      return base ? [{ a: aggregated[i]!, b: base }] : [];
    });
    const isBaseline = spec.m === 1 && spec.run === baseline;
    points.push({
      m: spec.m,
      run: spec.run,
      transform: spec.transform,
      seeds: models.map((m) => m.seed),
      single: 100 * mean(single.map((r) => r.accuracy)),
      aggregated: 100 * mean(aggregated.map((r) => r.accuracy)),
      baseline: withBase.length > 0 ? 100 * mean(withBase.map((p) => p.b.accuracy)) : null,
      overBaseline: isBaseline ? ZERO : withBase.length > 0 ? pairedGain(withBase) : null,
      overSingle: spec.m === 1 ? ZERO : pairedGain(models.map((_, i) => ({ a: aggregated[i]!, b: single[i]! }))),
    });
  }
  return points;
}

const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(2)}`;
const gainCell = (g: GainEstimate | null) => (g ? `${signed(g.mean)} [${g.low.toFixed(2)}, ${g.high.toFixed(2)}]` : '–');

/** Markdown: one row per M with both gains and their intervals. */
export function renderAggregationTable(points: readonly AggregationPoint[]): string {
  const lines = [
    '| M | transformation set | seeds | Baseline (%) | SDA+SI (%) | SDA+AG (%) | SDA+AG − Baseline (points) | SDA+AG − SDA+SI (points) |',
    '|---|---|---|---|---|---|---|---|',
    ...points.map(
      (p) =>
        `| ${p.m} | ${p.transform} | ${p.seeds.join(', ')} | ${p.baseline?.toFixed(2) ?? '–'} | ${p.single.toFixed(2)} | ${p.aggregated.toFixed(2)} | ${gainCell(p.overBaseline)} | ${gainCell(p.overSingle)} |`,
    ),
  ];
  const how = [...new Set(points.flatMap((p) => [p.overBaseline?.interval, p.overSingle.interval]).filter((s): s is string => s !== undefined))];
  return `${lines.join('\n')}\n\nGains in percentage points with 95% intervals (${how.join('; ')}).\n`;
}

/** CSV: one row per M; gains and bounds in percentage points, empty when there is no baseline. */
export function renderAggregationCsv(points: readonly AggregationPoint[]): string {
  const header = 'm,transform,run,seeds,baseline,single,aggregated,ag_minus_baseline,ag_minus_baseline_low,ag_minus_baseline_high,ag_minus_si,ag_minus_si_low,ag_minus_si_high,interval_baseline,interval_si';
  const num = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(Math.round(v * 1e6) / 1e6));
  const rows = points.map((p) =>
    [p.m, p.transform, p.run, p.seeds.join(' '), num(p.baseline), num(p.single), num(p.aggregated), num(p.overBaseline?.mean), num(p.overBaseline?.low), num(p.overBaseline?.high), num(p.overSingle.mean), num(p.overSingle.low), num(p.overSingle.high), `"${p.overBaseline?.interval ?? ''}"`, `"${p.overSingle.interval}"`].join(','),
  );
  return `${[header, ...rows].join('\n')}\n`;
}

/** The SVG: both gains (points) against M on a log axis, with their 95% intervals as whiskers. */
export function renderAggregationPlot(points: readonly AggregationPoint[]): string {
  const series = [
    { label: 'SDA+AG − Baseline', points: points.filter((p) => p.overBaseline).map((p) => ({ x: p.m, y: p.overBaseline!.mean, low: p.overBaseline!.low, high: p.overBaseline!.high })) },
    { label: 'SDA+AG − SDA+SI (same model)', points: points.map((p) => ({ x: p.m, y: p.overSingle.mean, low: p.overSingle.low, high: p.overSingle.high })) },
  ].filter((s) => s.points.length > 0);
  return renderLinePlot(series, {
    title: 'Aggregation gain against the number of transformations M',
    xLabel: 'M, transformations (log scale)',
    yLabel: 'gain (percentage points, 95% interval)',
    yUnit: ' pt',
    logX: true,
  });
}
