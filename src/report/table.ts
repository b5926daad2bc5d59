/**
 * The results table in the layout of the SLA paper's Table 5: one row per method (head, plain or
 * SLA, single or aggregated inference), one column per dataset x shot, mean ± 95% CI per cell;
 * several training seeds of a method form one cell; bold marks what a paired test cannot separate
 * from the best of its column.
 */
import { UsageError } from '../errors.js';
import { summarizeAccuracies, type AccuracySummary } from '../eval/report.js';
import type { EvalResults } from '../eval/results.js';
import { meanConfidenceInterval } from '../stats/confidence.js';
import { pairedComparison } from '../stats/paired.js';
import { backendLabel, resultsCommit, trainingSeed } from './provenance.js';
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

/** One seed's evaluation inside a cell. */
export interface SeedResult {
  /** Training seed (null: not recorded, e.g. a bare backbone checkpoint). */
  seed: number | null;
  /** Mean accuracy (percent) over this seed's episodes. */
  mean: number;
  n: number;
  source: string;
}

/** One filled cell: one method on one column, over one or more training seeds. */
export interface TableCell {
  row: string;
  column: string;
  /** Every episode of every seed pooled: mean and the episode interval 1.96·s/√N (episode sampling only). */
  summary: AccuracySummary;
  /** The seeds' evaluations, in seed order. */
  seeds: SeedResult[];
  /** Mean of the seeds' means ± 95% Student-t half-width across them (S - 1 dof); null with one seed. */
  acrossSeeds: { mean: number; halfWidth: number; n: number } | null;
  /** Episodes in the evaluated manifest (equal to the episodes per seed unless only a subset was run). */
  episodes: number;
  /** Published mean for this cell (percent), or null. */
  published: number | null;
  /** The manifest's sha256; the backends and commits that evaluated the cell ('unknown' when not recorded). */
  manifest: string;
  backends: string[];
  commits: string[];
  /** true when bold: the best mean of its column or not significantly below it (see ResultsTable.emphasis). */
  best: boolean;
  /** Paired t-test against the column's best cell (p-value; mean difference in points); null for that cell, lone cells and unpaired columns. */
  versusBest: { pValue: number; meanDifference: number } | null;
}

/** How cells are bolded: the paired t-test against the best of the column at level `alpha`, or not at all. */
export interface Emphasis {
  method: 'paired-t' | 'none';
  alpha: number;
  /** Columns whose cells could not be paired (different manifests or episode counts): nothing bold there. */
  unpairedColumns: string[];
}

/** The whole table; cells are looked up by `row` and `column` keys. */
export interface ResultsTable {
  rows: TableRow[];
  columns: TableColumn[];
  cells: TableCell[];
  emphasis: Emphasis;
}

/** An evaluation record with the file it was read from. */
export interface SourcedResults {
  results: EvalResults;
  source: string;
  /** Episodes in the whole manifest when `results` covers only a slice of it. */
  of?: number;
}

