/**
 * The tables of docs/results.md ## Whole-class SLA from the runs of benchmarks/classify-study.sh:
 * Table 1 (Baseline, DA, MT, SDA+SI), Table 2 (Baseline, ten-crop, SDA+AG, ensembles), Table 3
 * (transformation x SDA+SD / SDA+AG), and McNemar of SDA+AG vs Baseline per seed, rendered by
 * src/report/classification-table.ts (as `jointshot bench` classify presets are). Rows whose runs
 * do not exist yet are left out (and named on stderr).
 *   usage: npx tsx benchmarks/classify-table.ts STUDY_DIR [PREFIX]   (PREFIX: '' or e.g. '3k' for base3k-s0)
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassificationResults } from '../src/eval/classify-results.js';
import { renderClassificationStudy, type ClassificationStudy } from '../src/report/classification-table.js';

const dir = process.argv[2];
const tag = process.argv[3] ?? '';
if (!dir) throw new Error('usage: classify-table.ts STUDY_DIR [PREFIX]');

const readJson = <T>(file: string): T | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);

/** The study folder: `<run><tag>-s<seed>/test/results.json` (+ summary.json) and `ens-<run><tag>/results.json`. */
const study: ClassificationStudy = { dataset: '', runs: {}, ensembles: {} };
const escaped = tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
for (const name of readdirSync(dir!).sort()) {
  const ensemble = new RegExp(`^(ens-[a-z-]+?)${escaped}$`).exec(name);
  if (ensemble) {
    const results = readJson<ClassificationResults>(join(dir!, name, 'results.json'));
    if (results) study.ensembles[ensemble[1]!] = results;
    continue;
  }
  const run = new RegExp(`^([a-z-]+?)${escaped}-s(\\d+)$`).exec(name);
  const results = run && readJson<ClassificationResults>(join(dir!, name, 'test', 'results.json'));
  if (!run || !results) continue;
  const trainSeconds = readJson<{ trainSeconds: number }>(join(dir!, name, 'summary.json'))?.trainSeconds;
  (study.runs[run[1]!] ??= []).push({ seed: Number(run[2]), source: name, results, ...(trainSeconds !== undefined ? { trainSeconds } : {}) });
  study.dataset ||= results.dataset;
}
for (const models of Object.values(study.runs)) models.sort((a, b) => a.seed - b.seed);
const { markdown, missing } = renderClassificationStudy(study);
for (const row of missing) process.stderr.write(`left out: ${row}\n`);
process.stdout.write(markdown);
