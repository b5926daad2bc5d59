/**
 * The results plot as hand-written SVG (no dependency): accuracy with 95% CI bars per method and
 * column (dataset x shot) on top, training loss curves per run below.
 */
import type { TrainingCurve } from './collect.js';
import { cellAt, columnLabel, type ResultsTable, type TableCell } from './table.js';

const WIDTH = 900;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 60, right: 220, top: 40, bottom: 50 };
/** Colour-blind-friendly palette (Okabe-Ito), cycled. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

/** Escapes text for SVG/XML content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

const n = (v: number) => (Math.round(v * 100) / 100).toString();

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${n(x)}" y="${n(y)}"${attrs ? ` ${attrs}` : ''}>${escapeXml(content)}</text>`;
}

/** Rounded axis range [lo, hi] covering `values` with ticks every `step`. */
function axisRange(values: number[], step: number, floor = -Infinity, ceil = Infinity): [number, number] {
  const lo = Math.max(floor, Math.floor(Math.min(...values) / step) * step);
  let hi = Math.min(ceil, Math.ceil(Math.max(...values) / step) * step);
  if (hi <= lo) hi = lo + step;
  return [lo, hi];
}

function legend(entries: { label: string; colour: string }[], top: number): string[] {
  const x = WIDTH - MARGIN.right + 15;
  return entries.flatMap((e, i) => [
    `<rect x="${x}" y="${n(top + i * 18)}" width="12" height="12" fill="${e.colour}"/>`,
    text(x + 18, top + i * 18 + 10, e.label, 'font-size="11"'),
  ]);
}

function yAxis(top: number, height: number, lo: number, hi: number, step: number, title: string): string[] {
  const out = [`<line x1="${MARGIN.left}" y1="${top}" x2="${MARGIN.left}" y2="${top + height}" stroke="#333"/>`];
  const ticks = Math.round((hi - lo) / step);
  for (let i = 0; i <= ticks; i++) {
    const v = lo + i * step;
    const y = top + height - ((v - lo) / (hi - lo)) * height;
    out.push(`<line x1="${MARGIN.left - 4}" y1="${n(y)}" x2="${WIDTH - MARGIN.right}" y2="${n(y)}" stroke="#ddd"/>`);
    out.push(text(MARGIN.left - 8, y + 4, n(v), 'font-size="10" text-anchor="end"'));
  }
  out.push(text(16, top + height / 2, title, `font-size="11" text-anchor="middle" transform="rotate(-90 16 ${n(top + height / 2)})"`));
  return out;
}

/** A cell's bar: the mean with the table's main interval (across seeds when several, else over episodes). */
function barOf(cell: TableCell): { mean: number; half: number | null; what: string } {
  if (cell.acrossSeeds) return { mean: cell.acrossSeeds.mean, half: cell.acrossSeeds.halfWidth, what: `${cell.seeds.length} seeds, t interval across seeds` };
  return { mean: cell.summary.mean, half: cell.summary.ci95, what: `n = ${cell.summary.n}` };
}