/** Options of buildTable. */
export interface TableOptions {
  /** 'paired-t' (default): bold every cell not significantly below its column's best; 'none': no bold. */
  bold?: Emphasis['method'];
  /** Level of the two-sided paired t-test (default 0.05). */
  alpha?: number;
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

/** One seed's per-episode accuracies (fractions) before the cell is summarised. */
interface SeedEntry {
  seed: number | null;
  values: number[];
  source: string;
  of: number;
  manifest: string;
  backend: string | null;
  commit: string | null;
}

interface CellEntry {
  row: string;
  column: string;
  label: string;
  results: EvalResults;
  inference: Inference;
  transform: string;
  seeds: SeedEntry[];
}

function checkOptions(bold: string, alpha: number): void {
  if (bold !== 'paired-t' && bold !== 'none') throw new UsageError(`unknown bold rule '${bold}': expected paired-t or none`);
  if (!(alpha > 0 && alpha < 1)) throw new UsageError(`the bold test's level must be strictly between 0 and 1, got ${alpha}`);
}

/** Adds one record's seed to its cell entry; one-line errors for a repeated seed or other episodes. */
function addSeed(entry: CellEntry, seed: SeedEntry, column: string): void {
  const clash = entry.seeds.find((e) => e.seed === seed.seed);
  if (clash) {
    const which = seed.seed === null ? '' : ` with training seed ${seed.seed}`;
    throw new UsageError(`two results for ${entry.label} on ${column}${which}: ${clash.source} and ${seed.source}; report one of them, or merge shards with jointshot report merge`);
  }
  const first = entry.seeds[0];
  if (first && (first.manifest !== seed.manifest || first.values.length !== seed.values.length)) {
    throw new UsageError(
      `${entry.label} on ${column}: ${seed.source} and ${first.source} saw different episodes (manifest ${seed.manifest.slice(0, 12)} x ${seed.values.length} vs ${first.manifest.slice(0, 12)} x ${first.values.length}); the seeds of one cell need the same episodes`,
    );
  }
  entry.seeds.push(seed);
}

/** A cell from its seeds, and its per-episode accuracy (percent) averaged over the seeds: what the bold test pairs. */
function makeCell(entry: CellEntry): { cell: TableCell; perEpisode: number[] } {
  const seeds = [...entry.seeds].sort((a, b) => (a.seed ?? -Infinity) - (b.seed ?? -Infinity));
  const means = seeds.map((s) => summarizeAccuracies(s.values).mean);
  const across = seeds.length > 1 ? meanConfidenceInterval(means, { method: 't' }) : null;
  const r = entry.results;
  const cell: TableCell = {
    row: entry.row,
    column: entry.column,
    summary: summarizeAccuracies(seeds.flatMap((s) => s.values)),
    seeds: seeds.map((s, i) => ({ seed: s.seed, mean: means[i]!, n: s.values.length, source: s.source })),
    acrossSeeds: across ? { mean: across.mean, halfWidth: across.halfWidth, n: across.n } : null,
    episodes: seeds[0]!.of,
    published: publishedAccuracy({ dataset: r.dataset, head: r.model.head, transform: entry.transform, inference: entry.inference, ways: r.ways, shots: r.shots }),
    manifest: seeds[0]!.manifest,
    backends: [...new Set(seeds.map((s) => s.backend ?? 'unknown'))],
    commits: [...new Set(seeds.map((s) => s.commit ?? 'unknown'))],
    best: false,
    versusBest: null,
  };
  const perEpisode = seeds[0]!.values.map((_, i) => (100 * seeds.reduce((sum, s) => sum + s.values[i]!, 0)) / seeds.length);
  return { cell, perEpisode };
}

/**
 * Builds the table from evaluation records. Records of one method and column from different
 * training seeds form one cell (they must share the manifest and episodes); two records of one
 * seed are an error (merge shards first with `jointshot report merge`).
 */
export function buildTable(list: readonly SourcedResults[], options: TableOptions = {}): ResultsTable {
  const { bold = 'paired-t', alpha = 0.05 } = options;
  checkOptions(bold, alpha);
  const rows = new Map<string, TableRow>();
  const columns = new Map<string, TableColumn>();
  const entries = new Map<string, CellEntry>();
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
      const entry = entries.get(id) ?? { row: key, column: column.key, label, results: r, inference, transform, seeds: [] };
      entries.set(id, entry);
      addSeed(entry, { seed: trainingSeed(r), values, source, of: of ?? r.count, manifest: r.manifest.sha256, backend: backendLabel(r), commit: resultsCommit(r) }, column.key);
    }
  }
  const made = [...entries.values()].map(makeCell);
  const cells = made.map((m) => m.cell);
  const perEpisode = new Map(made.map((m) => [m.cell, m.perEpisode]));
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
  const emphasis: Emphasis = { method: bold, alpha, unpairedColumns: [] };
  if (bold === 'paired-t') {
    for (const column of sortedColumns) {
      if (!markColumn(cells.filter((c) => c.column === column.key), perEpisode, alpha)) emphasis.unpairedColumns.push(column.key);
    }
  }
  return { rows: sortedRows, columns: sortedColumns, cells, emphasis };
}

/**
 * Bolds the cells of one column that have the best mean or are not significantly below it
 * (two-sided paired t-test over the shared episodes at `alpha`); a lone cell is not bolded.
 * Returns false, bolding nothing, when the cells did not all see the same episodes.
 */
