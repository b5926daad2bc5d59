import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import report from '../../src/cli/commands/report.js';
import { UsageError } from '../../src/errors.js';
import type { EvalResults } from '../../src/eval/results.js';
import { compareRuns, formatP, readCompareRun, renderComparison, type CompareRun } from '../../src/report/compare.js';
import { holmAdjust, mcnemarTest, pairedComparison, wilsonInterval, clopperPearsonInterval } from '../../src/stats/index.js';
import { runCaptured } from '../helpers/cli.js';
import { fakeResults, withTempDir } from './fixtures.js';

const base = [0.5, 0.6, 0.55, 0.7, 0.65, 0.5, 0.6, 0.45, 0.55, 0.6];
const better = base.map((v, i) => v + (i % 3 === 0 ? 0.1 : 0.05));
const same = base.map((v, i) => v + (i % 2 === 0 ? 0.02 : -0.02));

const episodeRun = (single: number[], head = 'protonet', transform = 'none', aggregated?: number[]): CompareRun => {
  const results = fakeResults({ head, transform, single, ...(aggregated ? { aggregated } : {}) });
  return { kind: 'episodes', label: head, source: `${head}-${transform}`, inference: transform === 'none' ? 'single' : 'aggregated', results, values: aggregated ?? single };
};

test('episode comparison: each run minus the baseline in points, t interval, t and Wilcoxon p-values, Holm over several', (t) => {
  const c = compareRuns([episodeRun(base), episodeRun(better, 'ridge'), episodeRun(same, 'svm')]);
  if (c.kind !== 'episodes') return t.fail();
  const pct = (v: number[]) => v.map((x) => 100 * x);
  const direct = [pairedComparison(pct(better), pct(base)), pairedComparison(pct(same), pct(base))];
  t.is(c.rows[0]!.versus, null);
  t.true(Math.abs(c.rows[1]!.versus!.meanDifference - 7) < 1e-9, 'ridge gains 7 points');
  c.rows.slice(1).forEach((row, i) => {
    t.is(row.versus!.t.pValue, direct[i]!.t.pValue);
    t.is(row.versus!.wilcoxon.pValue, direct[i]!.wilcoxon.pValue);
    t.deepEqual(row.versus!.interval, direct[i]!.interval);
  });
  const holm = holmAdjust(direct.map((d) => d.t.pValue));
  t.deepEqual(c.rows.slice(1).map((r) => r.versus!.holm.t), holm);
  const md = renderComparison(c);
  t.true(md.includes(`manifest sha256 ${'a'.repeat(64)}`));
  t.true(md.includes('| Holm t p | Holm Wilcoxon p |'));
  t.true(md.includes("Holm: p-values adjusted by Holm's step-down method"));
  t.true(md.includes('Paired t-test and Wilcoxon signed-rank test'));
  t.regex(md, /\| ridge \| 64\.00 ± \d+\.\d\d \| \+7\.00 \| \[\+\d\.\d\d, \+\d\.\d\d\] \| /);
  // Two runs: no Holm columns or note.
  t.false(renderComparison(compareRuns([episodeRun(base), episodeRun(better, 'ridge')])).includes('Holm'));
});

test('episode comparison refuses other manifests naming both hashes, other episode counts, and fewer than two runs', (t) => {
  const other = episodeRun(better, 'ridge');
  const results = other.results as EvalResults;
  results.manifest = { ...results.manifest, sha256: 'b'.repeat(64) };
  const error = t.throws(() => compareRuns([episodeRun(base), other]), { instanceOf: UsageError });
  t.true(error!.message.includes(`sha256 ${'a'.repeat(64)} vs ${'b'.repeat(64)}`));
  t.false(error!.message.includes('\n'));
  t.throws(() => compareRuns([episodeRun(base), episodeRun(better.slice(1), 'ridge')]), { message: /has 10 episodes but ridge-none has 9/ });
  t.throws(() => compareRuns([episodeRun(base)]), { message: /at least two results/ });
});

const classification = (testHash: string, inferences: Record<string, number[]>) => ({
  format: 'jointshot-classification-results',
  version: 1,
  dataset: 'cifar100',
  testHash,
  inferences: Object.fromEntries(Object.entries(inferences).map(([name, correct]) => [name, { accuracy: correct.reduce((s, v) => s + v, 0) / correct.length, correct }])),
  backend: { name: 'cpu', threads: 1 },
});

