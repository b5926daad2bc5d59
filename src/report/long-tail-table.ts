/**
 * The long-tail table in the layout of the SLA paper's Table 6: rows Baseline, CB-RW, LDAM-DRW,
 * each without and with SDA+SD; columns dataset x imbalance ratio; each cell the top-1 accuracy
 * (mean over seeds; its interval below the table) with the relative gain of "+ SDA+SD" over the
 * same method without it in brackets. Read from a study folder of eval-class results.json files.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import type { ClassificationResults } from '../eval/classify-results.js';
import { rowSummary, type ClassificationRow } from './classification-table.js';

/** A Table 6 row: its run-name prefix in the study folder, label, and the read-out it is scored by. */
export interface LongTailRow {
  key: string;
  label: string;
  inference: string;
  /** The row its relative gain refers to (the same method without SDA+SD). */
  gainOver?: string;
}

/** The six rows of Table 6; "+ SDA+SD" rows are scored by the self-distilled head u (`sd`). */
export const LONG_TAIL_ROWS: readonly LongTailRow[] = [
  { key: 'base', label: 'Baseline', inference: 'single' },
  { key: 'base-sd', label: 'Baseline + SDA+SD', inference: 'sd', gainOver: 'base' },
  { key: 'cb', label: 'CB-RW', inference: 'single' },
  { key: 'cb-sd', label: 'CB-RW + SDA+SD', inference: 'sd', gainOver: 'cb' },
  { key: 'ldam', label: 'LDAM-DRW', inference: 'single' },
  { key: 'ldam-sd', label: 'LDAM-DRW + SDA+SD', inference: 'sd', gainOver: 'ldam' },
];

/** Accuracies per column (e.g. `tiny-imagenet-fs rho=100`) per row key. */
export type LongTailResults = Record<string, Record<string, ClassificationRow>>;

/** Frequency groups of long-tail papers: many > 100, medium 20-100, few < 20 training images. */
export const FREQUENCY_GROUPS = ['many', 'medium', 'few'] as const;

/** Per-class accuracy (percent) by frequency group, one entry per seed, per column per row key. */
export type LongTailGroups = Record<string, Record<string, Record<(typeof FREQUENCY_GROUPS)[number], number[]>>>;

const relativeGain = (value: number, base: number): string => `${value >= base ? '+' : '−'}${Math.abs((100 * (value - base)) / base).toFixed(1)}%`;

/** The Markdown table (cells: mean, gain in brackets) and one line per cell with its interval. */
export function renderLongTailTable(
  columns: readonly string[],
  results: LongTailResults,
  rows: readonly LongTailRow[] = LONG_TAIL_ROWS,
  groups?: LongTailGroups,
): string {
  const mean = (key: string, column: string) => {
    const row = results[key]?.[column];
    return row ? rowSummary(row) : undefined;
  };
  const lines = [`| method | ${columns.join(' | ')} |`, `|---|${columns.map(() => '---|').join('')}`];
  const intervals: string[] = [];
  for (const row of rows) {
    const cells = columns.map((column) => {
      const s = mean(row.key, column);
      if (!s) return '–';
      intervals.push(`- ${row.label}, ${column}: ${s.mean.toFixed(2)} [${s.low.toFixed(2)}, ${s.high.toFixed(2)}] (${s.interval}; ${row.inference} read-out)`);
      const base = row.gainOver ? mean(row.gainOver, column) : undefined;
      return `${s.mean.toFixed(2)}${base ? ` (${relativeGain(s.mean, base.mean)})` : ''}`;
    });
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  const main = `${lines.join('\n')}\n\nTop-1 test accuracy (%); in brackets the relative gain of "+ SDA+SD" over the same method without it. 95% intervals:\n\n${intervals.join('\n')}\n`;
  return groups ? `${main}\n${renderGroupTable(columns, groups, rows)}` : main;
}

const meanOf = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

/** Per-class accuracy by frequency group (mean over seeds), each row by its own read-out. */
export function renderGroupTable(columns: readonly string[], groups: LongTailGroups, rows: readonly LongTailRow[] = LONG_TAIL_ROWS): string {
  const head = columns.flatMap((c) => FREQUENCY_GROUPS.map((g) => `${c}: ${g}`));
  const lines = [`| method | ${head.join(' | ')} |`, `|---|${head.map(() => '---|').join('')}`];
  for (const row of rows) {
    const cells = columns.flatMap((c) =>
      FREQUENCY_GROUPS.map((g) => {
        const values = groups[row.key]?.[c]?.[g];
        return values && values.length > 0 ? meanOf(values).toFixed(2) : '–';
      }),
    );
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n\nPer-class test accuracy (%) by training-set frequency group, mean over the group's classes (many > 100 training images, medium 20-100, few < 20), each row by the read-out of the table above.\n`;
}

/** Reads an eval-class results.json, refusing other files. */
export async function readClassificationResults(path: string): Promise<ClassificationResults> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as ClassificationResults;
  if (parsed.format !== 'jointshot-classification-results') throw new DataError(`${path} is not an eval-class results.json (format ${JSON.stringify(parsed.format)})`);
  return parsed;
}

/**
 * Reads a study folder laid out as `DIR/<column>/<row>-s<seed>/test/results.json` (what
 * benchmarks/long-tail-study.sh writes); missing runs are left out (their cells show –).
 */
export async function collectLongTailStudy(
  dir: string,
  rows: readonly LongTailRow[] = LONG_TAIL_ROWS,
): Promise<{ columns: string[]; results: LongTailResults; groups: LongTailGroups }> {
  const columns = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const results: LongTailResults = {};
  const groups: LongTailGroups = {};
  for (const column of columns) {
    for (const run of await readdir(join(dir, column))) {
      const match = /^(.+)-s(\d+)$/.exec(run);
      const row = match && rows.find((r) => r.key === match[1]);
      if (!row) continue;
      const file = join(dir, column, run, 'test', 'results.json');
      const parsed = await readClassificationResults(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      const record = parsed?.inferences[row.inference];
      if (!parsed || !record) continue;
      const cell = ((results[row.key] ??= {})[column] ??= { label: row.label, accuracies: [], images: parsed.images });
      cell.accuracies.push(100 * record.accuracy);
      const byGroup = parsed.frequency?.accuracy[row.inference];
      if (byGroup) {
        const target = ((groups[row.key] ??= {})[column] ??= { many: [], medium: [], few: [] });
        for (const g of FREQUENCY_GROUPS) if (byGroup[g] !== null) target[g].push(byGroup[g]);
      }
    }
  }
  return { columns, results, groups };
}
