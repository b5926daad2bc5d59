/**
 * Whole-class result tables in the layout of the SLA paper's Tables 1-3: one row per method, the
 * top-1 accuracy (mean over seeds with its across-seed t interval; one seed: its Wilson interval
 * over the test images) and the relative gain over the baseline row in brackets; the three tables
 * and McNemar of SDA+AG vs Baseline from a study (eval-class results by run name and seed), as
 * `jointshot bench` classify presets and benchmarks/classify-table.ts lay them out.
 */
import type { ClassificationResults } from '../eval/classify-results.js';
import { meanConfidenceInterval } from '../stats/confidence.js';
import { wilsonInterval } from '../stats/binomial.js';
import { mcnemarTest } from '../stats/mcnemar.js';

/** One method's results: its accuracy (percent) per seed, and the test-set size for a one-seed interval. */
export interface ClassificationRow {
  label: string;
  accuracies: number[];
  images: number;
  /** Training time in seconds per seed (optional column). */
  trainSeconds?: number[];
  /** The published figure of this cell (percent), shown in a `paper` column when any row has one. */
  published?: number;
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
  const withPaper = rows.some((r) => r.published !== undefined);
  const lines = [
    `| method | top-1 (%) (relative gain) | 95% interval | seeds${withTime ? ' | training (s, mean)' : ''}${withPaper ? ' | paper (%)' : ''} |`,
    `|---|---|---|---|${withTime ? '---|' : ''}${withPaper ? '---|' : ''}`,
  ];
  rows.forEach((row, i) => {
    const s = rowSummary(row);
    const gain = i === 0 ? '' : ` (${s.mean >= base ? '+' : '−'}${Math.abs((100 * (s.mean - base)) / base).toFixed(1)}%)`;
    const time = row.trainSeconds ? ` | ${(row.trainSeconds.reduce((a, b) => a + b, 0) / row.trainSeconds.length).toFixed(0)}` : withTime ? ' | –' : '';
    const paper = withPaper ? ` | ${row.published?.toFixed(2) ?? '–'}` : '';
    lines.push(`| ${row.label} | ${s.mean.toFixed(2)}${gain} | ${s.low.toFixed(2)}–${s.high.toFixed(2)} (${s.interval}) | ${row.accuracies.map((a) => a.toFixed(2)).join(', ')}${time}${paper} |`);
  });
  return `${lines.join('\n')}\n`;
}

/** One evaluated model of a study: its seed, eval-class results and training time. */
export interface StudyModel {
  seed: number;
  /** Where it came from (e.g. `base-s0`), shown beside the row label. */
  source: string;
  results: ClassificationResults;
  trainSeconds?: number;
}

/** A study on one dataset: evaluated models by run name (`base`, `sla`, ...) and ensemble results by name (`ens-base`, ...). */
export interface ClassificationStudy {
  dataset: string;
  runs: Record<string, StudyModel[]>;
  ensembles: Record<string, ClassificationResults>;
}

/** A table row: its label, the run or ensemble it reads, and the read-out. */
export interface StudyRowSpec {
  label: string;
  run: string;
  inference: string;
}

/** The rows of the SLA paper's Tables 1-3 over the run names of the classify presets; the first row of each is the baseline its gains refer to. */
export const SLA_TABLES: readonly { title: string; rows: readonly StudyRowSpec[] }[] = [
  {
    title: 'Table 1 (single inference, rotation)',
    rows: [
      { label: 'Baseline', run: 'base', inference: 'single' },
      { label: 'DA', run: 'da', inference: 'single' },
      { label: 'MT', run: 'mt', inference: 'single' },
      { label: 'SDA+SI', run: 'sla', inference: 'single' },
    ],
  },
  {
    title: 'Table 2 (aggregation and ensembles, rotation)',
    rows: [
      { label: 'Baseline', run: 'base', inference: 'single' },
      { label: 'Baseline + ten-crop', run: 'base', inference: 'ten-crop' },
      { label: 'SDA+AG', run: 'sla', inference: 'aggregated' },
      { label: 'Ensemble of baselines', run: 'ens-base', inference: 'single' },
      { label: 'Ensemble of SDA models + SDA+AG', run: 'ens-sla', inference: 'aggregated' },
    ],
  },
  {
    title: 'Table 3 (transformation x SDA+SD / SDA+AG)',
    rows: [
      { label: 'Baseline', run: 'base', inference: 'single' },
      { label: 'rotation: SDA+SD', run: 'sd', inference: 'sd' },
      { label: 'rotation: SDA+AG (sla+sd model)', run: 'sd', inference: 'aggregated' },
      { label: 'rotation: SDA+AG (sla model)', run: 'sla', inference: 'aggregated' },
      { label: 'colour permutation: SDA+SD', run: 'cp-sd', inference: 'sd' },
      { label: 'colour permutation: SDA+AG (sla+sd model)', run: 'cp-sd', inference: 'aggregated' },
      { label: 'colour permutation: SDA+AG (sla model)', run: 'cp', inference: 'aggregated' },
      { label: 'colour permutation: SDA+SI', run: 'cp', inference: 'single' },
    ],
  },
];

