import test from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createBackbone, saveCheckpoint } from '../../src/backbones/index.js';
import evalCommand from '../../src/cli/commands/eval.js';
import report from '../../src/cli/commands/report.js';
import { describeSynthetic } from '../../src/data/synthetic.js';
import { makeManifest, writeManifest } from '../../src/episodes/index.js';
import type { EvalResults } from '../../src/eval/index.js';
import { collectResults, mergeSlices, parseShard, shardRange, sliceManifest, type SlicePart } from '../../src/report/index.js';
import { runCaptured } from '../helpers/cli.js';
import { fakeResults, withTempDir } from './fixtures.js';

const commands = [evalCommand, report];
const readResults = async (dir: string) => JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as EvalResults;

test('shard ranges: contiguous blocks that cover every episode once; bad --shard values are one-line usage errors', (t) => {
  for (const total of [1, 7, 10, 1000]) {
    for (const n of [1, 2, 3, 7]) {
      if (n > total) continue;
      const ranges = Array.from({ length: n }, (_, i) => shardRange(total, { number: i + 1, count: n }));
      t.is(ranges[0]!.start, 0);
      t.is(ranges.at(-1)!.end, total);
      ranges.slice(1).forEach((r, i) => t.is(r.start, ranges[i]!.end));
      t.true(ranges.every((r) => r.end - r.start >= Math.floor(total / n)));
    }
  }
  t.deepEqual(parseShard('2/4'), { number: 2, count: 4 });
  t.deepEqual(parseShard('4/4'), { number: 4, count: 4 });
  for (const bad of ['0/4', '5/4', '1/0', '-1/2', 'a/b', '1', '1/2/3']) t.throws(() => parseShard(bad), { message: /^--shard must be i\/n with 1 <= i <= n \(1-based/ }, bad);
  const manifest = makeManifest(describeSynthetic('test'), { ways: 2, shots: 1, queries: 1, count: 3, seed: 1 });
  t.throws(() => sliceManifest(manifest, { shard: { number: 1, count: 4 } }), { message: /shard 1\/4 of 3 episodes is empty/ });
});

test('merging refuses gaps, overlaps and shards of another manifest or model', (t) => {
  const part = (start: number, end: number, extra: Partial<SlicePart['info']['of']> = {}, head = 'protonet'): SlicePart => ({
    results: fakeResults({ head, single: Array.from({ length: end - start }, (_, i) => (start + i) / 10) }),
    info: { format: 'jointshot-episode-slice', version: 2, of: { sha256: 'a'.repeat(64), count: 6, seed: 0, file: null, ...extra }, start, end, shard: null },
    source: `s${start}`,
  });
  t.deepEqual(mergeSlices([part(3, 6), part(0, 3)]).results.accuracy.single, [0, 0.1, 0.2, 0.3, 0.4, 0.5]);
  t.throws(() => mergeSlices([part(0, 2), part(3, 6)]), { message: /leave episodes 2\.\.2 out/ });
  t.throws(() => mergeSlices([part(0, 4), part(3, 6)]), { message: /overlap/ });
  t.throws(() => mergeSlices([part(0, 3), part(3, 6, { sha256: 'b'.repeat(64) })]), { message: /different manifests/ });
  t.throws(() => mergeSlices([part(0, 3), part(3, 6, {}, 'ridge')]), { message: /different model/ });
});

// One test: the CLI captures process-wide streams, so its steps must not interleave with others.
test.serial('eval --shard i/3 then report merge equals the unsharded evaluation exactly; report merges shards on the fly', async (t) => {
  await withTempDir(async (dir) => {
    const checkpoint = join(dir, 'model.ck');
    const backbone = createBackbone({ name: 'conv4', channels: 4, seed: 1 });
    await saveCheckpoint(checkpoint, { backbone });
    backbone.dispose();
    const manifest = makeManifest(describeSynthetic('test'), { ways: 3, shots: 1, queries: 2, count: 7, seed: 5 });
    const manifestFile = join(dir, 'm.json');
    await writeManifest(manifestFile, manifest);
    const base = ['eval', '--backend', 'cpu', '--checkpoint', checkpoint, '--dataset', 'synthetic', '--transform', 'rotation', '--manifest', manifestFile];

    const whole = await runCaptured([...base, '--out', join(dir, 'whole')], commands);
    t.is(whole.code, 0, whole.stderr);
    for (let i = 1; i <= 3; i++) {
      const shard = await runCaptured([...base, '--shard', `${i}/3`, '--out', join(dir, 'shards', `s${i}`)], commands);
      t.is(shard.code, 0, shard.stderr);
    }
    t.deepEqual((await readdir(join(dir, 'shards', 's2'))).sort(), ['episodes.csv', 'report.json', 'report.md', 'results.json', 'slice.json']);
    // The per-episode CSV numbers episodes as in the manifest: shard 2/3 of 7 holds episodes 2 and 3.
    t.deepEqual((await readFile(join(dir, 'shards', 's2', 'episodes.csv'), 'utf8')).split('\n').map((l) => l.split(',')[0]), ['episode', '2', '3', '']);
    t.is((await readResults(join(dir, 'shards', 's2'))).count, 2);

    const merged = await runCaptured(['report', 'merge', join(dir, 'shards'), '--out', join(dir, 'merged')], commands);
    t.is(merged.code, 0, merged.stderr);
    t.regex(merged.stderr, /merged 3 shards \(the whole manifest\)/);
    const a = await readResults(join(dir, 'whole'));
    const b = await readResults(join(dir, 'merged'));
    t.deepEqual(b.accuracy, a.accuracy);
    t.deepEqual(b.manifest, a.manifest);
    t.is(b.count, a.count);
    t.deepEqual(b.model, a.model);
    const summary = async (d: string) => ({ ...JSON.parse(await readFile(join(dir, d, 'report.json'), 'utf8')), totalSeconds: 0 });
    t.deepEqual(await summary('merged'), await summary('whole'));

    // The table from the shards (merged on the fly) equals the table from the whole run.
    const fromShards = await collectResults([join(dir, 'shards')]);
    const fromWhole = await collectResults([join(dir, 'whole')]);
    t.deepEqual(fromShards.map((s) => s.results.accuracy), fromWhole.map((s) => s.results.accuracy));
    const tableShards = await runCaptured(['report', join(dir, 'shards'), '--format', 'csv'], commands);
    const tableWhole = await runCaptured(['report', join(dir, 'whole'), '--format', 'csv'], commands);
    t.is(tableShards.code, 0, tableShards.stderr);
    const numbers = (csv: string) => csv.split('\n').map((l) => l.split(',').slice(0, -1).join(','));
    t.deepEqual(numbers(tableShards.stdout), numbers(tableWhole.stdout));

    // A missing shard is named; merging a non-shard is refused.
    const missing = await runCaptured(['report', join(dir, 'shards', 's1'), join(dir, 'shards', 's3')], commands);
    t.is(missing.code, 2);
    t.regex(missing.stderr, /shard\(s\) 2\/3 of this evaluation are missing/);
    const notShard = await runCaptured(['report', 'merge', join(dir, 'whole'), join(dir, 'shards'), '--out', join(dir, 'x')], commands);
    t.is(notShard.code, 2);
    t.regex(notShard.stderr, /is not a shard \(no slice\.json\)/);
  });
});

test('slice.json of version 1 (0-based shard index) is read as the 1-based shard number', async (t) => {
  await withTempDir(async (dir) => {
    const { writeFile } = await import('node:fs/promises');
    const { readSliceInfo } = await import('../../src/report/index.js');
    const of = { sha256: 'a'.repeat(64), count: 6, seed: 0, file: null };
    await writeFile(join(dir, 'slice.json'), JSON.stringify({ format: 'jointshot-episode-slice', version: 1, of, start: 0, end: 3, shard: { index: 0, count: 2 } }));
    t.deepEqual(await readSliceInfo(dir), { format: 'jointshot-episode-slice', version: 2, of, start: 0, end: 3, shard: { number: 1, count: 2 } });
  });
});
