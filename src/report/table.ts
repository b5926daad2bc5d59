/**
 * The results table in the layout of the SLA paper's Table 5: one row per method (head, plain or
 * SLA, single or aggregated inference), one column per dataset x shot, mean ± 95% CI per cell.
 */
import { UsageError } from '../errors.js';
import { summarizeAccuracies, type AccuracySummary } from '../eval/report.js';
import type { EvalResults } from '../eval/results.js';
import { publishedAccuracy } from './published.js';

/** How a row answers: a plain model, or an SLA model with single or aggregated (SLA+AG) inference. */
export type Inference = 'plain' | 'single' | 'aggregated';

/** One table row: a method. */
export interface TableRow {
  key: string;
  label: string;
  backbone: string;
  head: string;
  transform: string;
  inference: Inference;
}

/** One table column: a dataset at a shot count. */
export interface TableColumn {
  key: string;
  dataset: string;
  ways: number;
  shots: number;
}

/** One filled cell: the summary of one results file in one inference mode. */
export interface TableCell {
  row: string;
  column: string;
  summary: AccuracySummary;
  /** Episodes in the evaluated manifest (equal to summary.n unless only a subset was run). */
  episodes: number;
  /** Published mean for this cell (percent), or null. */
  published: number | null;
  /** The results file the cell came from. */
  source: string;
  /** true when this cell has the best mean of its column. */
  best: boolean;
}

/** The whole table; cells are looked up by `row` and `column` keys. */
export interface ResultsTable {
  rows: TableRow[];
  columns: TableColumn[];
  cells: TableCell[];
}

/** An evaluation record with the file it was read from. */
export interface SourcedResults {
  results: EvalResults;
  source: string;
  /** Episodes in the whole manifest when `results` covers only a slice of it. */
  of?: number;
}

const HEAD_NAMES: Readonly<Record<string, string>> = { protonet: 'ProtoNet', ridge: 'MetaOptNet-RR', svm: 'MetaOptNet-SVM' };
const HEAD_ORDER = ['protonet', 'ridge', 'svm'];
const INFERENCE_ORDER: readonly Inference[] = ['plain', 'single', 'aggregated'];

/** The row label of a method, e.g. `ProtoNet + SLA+AG` (transformation named unless rotation). */
export function methodLabel(head: string, transform: string, inference: Inference, backbone?: string): string {
  const name = `${backbone ? `${backbone} ` : ''}${HEAD_NAMES[head] ?? head}`;
  if (inference === 'plain') return name;
  const set = transform === 'rotation' ? '' : ` [${transform}]`;
  return `${name} + ${inference === 'aggregated' ? 'SLA+AG' : 'SLA'}${set}`;
}

