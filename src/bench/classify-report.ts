/**
 * The closing step of a classify bench: the finished results under the output folder, per dataset,
 * as the SLA paper's Tables 1-3 with McNemar (layout `tables`) and Figure 3's aggregation gain
 * against M (layout `figure3`: Markdown, CSV and SVG), plus one table of every run and read-out.
 */
import { join } from 'node:path';
import type { ClassificationResults } from '../eval/classify-results.js';
import { aggregationPoints, renderAggregationCsv, renderAggregationPlot, renderAggregationTable, type AggregationRunSpec } from '../report/aggregation-plot.js';
import { renderClassificationStudy, renderClassificationTable, studyRow, type ClassificationRow, type ClassificationStudy } from '../report/classification-table.js';
import { readClassificationResults } from '../report/long-tail-table.js';
import { getLabelTransform } from '../transforms/registry.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { runSeeds } from './classify-config.js';
import { TRAIN_TIME_FILE, classifyRunDir } from './classify-run.js';
import type { BenchConfig } from './config.js';
import { readJson } from './run.js';

const orMissing = (path: string): Promise<ClassificationResults | undefined> =>
  readClassificationResults(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });

/** The evaluated models and ensembles of one dataset of a classify bench folder. */
export async function collectBenchStudy(outDir: string, config: BenchConfig, dataset: string): Promise<ClassificationStudy> {
  const study: ClassificationStudy = { dataset, runs: {}, ensembles: {} };
  for (const run of config.runs) {
    for (const seed of runSeeds(config, run)) {
      const dir = join(classifyRunDir(outDir, dataset, run.name), `seed-${seed}`);
      const results = await orMissing(join(dir, 'test', 'results.json'));
      if (!results) continue;
      const time = await readJson<{ trainSeconds: number }>(join(dir, TRAIN_TIME_FILE));
      (study.runs[run.name] ??= []).push({ seed, source: `${run.name}/seed-${seed}`, results, ...(time ? { trainSeconds: time.trainSeconds } : {}) });
    }
  }
  for (const ensemble of config.ensembles) {
    const results = await orMissing(join(classifyRunDir(outDir, dataset, ensemble.name), 'results.json'));
    if (results) study.ensembles[ensemble.name] = results;
  }
  return study;
}

/** Figure 3's points of a config: every `sla` run with its set's M, and the baseline run (transform none) as M = 1. */
export function figure3Specs(config: BenchConfig): { specs: AggregationRunSpec[]; baseline: string | undefined } {
  const baseline = config.runs.find((r) => r.objective === 'baseline' && getLabelTransform(r.transform).count === 1)?.name;
  const specs = config.runs
    .filter((r) => r.objective === 'sla' || r.name === baseline)
    .map((r) => ({ run: r.name, transform: r.transform, m: getLabelTransform(r.transform).count }));
  return { specs, baseline };
}

/** Every run x read-out and every ensemble; gains relative to the first row. */
function allRows(study: ClassificationStudy, config: BenchConfig): ClassificationRow[] {
  const specs = [
    ...config.runs.flatMap((r) => r.inferences.map((inference) => ({ label: `${r.name} (${r.objective}, ${r.transform}): ${inference}`, run: r.name, inference }))),
    ...config.ensembles.flatMap((e) => e.inferences.map((inference) => ({ label: `${e.name} (ensemble of ${e.run}): ${inference}`, run: e.name, inference }))),
  ];
  return specs.map((s) => studyRow(study, s)).filter((r): r is ClassificationRow => r !== undefined);
}

/** Builds the report from `outDir` and writes `classify-report.md` (and per dataset `figure3-<dataset>.svg|csv`) there. */
export async function writeClassifyBenchReport(outDir: string, config: BenchConfig): Promise<{ markdown: string; files: string[]; missing: string[] }> {
  const sections: string[] = [];
  const files: string[] = [];
  const missing: string[] = [];
  for (const dataset of config.datasets) {
    const study = await collectBenchStudy(outDir, config, dataset);
    const parts = [`## ${dataset}`];
    const data = [...Object.values(study.runs).flat().map((m) => m.results), ...Object.values(study.ensembles)][0];
    if (!data) {
      sections.push(`${parts[0]}\n\nno finished results yet\n`);
      continue;
    }
    parts.push(`Test set: ${data.images} images, ${data.classes} classes (${data.data}); test-set hash ${data.testHash.slice(0, 12)}. Top-1 (%), mean over seeds; relative gain over the table's first row in brackets.`);
    if (config.layouts.includes('tables')) {
      const tables = renderClassificationStudy(study, { published: true });
      parts.push(tables.markdown);
      missing.push(...tables.missing.map((m) => `${dataset}: ${m}`));
    }
    if (config.layouts.includes('figure3')) {
      const { specs, baseline } = figure3Specs(config);
      const points = aggregationPoints(study, specs, baseline);
      if (points.length === 0) parts.push('### Figure 3\n\nno SDA run with single and aggregated results yet\n');
      else {
        const svg = join(outDir, `figure3-${dataset}.svg`);
        const csv = join(outDir, `figure3-${dataset}.csv`);
        await writeFileAtomic(svg, renderAggregationPlot(points));
        await writeFileAtomic(csv, renderAggregationCsv(points));
        files.push(svg, csv);
        parts.push(`### Figure 3 (aggregation gain against the number of transformations M; plot ${svg})\n\n${renderAggregationTable(points)}`);
      }
    }
    const rows = allRows(study, config);
    if (rows.length > 0) parts.push(`### Every run and read-out\n\n${renderClassificationTable(rows)}`);
    sections.push(parts.join('\n\n'));
  }
  const markdown = `${sections.join('\n')}\n`;
  const file = join(outDir, 'classify-report.md');
  await writeFileAtomic(file, markdown);
  return { markdown, files: [file, ...files], missing };
}