/**
 * Published top-1 (%) of the SLA paper (CIFAR ResNet-32, the reference recipe: bench preset
 * paper-cifar) by `dataset/run/inference`: Table 1 (rotation, single inference) and Table 2's SDA+AG.
 */
const PUBLISHED_CLASSIFICATION: Readonly<Record<string, number>> = {
  'cifar-10/base/single': 92.39,
  'cifar-10/da/single': 90.44,
  'cifar-10/mt/single': 90.79,
  'cifar-10/sla/single': 92.5,
  'cifar-10/sla/aggregated': 94.5,
  'cifar-100/base/single': 68.27,
  'cifar-100/da/single': 65.73,
  'cifar-100/mt/single': 66.1,
  'cifar-100/sla/single': 68.68,
  'cifar-100/sla/aggregated': 74.14,
};

/** The published figure of a cell, or undefined when the project records none. */
export function publishedClassification(dataset: string, run: string, inference: string): number | undefined {
  return PUBLISHED_CLASSIFICATION[`${dataset}/${run}/${inference}`];
}

/** The row of `spec` from the study (undefined when no model or ensemble has that read-out). */
export function studyRow(study: ClassificationStudy, spec: StudyRowSpec, options: { published?: boolean } = {}): ClassificationRow | undefined {
  const published = options.published ? publishedClassification(study.dataset, spec.run, spec.inference) : undefined;
  const extra = published !== undefined ? { published } : {};
  const ensemble = study.ensembles[spec.run];
  if (ensemble) {
    const record = ensemble.inferences[spec.inference];
    if (!record) return undefined;
    return { label: `${spec.label} [${spec.run}: ${ensemble.models.length} models]`, accuracies: [100 * record.accuracy], images: ensemble.images, ...extra };
  }
  const models = (study.runs[spec.run] ?? []).filter((m) => m.results.inferences[spec.inference]);
  if (models.length === 0) return undefined;
  const times = models.map((m) => m.trainSeconds).filter((t): t is number => t !== undefined);
  return {
    label: `${spec.label} [${models.map((m) => m.source).join(', ')}]`,
    accuracies: models.map((m) => 100 * m.results.inferences[spec.inference]!.accuracy),
    images: models[0]!.results.images,
    ...(times.length === models.length ? { trainSeconds: times } : {}),
    ...extra,
  };
}

/** McNemar of SDA+AG (`sla`, aggregated) vs Baseline (`base`, single) for every seed both have. */
export function renderMcNemar(study: ClassificationStudy): string {
  const lines = ['| seed | images | baseline right only | SDA+AG right only | p | method |', '|---|---|---|---|---|---|'];
  for (const base of study.runs.base ?? []) {
    const sla = study.runs.sla?.find((m) => m.seed === base.seed)?.results.inferences.aggregated;
    const single = base.results.inferences.single;
    if (!sla || !single) continue;
    const m = mcnemarTest(single.correct, sla.correct);
    lines.push(`| ${base.seed} | ${m.n} | ${m.onlyA} | ${m.onlyB} | ${m.pValue.toPrecision(3)} | ${m.method} |`);
  }
  return lines.length === 2 ? '' : `${lines.join('\n')}\n`;
}

/**
 * Tables 1-3 and McNemar as Markdown; rows whose runs have no results are left out and listed in
 * `missing`. `published` adds the paper's figure beside the cells the project records.
 */
export function renderClassificationStudy(study: ClassificationStudy, options: { published?: boolean } = {}): { markdown: string; missing: string[] } {
  const missing: string[] = [];
  const parts: string[] = [];
  for (const table of SLA_TABLES) {
    const rows = table.rows.map((spec) => {
      const row = studyRow(study, spec, options);
      if (!row) missing.push(`${table.title.split(' (')[0]}: ${spec.label} (no ${spec.run} results with ${spec.inference})`);
      return row;
    });
    const present = rows.filter((r): r is ClassificationRow => r !== undefined);
    if (!rows[0]) {
      parts.push(`### ${table.title}\n\nno baseline results yet\n`);
      continue;
    }
    parts.push(`### ${table.title}\n\n${renderClassificationTable(present)}`);
  }
  const mcnemar = renderMcNemar(study);
  parts.push(`### McNemar, SDA+AG vs Baseline (same seed, same test images)\n\n${mcnemar || 'no seed with both a baseline and an SDA+AG result yet\n'}`);
  if (options.published && parts.join('').includes('| paper (%) |')) {
    parts.push('paper: the SLA paper\'s figure for the cell (CIFAR ResNet-32, reference recipe); comparable only under that recipe (bench preset paper-cifar).\n');
  }
  return { markdown: parts.join('\n'), missing };
}
