import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchPreset, classifyCells, resolveBenchConfig, runBench, runClassifyBench, trainingState, writeClassifyBenchReport, type BenchConfig, type BenchLayer } from '../../src/bench/index.js';
import type { ClassificationData, LabelledImages } from '../../src/data/classification-types.js';
import type { ClassificationResults } from '../../src/eval/classify-results.js';
import { createRng } from '../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { withTempDir } from '../report/fixtures.js';
import report from '../../src/cli/commands/report.js';
import { runCaptured } from '../helpers/cli.js';

test.before(useCpuBackend);

/** Tiny synthetic whole-class data named `synthetic`: 4 classes of 16x16 colour patches with seeded noise. */
function patches(perClass: number, seed: string): LabelledImages {
  const size = 16 * 16 * 3;
  const rng = createRng(seed);
  const pixels = new Uint8Array(4 * perClass * size);
  const labels = new Int32Array(4 * perClass);
  for (let n = 0; n < labels.length; n++) {
    const c = Math.floor(n / perClass);
    labels[n] = c;
    for (let p = 0; p < size; p++) pixels[n * size + p] = Math.min(255, ((c * 97 + (p % 3) * 61) % 200) + Math.floor(rng() * 50) + (p < size / 4 ? 40 : 0));
  }
  return { height: 16, width: 16, channels: 3, labels, image: (i) => pixels.subarray(i * size, (i + 1) * size) };
}
const DATA: ClassificationData = { dataset: 'synthetic', classes: ['a', 'b', 'c', 'd'], train: patches(6, 'train'), test: patches(4, 'test'), description: 'tiny patches', testHash: 'tiny' };
const loadData = async () => DATA;

/** A preset shrunk to Conv-4 with 2 channels, 3 steps of 4 images per model. */
function shrunk(preset: string, extra: BenchLayer = {}): BenchConfig {
  return resolveBenchConfig(benchPreset(preset), {
    train: { backboneOptions: { channels: 2 }, batchSize: 4, batchesPerEpoch: 3, epochs: 1, perClass: 0, testPerClass: 0, classSplits: [], checkpointEvery: 1, lrSchedule: [{ epoch: 1, lr: 0.05 }] },
    ...extra,
  });
}

const readResults = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as ClassificationResults;