test('files: PATH[:inference] for episode and classification results; McNemar with Wilson and Clopper-Pearson intervals', async (t) => {
  await withTempDir(async (dir) => {
    const write = async (name: string, value: unknown) => {
      await mkdir(join(dir, name), { recursive: true });
      await writeFile(join(dir, name, 'results.json'), JSON.stringify(value));
      return join(dir, name);
    };
    const plain = await write('plain', fakeResults({ single: base }));
    const sla = await write('sla', fakeResults({ transform: 'rotation', single: same, aggregated: better }));
    t.is((await readCompareRun(sla)).inference, 'aggregated');
    t.deepEqual((await readCompareRun(`${sla}:single`)).values, same);
    t.is((await readCompareRun(join(plain, 'results.json'))).label, 'ProtoNet');
    await t.throwsAsync(readCompareRun(`${sla}:tencrop`), { message: /episode results have inferences single and aggregated, not 'tencrop'/ });

    const a = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const b = a.map((v, i) => (i % 7 === 0 ? 1 : v));
    const ca = await write('ca', classification('h1', { single: a, aggregated: b }));
    const cb = await write('cb', classification('h1', { single: b }));
    await t.throwsAsync(readCompareRun(ca), { message: /name one inference as .*:NAME; this file has single, aggregated/ });
    await t.throwsAsync(readCompareRun(`${ca}:ten`), { message: /no inference 'ten'; this file has single, aggregated/ });
    // rows name their model file (or the results folder when none is recorded) beside the inference
    t.is((await readCompareRun(`${ca}:single`)).label, `${ca} single`);
    const named = await write('named', { ...classification('h1', { single: b }), models: ['runs/mt-s0/best.jsm'] });
    t.is((await readCompareRun(named)).label, 'runs/mt-s0/best.jsm single');
    const ensemble = await write('ensemble', { ...classification('h1', { single: b }), models: ['a.jsm', 'b.jsm', 'c.jsm'] });
    t.is((await readCompareRun(ensemble)).label, 'ensemble of 3 single');
    const c = compareRuns([await readCompareRun(`${ca}:single`), await readCompareRun(cb)]);
    if (c.kind !== 'classification') return t.fail();
    const m = mcnemarTest(b, a);
    t.deepEqual(c.rows[1]!.versus!.mcnemar, m);
    const k = b.reduce<number>((s, v) => s + v, 0);
    const [wl, wh] = wilsonInterval(k, 200);
    const [el, eh] = clopperPearsonInterval(k, 200);
    t.deepEqual(c.rows[1]!.wilson, [100 * wl, 100 * wh]);
    t.deepEqual(c.rows[1]!.clopperPearson, [100 * el, 100 * eh]);
    t.true(renderComparison(c).includes(`${m.onlyA} / ${m.onlyB} | ${formatP(m.pValue)} (${m.method})`));
    const other = await write('other', classification('h2', { single: b }));
    await t.throwsAsync(async () => compareRuns([await readCompareRun(`${ca}:single`), await readCompareRun(other)]), { message: /different test sets \(testHash h1 vs h2\)/ });
    await t.throwsAsync(async () => compareRuns([await readCompareRun(plain), await readCompareRun(cb)]), { message: /cannot compare episode results with classification results/ });
  });
});

test.serial('jointshot report compare: Markdown, and --json prints the same document as --format json', async (t) => {
  await withTempDir(async (dir) => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    await writeFile(a, JSON.stringify(fakeResults({ single: base })));
    await writeFile(b, JSON.stringify(fakeResults({ head: 'ridge', single: better })));
    const md = await runCaptured(['report', 'compare', a, b], [report]);
    t.is(md.code, 0, md.stderr);
    t.true(md.stdout.includes('| MetaOptNet-RR | 64.00'));
    const json = await runCaptured(['report', 'compare', a, b, '--format', 'json'], [report]);
    const flag = await runCaptured(['--json', 'report', 'compare', a, b], [report]);
    t.is(json.code, 0, json.stderr);
    t.deepEqual(JSON.parse(flag.stdout), JSON.parse(json.stdout));
    t.is(JSON.parse(json.stdout).format, 'jointshot-comparison');
    const missing = await runCaptured(['report', 'compare', a, join(dir, 'none.json')], [report]);
    t.is(missing.code, 2);
    t.regex(missing.stderr, /none\.json: no such file or folder/);
  });
});