function markColumn(cells: TableCell[], perEpisode: ReadonlyMap<TableCell, number[]>, alpha: number): boolean {
  if (cells.length < 2) return true;
  const first = cells[0]!;
  if (!cells.every((c) => c.manifest === first.manifest && perEpisode.get(c)!.length === perEpisode.get(first)!.length)) return false;
  const top = Math.max(...cells.map((c) => c.summary.mean));
  const best = cells.find((c) => c.summary.mean === top)!;
  for (const c of cells) {
    c.best = c.summary.mean === top;
    if (c === best || perEpisode.get(c)!.length < 2) continue;
    const test = pairedComparison(perEpisode.get(c)!, perEpisode.get(best)!);
    c.versusBest = { pValue: test.t.pValue, meanDifference: test.meanDifference };
    if (test.t.pValue >= alpha) c.best = true;
  }
  return true;
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

/**
 * A cell's numbers: `main` is `mean ± episode CI` for one seed, `mean ± across-seed t CI` for
 * several; `episodes` is the pooled-episode half-width shown beside the latter (else null).
 */
export function cellNumbers(cell: TableCell, plusMinus = '±'): { main: string; episodes: string | null } {
  if (!cell.acrossSeeds) return { main: formatCell(cell.summary, plusMinus), episodes: null };
  const main = `${cell.acrossSeeds.mean.toFixed(2)} ${plusMinus} ${cell.acrossSeeds.halfWidth.toFixed(2)}`;
  return { main, episodes: cell.summary.ci95 === null ? null : `${plusMinus} ${cell.summary.ci95.toFixed(2)}` };
}

/** A note in plain text, with its LaTeX form when escaping the text is not enough. */
export interface TableNote {
  text: string;
  latex?: string;
}

function seedNote(table: ResultsTable): TableNote | null {
  const multi = table.cells.filter((c) => c.acrossSeeds !== null);
  if (multi.length === 0) return null;
  const counts = [...new Set(multi.map((c) => c.seeds.length))].join(' / ');
  return {
    text: `Cells over ${counts} training seeds: mean over the seeds ± 95% Student-t half-width across the seeds' means (S − 1 degrees of freedom: training variation); in parentheses ± 1.96·s/√N over all N episodes of all seeds pooled (episode sampling only).`,
    latex: `Cells over ${counts} training seeds: mean over the seeds $\\pm$ 95\\% Student-$t$ half-width across the seeds' means ($S-1$ degrees of freedom: training variation); in parentheses $\\pm\\,1.96\\,s/\\sqrt{N}$ over all $N$ episodes of all seeds pooled (episode sampling only).`,
  };
}

function boldNote(table: ResultsTable, labels: ReadonlyMap<string, string>): TableNote | null {
  const { method, alpha, unpairedColumns } = table.emphasis;
  const tested = table.columns.filter((c) => table.cells.filter((cell) => cell.column === c.key).length > 1 && !unpairedColumns.includes(c.key));
  const unpaired = unpairedColumns.map((k) => labels.get(k) ?? k);
  const none = unpaired.length > 0 ? ` No bold in ${unpaired.join(', ')}: its cells were evaluated on different episodes, so they cannot be paired.` : '';
  if (method === 'none') return { text: 'No cell is bold (--bold none).' };
  if (tested.length === 0) return none ? { text: none.trim() } : null;
  const text = `Bold: the best mean of its column and every cell not significantly below it, by a two-sided paired t-test over the column's shared test episodes (per-episode accuracy averaged over seeds) at α = ${alpha}, not corrected for multiple comparisons.${none}`;
  return { text, latex: text.replace('α', '$\\alpha$') };
}

/** Where the numbers come from: manifest hash per column, backends, commits, training seeds. */
function provenanceNotes(table: ResultsTable, labels: ReadonlyMap<string, string>): TableNote[] {
  const manifests = table.columns.map((c) => `${labels.get(c.key)} ${[...new Set(table.cells.filter((cell) => cell.column === c.key).map((cell) => cell.manifest))].join(' / ')}`);
  const seeds = [...new Set(table.cells.flatMap((c) => c.seeds.map((s) => s.seed)))].filter((s): s is number => s !== null).sort((a, b) => a - b);
  return [
    { text: `Manifests (sha256): ${manifests.join('; ')}.` },
    { text: `Backend: ${[...new Set(table.cells.flatMap((c) => c.backends))].join(', ')}. Commit: ${[...new Set(table.cells.flatMap((c) => c.commits))].join(', ')}. Training seeds: ${seeds.length > 0 ? seeds.join(', ') : 'not recorded'}.` },
  ];
}

/** Notes under every rendering, with their LaTeX forms: intervals, seeds, subsets, published numbers, bold rule, provenance. */
export function tableNoteParts(table: ResultsTable): TableNote[] {
  const labels = new Map(table.columns.map((c) => [c.key, columnLabel(c)]));
  const notes: TableNote[] = [
    {
      text: 'Accuracy (%) over test episodes, mean ± 95% half-width 1.96·s/√n (s: sample standard deviation of the per-episode accuracies; MetaOptNet prints 1.96·σ/√(n+1)).',
      latex: 'Accuracy (\\%) over test episodes: mean $\\pm$ 95\\% half-width $1.96\\,s/\\sqrt{n}$ ($s$: sample standard deviation of the per-episode accuracies; MetaOptNet prints $1.96\\,\\sigma/\\sqrt{n+1}$).',
    },
  ];
  const seeds = seedNote(table);
  if (seeds) notes.push(seeds);
  const perSeed = (c: TableCell) => c.seeds[0]!.n;
  const subsets = [...new Set(table.cells.filter((c) => perSeed(c) < c.episodes).map((c) => `${perSeed(c)} of ${c.episodes}`))];
  notes.push({
    text:
      subsets.length > 0
        ? `Only the first ${subsets.join(' / ')} episodes of the manifest were evaluated (quick mode): wider intervals than over all of them.`
        : `Episodes per cell and seed: ${[...new Set(table.cells.map(perSeed))].join(', ')}.`,
  });
  if (table.cells.some((c) => c.published !== null)) {
    notes.push({ text: '(paper x): the published ResNet-12 number for that cell (MetaOptNet, Lee et al., CVPR 2019; SLA, Lee, Hwang & Shin, ICML 2020).', latex: 'Small numbers in parentheses after a cell: the published ResNet-12 result for that cell.' });
  }
  const bold = boldNote(table, labels);
  if (bold) notes.push(bold);
  notes.push(...provenanceNotes(table, labels));
  return notes;
}

/** The notes as plain text (Markdown, JSON). */
export function tableNotes(table: ResultsTable): string[] {
  return tableNoteParts(table).map((n) => n.text);
}