test.serial('classify-quick: every run x seed trained once and evaluated, an interrupted cell resumes exactly, finished work is skipped, ensembles wait for their members', async (t) => {
  await withTempDir(async (root) => {
    await withNoLeaks(t, async () => {
      const config = shrunk('classify-quick');
      const out = join(root, 'bench');
      const cells = classifyCells(config, out);
      t.deepEqual(cells.map((c) => `${c.run.name}/${c.seed}`), ['base/0', 'base/1', 'sla/0', 'sla/1', 'sd/0', 'da/0', 'mt/0', 'cp/0']);
      t.deepEqual([cells[2]!.train.objective, cells[2]!.train.transform, cells[2]!.train.seed, cells[2]!.train.task], ['sla', 'rotation', 0, 'classify']);

      const controller = new AbortController();
      const first = await runClassifyBench({ config, outDir: out, loadData, signal: controller.signal, onTrainStep: (cell, step) => cell.run.name === 'sla' && cell.seed === 1 && step === 1 && controller.abort() });
      t.true(first.stopped);
      t.deepEqual(first.cells.map((c) => `${c.run}/${c.seed}:${c.training}:${c.evaluation}`), ['base/0:trained:evaluated', 'base/1:trained:evaluated', 'sla/0:trained:evaluated', 'sla/1:stopped:not run']);
      t.deepEqual(first.ensembles, [], 'no ensemble while stopped');
      t.is(await trainingState(cells[3]!), 'partial');

      const second = await runClassifyBench({ config, outDir: out, loadData });
      t.false(second.stopped);
      t.deepEqual(second.cells.map((c) => `${c.training}:${c.evaluation}`), ['skipped:skipped', 'skipped:skipped', 'skipped:skipped', 'resumed:evaluated', ...Array(4).fill('trained:evaluated')]);
      t.deepEqual(second.ensembles.map((e) => `${e.name}:${e.status}`), ['ens-base:evaluated', 'ens-sla:evaluated']);

      // The resumed cell equals the same cell trained without interruption.
      const alone = join(root, 'alone');
      await runClassifyBench({ config: resolveBenchConfig(config, { runs: [{ ...config.runs[1]!, seeds: [1] }], ensembles: [] }), outDir: alone, loadData });
      const resumed = await readResults(join(out, 'synthetic', 'sla', 'seed-1', 'test', 'results.json'));
      const whole = await readResults(join(alone, 'synthetic', 'sla', 'seed-1', 'test', 'results.json'));
      t.deepEqual(resumed.inferences, whole.inferences);

      const third = await runClassifyBench({ config, outDir: out, loadData });
      t.true(third.cells.every((c) => c.training === 'skipped' && c.evaluation === 'skipped'));
      t.deepEqual(third.ensembles.map((e) => e.status), ['skipped', 'skipped']);

      const ensemble = await readResults(join(out, 'synthetic', 'ens-sla', 'results.json'));
      t.true(ensemble.ensemble);
      t.is(ensemble.models.length, 2);
      t.deepEqual(Object.keys(ensemble.inferences), ['single', 'aggregated']);
      t.deepEqual(Object.keys((await readResults(join(out, 'synthetic', 'base', 'seed-0', 'test', 'results.json'))).inferences), ['single', 'ten-crop']);
      t.deepEqual(Object.keys((await readResults(join(out, 'synthetic', 'sd', 'seed-0', 'test', 'results.json'))).inferences), ['single', 'aggregated', 'sd']);

      const { markdown, files, missing } = await writeClassifyBenchReport(out, config);
      t.deepEqual(files, [join(out, 'classify-report.md')]);
      const base = await Promise.all([0, 1].map((s) => readResults(join(out, 'synthetic', 'base', `seed-${s}`, 'test', 'results.json'))));
      const mean = (100 * (base[0]!.inferences.single!.accuracy + base[1]!.inferences.single!.accuracy)) / 2;
      t.regex(markdown, new RegExp(`\\| Baseline \\[base/seed-0, base/seed-1\\] \\| ${mean.toFixed(2)} \\|`));
      for (const label of ['DA \\[da/seed-0\\]', 'MT \\[mt/seed-0\\]', 'SDA\\+SI \\[sla/seed-0, sla/seed-1\\]', 'Baseline \\+ ten-crop', 'Ensemble of SDA models \\+ SDA\\+AG \\[ens-sla: 2 models\\]', 'rotation: SDA\\+SD \\[sd/seed-0\\]', 'colour permutation: SDA\\+AG \\(sla model\\) \\[cp/seed-0\\]']) {
        t.regex(markdown, new RegExp(`\\| ${label}`), label);
      }
      t.regex(markdown, /\| 0 \| 16 \| \d+ \| \d+ \| [\d.]+ \| exact binomial \|/, 'McNemar of seed 0');
      t.deepEqual(missing, ['synthetic: Table 3: colour permutation: SDA+SD (no cp-sd results with sd)', 'synthetic: Table 3: colour permutation: SDA+AG (sla+sd model) (no cp-sd results with aggregated)']);
      t.is(await readFile(files[0]!, 'utf8'), markdown);
    });
  });
});

