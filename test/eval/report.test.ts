import test from 'ava';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULTS_FORMAT, RESULTS_VERSION, renderReport, summarizeResults, writeEvalOutputs, type EvalResults } from '../../src/eval/index.js';
import { meanConfidenceInterval, metaOptNetHalfWidth } from '../../src/stats/index.js';

function results(single: number[], aggregated: number[], copies = 4): EvalResults {
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    dataset: 'synthetic',
    split: 'test',
    ways: 5,
    shots: 1,
    queries: 15,
    count: single.length,
    manifest: { sha256: 'a'.repeat(64), seed: 0, file: null },
    model: { backbone: { name: 'conv4' }, head: 'protonet', transform: copies === 1 ? 'none' : 'rotation', copies, info: null },
    backend: { name: 'cpu', threads: 1 },
    timing: { embedSeconds: 1, episodeSeconds: 2, totalSeconds: 3, imagesEmbedded: 10, workers: 1, cacheBytes: 100 },
    accuracy: { single, aggregated },
    finishedAt: '2026-11-27T00:00:00.000Z',
  };
}

const single = [0.4, 0.6, 0.5333333333333333, 0.7333333333333333, 0.2];
const aggregated = [0.6, 0.6666666666666666, 0.8, 0.5333333333333333, 0.4666666666666667];

test('report numbers are meanConfidenceInterval of the per-episode accuracies, in percent', (t) => {
  const summary = summarizeResults(results(single, aggregated));
  for (const [mode, values] of [['single', single], ['aggregated', aggregated]] as const) {
    const percent = values.map((v) => 100 * v);
    const normal = meanConfidenceInterval(percent);
    const tInterval = meanConfidenceInterval(percent, { method: 't' });
    const s = summary[mode];
    t.is(s.n, 5);
    t.is(s.mean, normal.mean);
    t.is(s.ci95, normal.halfWidth);
    t.is(s.ci95t, tInterval.halfWidth);
    t.is(s.std, normal.std);
    t.is(s.ci95MetaOptNet, metaOptNetHalfWidth(percent));
    // 1.96 s / sqrt(n) with the sample std, by hand.
    const mean = percent.reduce((a, b) => a + b, 0) / 5;
    const sd = Math.sqrt(percent.reduce((a, v) => a + (v - mean) ** 2, 0) / 4);
    t.true(Math.abs(s.ci95! - (1.96 * sd) / Math.sqrt(5)) < 1e-3);
    t.true(s.ci95t! > s.ci95!, 'the t interval is wider at n = 5');
  }
});

test('markdown puts single and aggregated side by side; M = 1 has one column of numbers', (t) => {
  const md = renderReport(results(single, aggregated), 'markdown');
  const s = summarizeResults(results(single, aggregated));
  const row = md.split('\n')[2]!;
  t.true(row.includes(`${s.single.mean.toFixed(2)} ± ${s.single.ci95!.toFixed(2)} (t ± ${s.single.ci95t!.toFixed(2)})`));
  t.true(row.includes(`${s.aggregated.mean.toFixed(2)} ± ${s.aggregated.ci95!.toFixed(2)}`));
  t.true(row.includes('conv4 protonet+rotation'));
  t.regex(md, /√\(n\+1\)/);
  const plain = renderReport(results(single, single, 1), 'markdown');
  t.true(plain.split('\n')[2]!.includes('= single (M = 1)'));
  const two = renderReport([results(single, aggregated), results(single, single, 1)], 'markdown');
  t.is(two.split('\n').filter((l) => l.startsWith('| synthetic/test')).length, 2);
});

test('json report parses back to the summary; one episode gives no interval', (t) => {
  const parsed = JSON.parse(renderReport(results(single, aggregated), 'json'));
  t.deepEqual(parsed, JSON.parse(JSON.stringify(summarizeResults(results(single, aggregated)))));
  const one = summarizeResults(results([0.5], [0.75]));
  t.is(one.single.ci95, null);
  t.is(one.aggregated.mean, 75);
  t.regex(renderReport(results([0.5], [0.75]), 'markdown'), /1 episode, no interval/);
  t.throws(() => renderReport(results(single, single), 'html' as never), { message: /json or markdown/ });
});

test('writeEvalOutputs writes results (stamped with version and commit), episodes.csv and both reports atomically (no temporary files left)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-eval-'));
  try {
    const r = results(single, aggregated);
    const files = await writeEvalOutputs(join(dir, 'out'), r);
    const written = JSON.parse(await readFile(files.results, 'utf8'));
    t.deepEqual({ ...written, software: undefined }, { ...r, software: undefined });
    t.is(written.software.name, 'jointshot');
    t.regex(String(written.software.commit), /^[0-9a-f]{40}(\+dirty)?$|^null$/);
    t.is(await readFile(files.reportMarkdown, 'utf8'), renderReport(r, 'markdown'));
    t.deepEqual((await readdir(join(dir, 'out'))).sort(), ['episodes.csv', 'report.json', 'report.md', 'results.json']);
    const csv = (await readFile(files.episodes, 'utf8')).trim().split('\n');
    t.is(csv[0], 'episode,single,aggregated');
    t.deepEqual(csv.slice(1).map((l) => l.split(',').map(Number)), r.accuracy.single.map((v, i) => [i, v, r.accuracy.aggregated[i]!]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
