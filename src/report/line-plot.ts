/**
 * A small hand-written SVG line plot (no dependency): one or more series of points with optional
 * interval whiskers, a linear or log x axis labelled at the points, a dashed zero line. Used for
 * the limited-data gain curve and Figure 3's aggregation gain.
 */
import { escapeXml } from './svg.js';

/** One point; `low` and `high` draw a whisker. */
export interface PlotPoint {
  x: number;
  y: number;
  low?: number;
  high?: number;
}

/** A named line. */
export interface PlotSeries {
  label: string;
  points: readonly PlotPoint[];
}

export interface LinePlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Appended to the y tick labels (`%`, ` pt`). */
  yUnit?: string;
  logX?: boolean;
}

/** Okabe-Ito colours, as the results plot. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];

const r = (v: number) => Math.round(v * 100) / 100;

/** Renders the series; the y axis always includes 0 and every whisker. */
export function renderLinePlot(series: readonly PlotSeries[], options: LinePlotOptions): string {
  const width = 560;
  const legendRows = series.length > 1 ? series.length : 0;
  const height = 330 + legendRows * 16;
  const m = { left: 64, right: 20, top: 40 + legendRows * 16, bottom: 50 };
  const points = series.flatMap((s) => s.points);
  const ys = points.flatMap((p) => [p.y, p.low ?? p.y, p.high ?? p.y]);
  const lo = Math.min(0, Math.floor(Math.min(...ys)));
  const hi = Math.max(lo + 1, Math.ceil(Math.max(...ys)));
  const fx = (v: number) => (options.logX ? Math.log(v) : v);
  const xs = points.map((p) => fx(p.x));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const x = (v: number) => m.left + (x1 === x0 ? 0.5 : (fx(v) - x0) / (x1 - x0)) * (width - m.left - m.right);
  const y = (v: number) => height - m.bottom - ((v - lo) / (hi - lo)) * (height - m.top - m.bottom);
  const unit = options.yUnit ?? '';
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escapeXml(options.title)}</text>`,
    `<line x1="${m.left}" y1="${r(y(0))}" x2="${width - m.right}" y2="${r(y(0))}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${height - m.bottom}" stroke="#000"/>`,
    `<text x="${m.left - 8}" y="${r(y(hi)) + 4}" text-anchor="end">${hi}${escapeXml(unit)}</text>`,
    `<text x="${m.left - 8}" y="${r(y(lo)) + 4}" text-anchor="end">${lo}${escapeXml(unit)}</text>`,
    `<text x="14" y="${r((m.top + height - m.bottom) / 2)}" text-anchor="middle" transform="rotate(-90 14 ${r((m.top + height - m.bottom) / 2)})">${escapeXml(options.yLabel)}</text>`,
    `<text x="${width / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
  ];
  for (const tick of [...new Set(points.map((p) => p.x))].sort((a, b) => a - b)) {
    parts.push(`<text x="${r(x(tick))}" y="${height - m.bottom + 18}" text-anchor="middle">${tick}</text>`);
  }
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!;
    const sorted = [...s.points].sort((a, b) => a.x - b.x);
    if (legendRows > 0) {
      parts.push(`<rect x="${m.left + 10}" y="${30 + i * 16}" width="12" height="3" fill="${colour}"/>`, `<text x="${m.left + 28}" y="${35 + i * 16}">${escapeXml(s.label)}</text>`);
    }
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${sorted.map((p) => `${r(x(p.x))},${r(y(p.y))}`).join(' ')}"><title>${escapeXml(s.label)}</title></polyline>`);
    for (const p of sorted) {
      const tip = `${s.label}: ${p.x} → ${r(p.y)}${unit}${p.low !== undefined && p.high !== undefined ? ` [${r(p.low)}, ${r(p.high)}]` : ''}`;
      if (p.low !== undefined && p.high !== undefined) {
        const cx = r(x(p.x));
        parts.push(`<path d="M${cx} ${r(y(p.low))}V${r(y(p.high))}M${r(cx - 4)} ${r(y(p.low))}h8M${r(cx - 4)} ${r(y(p.high))}h8" stroke="${colour}" fill="none"/>`);
      }
      parts.push(`<circle cx="${r(x(p.x))}" cy="${r(y(p.y))}" r="4" fill="${colour}"><title>${escapeXml(tip)}</title></circle>`);
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
