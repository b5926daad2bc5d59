/**
 * The limited-data curve of the SLA paper's data-scarcity experiment: for K training images per
 * class, the baseline's and SDA+AG's top-1 accuracy and the relative gain of SDA+AG, as a
 * Markdown table and a hand-written SVG line plot of the gain against K.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { rowSummary, type ClassificationRow } from './classification-table.js';
import { readClassificationResults } from './long-tail-table.js';
import { renderLinePlot } from './line-plot.js';

/** One K: the baseline and the SDA+AG results (accuracies per seed). */
export interface LimitedDataPoint {
  perClass: number;
  baseline: ClassificationRow;
  sda: ClassificationRow;
}

/** Relative gain (percent) of SDA+AG over the baseline at one K (means over seeds). */
export function relativeGainOf(point: LimitedDataPoint): number {
  const base = rowSummary(point.baseline).mean;
  return (100 * (rowSummary(point.sda).mean - base)) / base;
}

/** Markdown table: K, baseline and SDA+AG with 95% intervals, relative gain; rows by ascending K. */
export function renderLimitedDataTable(points: readonly LimitedDataPoint[]): string {
  const cell = (row: ClassificationRow) => {
    const s = rowSummary(row);
    return `${s.mean.toFixed(2)} [${s.low.toFixed(2)}, ${s.high.toFixed(2)}]`;
  };
  const lines = ['| K (train images per class) | Baseline (%) | SDA+AG (%) | relative gain |', '|---|---|---|---|'];
  for (const p of [...points].sort((a, b) => a.perClass - b.perClass)) {
    const gain = relativeGainOf(p);
    lines.push(`| ${p.perClass} | ${cell(p.baseline)} | ${cell(p.sda)} | ${gain >= 0 ? '+' : '−'}${Math.abs(gain).toFixed(1)}% |`);
  }
  return `${lines.join('\n')}\n`;
}

/** SVG line plot of the relative gain (percent) against K (log-spaced x axis). */
export function renderGainPlot(points: readonly LimitedDataPoint[], title = 'Relative gain of SDA+AG over the baseline'): string {
  const series = [{ label: 'SDA+AG', points: points.map((p) => ({ x: p.perClass, y: relativeGainOf(p) })) }];
  return renderLinePlot(series, { title, xLabel: 'K, training images per class (log scale)', yLabel: 'relative gain', yUnit: '%', logX: true });
}

/**
 * Reads `DIR/k<K>/{base,sla}-s<seed>/test/results.json` (benchmarks/limited-data-study.sh): the
 * baseline's `single` and SDA's `aggregated` read-outs; a K missing either side is left out.
 */
export async function collectLimitedData(dir: string): Promise<LimitedDataPoint[]> {
  const points: LimitedDataPoint[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && /^k\d+$/.test(e.name))) {
    const perClass = Number(entry.name.slice(1));
    const rows: Record<string, ClassificationRow> = {};
    for (const run of await readdir(join(dir, entry.name))) {
      const match = /^(base|sla)-s\d+$/.exec(run);
      if (!match) continue;
      const parsed = await readClassificationResults(join(dir, entry.name, run, 'test', 'results.json')).catch(() => undefined);
      const record = parsed?.inferences[match[1] === 'base' ? 'single' : 'aggregated'];
      if (!parsed || !record) continue;
      (rows[match[1]!] ??= { label: match[1] === 'base' ? 'Baseline' : 'SDA+AG', accuracies: [], images: parsed.images }).accuracies.push(100 * record.accuracy);
    }
    if (rows.base && rows.sla) points.push({ perClass, baseline: rows.base, sda: rows.sla });
  }
  return points.sort((a, b) => a.perClass - b.perClass);
}