function backboneName(r: EvalResults): string {
  const name = (r.model.backbone as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'backbone';
}

function rowsOf(r: EvalResults): { inference: Inference; values: number[] }[] {
  if (r.model.copies === 1) return [{ inference: 'plain', values: r.accuracy.single }];
  return [
    { inference: 'single', values: r.accuracy.single },
    { inference: 'aggregated', values: r.accuracy.aggregated },
  ];
}

function headRank(head: string): number {
  const i = HEAD_ORDER.indexOf(head);
  return i < 0 ? HEAD_ORDER.length : i;
}

/**
 * Builds the table from evaluation records. Two records for the same method and column are an
 * error (merge shards first with `jointshot report merge`).
 */
export function buildTable(list: readonly SourcedResults[]): ResultsTable {
  const rows = new Map<string, TableRow>();
  const columns = new Map<string, TableColumn>();
  const cells = new Map<string, TableCell>();
  const backbones = new Set(list.map((s) => backboneName(s.results)));
  for (const { results: r, source, of } of list) {
    const backbone = backboneName(r);
    const column: TableColumn = { key: `${r.dataset}/${r.ways}way/${r.shots}shot`, dataset: r.dataset, ways: r.ways, shots: r.shots };
    columns.set(column.key, column);
    for (const { inference, values } of rowsOf(r)) {
      const transform = inference === 'plain' ? 'none' : r.model.transform;
      const key = `${backbone}/${r.model.head}/${transform}/${inference}`;
      const label = methodLabel(r.model.head, transform, inference, backbones.size > 1 ? backbone : undefined);
      rows.set(key, { key, label, backbone, head: r.model.head, transform, inference });
      const id = `${key}|${column.key}`;
      const clash = cells.get(id);
      if (clash) {
        throw new UsageError(`two results for ${label} on ${column.key}: ${clash.source} and ${source}; report one of them, or merge shards with jointshot report merge`);
      }
      cells.set(id, {
        row: key,
        column: column.key,
        summary: summarizeAccuracies(values),
        episodes: of ?? r.count,
        published: publishedAccuracy({ dataset: r.dataset, head: r.model.head, transform, inference, ways: r.ways, shots: r.shots }),
        source,
        best: false,
      });
    }
  }
  const sortedRows = [...rows.values()].sort(
    (a, b) =>
      a.backbone.localeCompare(b.backbone) ||
      headRank(a.head) - headRank(b.head) ||
      a.head.localeCompare(b.head) ||
      a.transform.localeCompare(b.transform) ||
      INFERENCE_ORDER.indexOf(a.inference) - INFERENCE_ORDER.indexOf(b.inference),
  );
  const firstSeen = [...new Set([...columns.values()].map((c) => c.dataset))];
  const sortedColumns = [...columns.values()].sort(
    (a, b) => firstSeen.indexOf(a.dataset) - firstSeen.indexOf(b.dataset) || a.ways - b.ways || a.shots - b.shots,
  );
  markBest([...cells.values()]);
  return { rows: sortedRows, columns: sortedColumns, cells: [...cells.values()] };
}

/** Sets `best` on the cells with the highest mean of each column (ties: all of them). */
function markBest(cells: TableCell[]): void {
  const top = new Map<string, number>();
  for (const c of cells) top.set(c.column, Math.max(top.get(c.column) ?? -Infinity, c.summary.mean));
  for (const c of cells) c.best = c.summary.mean === top.get(c.column);
}

/** The cell of a row and column, if evaluated. */
export function cellAt(table: ResultsTable, row: string, column: string): TableCell | undefined {
  return table.cells.find((c) => c.row === row && c.column === column);
}

/** A column header, e.g. `synthetic 1-shot` (`10-way 1-shot` when not 5-way). */
export function columnLabel(c: TableColumn): string {
  return `${c.dataset} ${c.ways === 5 ? '' : `${c.ways}-way `}${c.shots}-shot`;
}

/** `62.10 ± 0.85`, or the mean alone when there is no interval (one episode). */
export function formatCell(s: AccuracySummary, plusMinus = '±'): string {
  return s.ci95 === null ? s.mean.toFixed(2) : `${s.mean.toFixed(2)} ${plusMinus} ${s.ci95.toFixed(2)}`;
}

/** Notes under every rendering: the CI formula, subsets of episodes, where published numbers come from. */
export function tableNotes(table: ResultsTable): string[] {
  const notes = [
    'Accuracy (%) over test episodes, mean ± 95% half-width 1.96·s/√n (s: sample standard deviation of the per-episode accuracies; MetaOptNet prints 1.96·σ/√(n+1)).',
  ];
  const subsets = [...new Set(table.cells.filter((c) => c.summary.n < c.episodes).map((c) => `${c.summary.n} of ${c.episodes}`))];
  const counts = [...new Set(table.cells.map((c) => c.summary.n))];
  notes.push(
    subsets.length > 0
      ? `Only the first ${subsets.join(' / ')} episodes of the manifest were evaluated (quick mode): wider intervals than over all of them.`
      : `Episodes per cell: ${counts.join(', ')}.`,
  );
  if (table.cells.some((c) => c.published !== null)) notes.push('(paper x): the published ResNet-12 number (DESIGN.md) for that cell.');
  if (table.cells.length > 1) notes.push('Bold: best mean of its column.');
  return notes;
}
