/**
 * Whole-class result tables in the layout of the SLA paper's Tables 1-3: one row per method, the
 * top-1 accuracy (mean over seeds with its across-seed t interval; one seed: its Wilson interval
 * over the test images) and the relative gain over the baseline row in brackets.
 */
import { meanConfidenceInterval } from '../stats/confidence.js';
import { wilsonInterval } from '../stats/binomial.js';

/** One method's results: its accuracy (percent) per seed, and the test-set size for a one-seed interval. */
export interface ClassificationRow {
  label: string;
  accuracies: number[];
  images: number;
  /** Training time in seconds per seed (optional column). */
  trainSeconds?: number[];
}

/** Mean over seeds and the half-width of its 95% interval (t over seeds; Wilson for one seed), in percent. */
export function rowSummary(row: ClassificationRow): { mean: number; low: number; high: number; interval: string } {
  if (row.accuracies.length === 1) {
    const k = Math.round((row.accuracies[0]! / 100) * row.images);
    const w = wilsonInterval(k, row.images);
    return { mean: row.accuracies[0]!, low: 100 * w.low, high: 100 * w.high, interval: 'Wilson, 1 seed' };
  }
  const ci = meanConfidenceInterval(row.accuracies, { method: 't' });
  return { mean: ci.mean, low: ci.mean - ci.halfWidth, high: ci.mean + ci.halfWidth, interval: `t over ${row.accuracies.length} seeds` };
}

/** A Markdown table of `rows`; the first row is the baseline the relative gains refer to. */
export function renderClassificationTable(rows: readonly ClassificationRow[]): string {
  const base = rowSummary(rows[0]!).mean;
  const withTime = rows.some((r) => r.trainSeconds !== undefined);
  const lines = [
    `| method | top-1 (%) (relative gain) | 95% interval | seeds${withTime ? ' | training (s, mean)' : ''} |`,
    `|---|---|---|---|${withTime ? '---|' : ''}`,
  ];
  rows.forEach((row, i) => {
    const s = rowSummary(row);
    const gain = i === 0 ? '' : ` (${s.mean >= base ? '+' : '−'}${Math.abs((100 * (s.mean - base)) / base).toFixed(1)}%)`;
    const time = row.trainSeconds ? ` | ${(row.trainSeconds.reduce((a, b) => a + b, 0) / row.trainSeconds.length).toFixed(0)}` : withTime ? ' | –' : '';
    lines.push(`| ${row.label} | ${s.mean.toFixed(2)}${gain} | ${s.low.toFixed(2)}–${s.high.toFixed(2)} (${s.interval}) | ${row.accuracies.map((a) => a.toFixed(2)).join(', ')}${time} |`);
  });
  return `${lines.join('\n')}\n`;
}
