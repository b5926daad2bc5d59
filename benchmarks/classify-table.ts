/**
 * The tables of docs/results.md ## Whole-class SLA from the runs of benchmarks/classify-study.sh:
 * Table 1 (Baseline, DA, MT, SDA+SI), Table 2 (Baseline, ten-crop, SDA+AG, ensembles), Table 3
 * (transformation x SDA+SD / SDA+AG), and McNemar of SDA+AG vs Baseline per seed. Rows whose runs
 * do not exist yet are left out (and named on stderr).
 *   usage: npx tsx benchmarks/classify-table.ts STUDY_DIR [PREFIX]   (PREFIX: '' or e.g. '3k' for base3k-s0)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClassificationResults } from '../src/eval/classify-results.js';
import { renderClassificationTable, type ClassificationRow } from '../src/report/classification-table.js';
import { mcnemarTest } from '../src/stats/mcnemar.js';

const dir = process.argv[2];
const tag = process.argv[3] ?? '';
if (!dir) throw new Error('usage: classify-table.ts STUDY_DIR [PREFIX]');

function results(run: string): ClassificationResults | undefined {
  const file = join(dir!, run, run.startsWith('ens-') ? '' : 'test', 'results.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClassificationResults) : undefined;
}

function trainSeconds(run: string): number | undefined {
  const file = join(dir!, run, 'summary.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { trainSeconds: number }).trainSeconds : undefined;
}

/** A row from the runs `prefix-s0`, `prefix-s1`, ... that exist, read at `inference`. */
function row(label: string, prefix: string, inference: string, seeds = [0, 1, 2]): ClassificationRow | undefined {
  const runs = seeds.map((s) => `${prefix}${tag}-s${s}`).filter((r) => results(r)?.inferences[inference]);
  if (runs.length === 0) {
    process.stderr.write(`left out: ${label} (no ${prefix}${tag}-s* results with ${inference})\n`);
    return undefined;
  }
  const times = runs.map(trainSeconds).filter((t): t is number => t !== undefined);
  return {
    label: `${label} [${runs.join(', ')}]`,
    accuracies: runs.map((r) => 100 * results(r)!.inferences[inference]!.accuracy),
    images: results(runs[0]!)!.images,
    ...(times.length === runs.length ? { trainSeconds: times } : {}),
  };
}

function ensembleRow(label: string, run: string, inference: string): ClassificationRow | undefined {
  const r = results(run)?.inferences[inference];
  if (!r) return undefined;
  return { label: `${label} [${run}]`, accuracies: [100 * r.accuracy], images: results(run)!.images };
}

const present = (rows: (ClassificationRow | undefined)[]) => rows.filter((r): r is ClassificationRow => r !== undefined);
const out: string[] = [];
out.push('Table 1 (single inference, rotation)\n');
out.push(renderClassificationTable(present([row('Baseline', 'base', 'single'), row('DA', 'da', 'single'), row('MT', 'mt', 'single'), row('SDA+SI', 'sla', 'single')])));
out.push('\nTable 2 (aggregation and ensembles)\n');
out.push(
  renderClassificationTable(
    present([
      row('Baseline', 'base', 'single'),
      row('Baseline + ten-crop', 'base', 'ten-crop'),
      row('SDA+AG', 'sla', 'aggregated'),
      ensembleRow('Ensemble of 3 baselines', `ens-base${tag}`, 'single'),
      ensembleRow('Ensemble of 3 SDA models + SDA+AG', `ens-sla${tag}`, 'aggregated'),
    ]),
  ),
);
out.push('\nTable 3 (transformation x SDA+SD / SDA+AG)\n');
out.push(
  renderClassificationTable(
    present([
      row('Baseline', 'base', 'single'),
      row('rotation: SDA+SD', 'sd', 'sd'),
      row('rotation: SDA+AG (sla+sd model)', 'sd', 'aggregated'),
      row('rotation: SDA+AG (sla model)', 'sla', 'aggregated'),
      row('colour permutation: SDA+AG', 'cp', 'aggregated'),
      row('colour permutation: SDA+SI', 'cp', 'single'),
    ]),
  ),
);
out.push('\nMcNemar, SDA+AG vs Baseline (same seed, same 5,000 test images)\n');
out.push('| seed | baseline right only | SDA+AG right only | p | method |\n|---|---|---|---|---|');
for (const seed of [0, 1, 2]) {
  const base = results(`base${tag}-s${seed}`)?.inferences.single;
  const sla = results(`sla${tag}-s${seed}`)?.inferences.aggregated;
  if (!base || !sla) continue;
  const m = mcnemarTest(base.correct, sla.correct);
  out.push(`| ${seed} | ${m.onlyA} | ${m.onlyB} | ${m.pValue.toPrecision(3)} | ${m.method} |`);
}
process.stdout.write(`${out.join('\n')}\n`);
