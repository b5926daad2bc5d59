/** Writing every rendering of a table (and the plot) into a folder, each file atomically. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { TrainingCurve } from './collect.js';
import { renderTable, type TableFormat } from './render.js';
import { renderPlot } from './svg.js';
import type { ResultsTable } from './table.js';

/** File names of the renderings. */
export const REPORT_FILES: Readonly<Record<TableFormat | 'svg', string>> = {
  markdown: 'table.md',
  latex: 'table.tex',
  csv: 'table.csv',
  json: 'table.json',
  svg: 'plot.svg',
};

/** Writes table.md, table.tex, table.csv, table.json and plot.svg into `dir`; returns their paths. */
export async function writeReports(dir: string, table: ResultsTable, curves: readonly TrainingCurve[]): Promise<Record<keyof typeof REPORT_FILES, string>> {
  await mkdir(dir, { recursive: true });
  const paths = Object.fromEntries(Object.entries(REPORT_FILES).map(([k, f]) => [k, join(dir, f)])) as Record<keyof typeof REPORT_FILES, string>;
  for (const format of ['markdown', 'latex', 'csv', 'json'] as const) await writeFileAtomic(paths[format], renderTable(table, format));
  await writeFileAtomic(paths.svg, renderPlot(table, curves));
  return paths;
}