test.serial('figure3-quick: one model per M = 1, 2, 3, 4, 6, 12, 24, the gains in a CSV and an SVG that match the results files', async (t) => {
  await withTempDir(async (root) => {
    const config = shrunk('figure3-quick', { train: { batchesPerEpoch: 2, batchSize: 2, backboneOptions: { channels: 2 }, perClass: 0, testPerClass: 0, classSplits: [], lrSchedule: [{ epoch: 1, lr: 0.05 }] } });
    const out = join(root, 'fig3');
    const summary = await runClassifyBench({ config, outDir: out, loadData });
    t.deepEqual(summary.cells.map((c) => `${c.run}:${c.training}`), ['base', 'm2', 'm3', 'm4', 'm6', 'm12', 'm24'].map((r) => `${r}:trained`));
    const { files, markdown } = await writeClassifyBenchReport(out, config);
    t.deepEqual(files.slice(1), [join(out, 'figure3-synthetic.svg'), join(out, 'figure3-synthetic.csv')]);
    const rows = (await readFile(files[2]!, 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
    t.deepEqual(rows.map((r) => [r[0], r[1]]), [['1', 'none'], ['2', 'rotation2'], ['3', 'colorperm3'], ['4', 'rotation'], ['6', 'colorperm'], ['12', 'rotation+colorperm3'], ['24', 'rotation+colorperm']]);
    t.deepEqual(rows[0]!.slice(7, 13).map(Number), [0, 0, 0, 0, 0, 0], 'M = 1 is the baseline: no gain');
    const base = (await readResults(join(out, 'synthetic', 'base', 'seed-0', 'test', 'results.json'))).inferences.single!.accuracy;
    for (const [i, run] of ['m2', 'm3', 'm4', 'm6', 'm12', 'm24'].entries()) {
      const r = (await readResults(join(out, 'synthetic', run, 'seed-0', 'test', 'results.json'))).inferences;
      const row = rows[i + 1]!.map(Number);
      t.true(Math.abs(row[7]! - 100 * (r.aggregated!.accuracy - base)) < 1e-6, `${run} AG - Baseline`);
      t.true(Math.abs(row[10]! - 100 * (r.aggregated!.accuracy - r.single!.accuracy)) < 1e-6, `${run} AG - SI`);
      t.true(row[8]! <= row[7]! && row[7]! <= row[9]!, `${run} interval around the gain`);
    }
    const svg = await readFile(files[1]!, 'utf8');
    t.is((svg.match(/<circle /g) ?? []).length, 14, 'seven M values x two series');
    t.regex(markdown, /### Figure 3/);
    t.notRegex(markdown, /### Table 1/, 'figure3 layout only');
    const again = await runCaptured(['report', out], [report]);
    t.is(again.code, 0);
    t.is(again.stdout, markdown, 'jointshot report renders a classify bench folder the same way');
  });
});

test('classify bench configs: one-line errors before any work', async (t) => {
  const base = benchPreset('classify-quick');
  t.throws(() => resolveBenchConfig(base, { ensembles: [{ name: 'e', run: 'da', inferences: ['single'] }] }), { message: /ensembles\[0\]: run 'da' has one seed; an ensemble needs at least 2/ });
  t.throws(() => resolveBenchConfig(base, { ensembles: [{ name: 'e', run: 'nope', inferences: ['single'] }] }), { message: /ensembles\[0\]\.run 'nope' is not one of the runs/ });
  t.throws(() => resolveBenchConfig(base, { layouts: ['table9' as 'tables'] }), { message: /unknown layout 'table9': expected tables or figure3/ });
  t.throws(() => resolveBenchConfig(base, { ensembles: [{ name: 'base', run: 'sla', inferences: ['single'] }] }), { message: /the name 'base' is used twice/ });
  t.throws(() => resolveBenchConfig(base, { runs: [] }), { message: /a classify bench needs runs/ });
  t.throws(() => resolveBenchConfig(base, { runs: [{ name: 'x', objective: 'sla', transform: 'rotation', inferences: ['single'], train: { epochs: 0 } }], ensembles: [] }), { message: /epochs must be an integer >= 1/ });
  await t.throwsAsync(runBench({ config: resolveBenchConfig(base), outDir: '/nonexistent', loadSplit: () => Promise.reject(new Error('unused')) }), { message: /runClassifyBench/ });
  await withTempDir(async (root) => {
    const sdOnSla = resolveBenchConfig(base, { runs: [{ name: 'x', objective: 'sla', transform: 'rotation', inferences: ['sd'] }], ensembles: [] });
    await t.throwsAsync(runClassifyBench({ config: sdOnSla, outDir: root, loadData }), { message: /run x: inference 'sd' is not offered by objective sla; available: single, aggregated, ten-crop/ });
    const mtPlain = resolveBenchConfig(base, { runs: [{ name: 'x', objective: 'mt', transform: 'none', inferences: ['single'] }], ensembles: [] });
    await t.throwsAsync(runClassifyBench({ config: mtPlain, outDir: root, loadData }), { message: /objective 'mt' needs a transformation set with M > 1/ });
  });
});