/** The accuracy panel: grouped bars (one group per column, one bar per method) with CI whiskers. */
function accuracyPanel(table: ResultsTable, top: number): string[] {
  const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const out = [text(MARGIN.left, top - 12, 'Test accuracy (%), mean ± 95% CI', 'font-size="13" font-weight="bold"')];
  if (table.cells.length === 0) return [...out, text(MARGIN.left, top + 20, 'no results')];
  const ends = table.cells.map(barOf).flatMap((b) => [b.mean - (b.half ?? 0), b.mean + (b.half ?? 0)]);
  const [lo, hi] = axisRange([0, ...ends], 10, 0, 100); // bars start at 0: their lengths compare honestly
  const y = (v: number) => top + height - ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * height;
  out.push(...yAxis(top, height, lo, hi, 10, 'accuracy (%)'));
  const groupWidth = plotWidth / table.columns.length;
  const barWidth = (groupWidth * 0.8) / table.rows.length;
  table.columns.forEach((column, g) => {
    const x0 = MARGIN.left + g * groupWidth + groupWidth * 0.1;
    out.push(text(x0 + groupWidth * 0.4, top + height + 18, columnLabel(column), 'font-size="11" text-anchor="middle"'));
    table.rows.forEach((row, r) => {
      const cell = cellAt(table, row.key, column.key);
      if (!cell) return;
      const x = x0 + r * barWidth;
      const colour = PALETTE[r % PALETTE.length]!;
      const s = barOf(cell);
      const label = `${row.label}, ${columnLabel(column)}: ${s.mean.toFixed(2)}${s.half === null ? '' : ` ± ${s.half.toFixed(2)}`} (${s.what})`;
      out.push(`<rect x="${n(x)}" y="${n(y(s.mean))}" width="${n(barWidth * 0.9)}" height="${n(y(lo) - y(s.mean))}" fill="${colour}"><title>${escapeXml(label)}</title></rect>`);
      if (s.half !== null) {
        const cx = x + barWidth * 0.45;
        const [a, b] = [y(s.mean - s.half), y(s.mean + s.half)];
        out.push(`<path d="M${n(cx)} ${n(a)}V${n(b)}M${n(cx - 3)} ${n(a)}h6M${n(cx - 3)} ${n(b)}h6" stroke="#222" fill="none"/>`);
      }
    });
  });
  out.push(...legend(table.rows.map((row, r) => ({ label: row.label, colour: PALETTE[r % PALETTE.length]! })), top));
  return out;
}

/** The smallest of 1, 2 or 5 times a power of ten that is >= `raw` (a readable tick step). */
function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
}

/** Moving average over `window` points (the raw per-step loss is noisy). */
function smooth(values: number[], window: number): number[] {
  return values.map((_, i) => {
    const from = Math.max(0, i - window + 1);
    const part = values.slice(from, i + 1);
    return part.reduce((s, v) => s + v, 0) / part.length;
  });
}

/** The training panel: smoothed training loss against step, one line per run. */
function curvePanel(curves: readonly TrainingCurve[], top: number): string[] {
  const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const out = [text(MARGIN.left, top - 12, 'Training loss (moving average) against step', 'font-size="13" font-weight="bold"')];
  if (curves.length === 0) return [...out, text(MARGIN.left, top + 20, 'no training logs found', 'font-size="11"')];
  const smoothed = curves.map((c) => smooth(c.loss, Math.max(1, Math.round(c.loss.length / 20))));
  const all = smoothed.flat();
  const step = niceStep(Math.max(...all) / 5);
  const [lo, hi] = axisRange([0, ...all], step, 0);
  const maxStep = Math.max(...curves.flatMap((c) => c.steps));
  out.push(...yAxis(top, height, lo, hi, step, 'loss'));
  out.push(`<line x1="${MARGIN.left}" y1="${top + height}" x2="${WIDTH - MARGIN.right}" y2="${top + height}" stroke="#333"/>`);
  out.push(text(MARGIN.left, top + height + 18, '0', 'font-size="10"'), text(WIDTH - MARGIN.right, top + height + 18, String(maxStep), 'font-size="10" text-anchor="end"'));
  out.push(text(MARGIN.left + plotWidth / 2, top + height + 34, 'step', 'font-size="11" text-anchor="middle"'));
  curves.forEach((c, i) => {
    const points = c.steps.map((s, k) => `${n(MARGIN.left + (s / maxStep) * plotWidth)},${n(top + height - ((smoothed[i]![k]! - lo) / (hi - lo)) * height)}`);
    out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.5"><title>${escapeXml(c.label)}</title></polyline>`);
  });
  out.push(...legend(curves.map((c, i) => ({ label: c.label, colour: PALETTE[i % PALETTE.length]! })), top));
  return out;
}

/** The whole plot: accuracy panel above, training curves below. */
export function renderPlot(table: ResultsTable, curves: readonly TrainingCurve[]): string {
  const height = PANEL_HEIGHT * 2;
  const body = [...accuracyPanel(table, MARGIN.top), ...curvePanel(curves, PANEL_HEIGHT + MARGIN.top)];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
