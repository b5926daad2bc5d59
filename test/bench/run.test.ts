import test from 'ava';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveBenchConfig, runBench, trainingState, writeBenchReport, benchCells, type BenchConfig, type BenchRunOptions } from '../../src/bench/index.js';
import { createSyntheticDataset } from '../../src/data/synthetic.js';
import type { SplitName } from '../../src/data/types.js';
import { makeManifest, writeManifest } from '../../src/episodes/index.js';
import type { EvalResults } from '../../src/eval/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { withTempDir } from '../report/fixtures.js';

test.before(useCpuBackend);

/** 16x16 glyphs named `synthetic`: 4 train, 3 test classes, 8 images each. */
const tiny = createSyntheticDataset({ classes: { train: 4, val: 2, test: 3 }, imagesPerClass: 8, size: 16 });
const loadSplit = (_dataset: string, split: SplitName) => tiny.load(split, { dataDir: '' });

/** Two cells (ProtoNet plain and SLA-rotation), 4 steps each, one 3-way 1-shot evaluation of 4 episodes. */
function tinyBench(): BenchConfig {
  return resolveBenchConfig({
    datasets: ['synthetic'],
    heads: ['protonet'],
    transforms: ['none', 'rotation'],
    shots: [1],
    evalEpisodes: null,
    train: {
      backboneOptions: { channels: 4 },
      ways: 2,
      shots: 1,
      queries: 1,
      episodesPerBatch: 1,
      batchesPerEpoch: 2,
      epochs: 2,
      lrSchedule: [{ epoch: 1, lr: 0.05 }],
      augmentation: 'none',
      validation: { episodes: 0, ways: 2, shots: 1, queries: 1 },
      checkpointEvery: 1,
    },
  });
}

/** A manifests folder holding a small "canonical" 1-shot manifest for the tiny test split. */
async function manifests(root: string): Promise<string> {
  const dir = join(root, 'episodes');
  await mkdir(join(dir, 'synthetic'), { recursive: true });
  const test = await loadSplit('synthetic', 'test');
  await writeManifest(join(dir, 'synthetic', 'test-5way-1shot.json'), makeManifest(test, { ways: 3, shots: 1, queries: 2, count: 4, seed: 0 }));
  return dir;
}

/** One uninterrupted, unsharded reference run under a shared temporary folder (made once). */
let reference: Promise<string> | undefined;
let referenceRoot: string | undefined;
function referenceRun(): Promise<string> {
  reference ??= (async () => {
    referenceRoot = await mkdtemp(join(tmpdir(), 'jointshot-bench-ref-'));
    const summary = await runBench({ config: tinyBench(), loadSplit, manifestsDir: await manifests(referenceRoot), outDir: join(referenceRoot, 'whole') });
    if (summary.stopped || summary.cells.some((c) => c.training !== 'trained')) throw new Error('reference bench run did not train both cells');
    return join(referenceRoot, 'whole');
  })();
  return reference;
}
test.after.always(async () => {
  if (referenceRoot) await rm(referenceRoot, { recursive: true, force: true });
});

const accuracy = async (dir: string) => (JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as EvalResults).accuracy;

test.serial('bench: an interrupted run resumes its cell, finished cells and evaluations are skipped, the table has every method', async (t) => {
  await withTempDir(async (root) => {
    await withNoLeaks(t, async () => {
      const config = tinyBench();
      const base: Omit<BenchRunOptions, 'outDir'> = { config, loadSplit, manifestsDir: await manifests(root) };
      const whole = await referenceRun();

      // Interrupted in the second cell after its first step.
      const out = join(root, 'parts');
      const controller = new AbortController();
      const first = await runBench({
        ...base,
        outDir: out,
        signal: controller.signal,
        onTrainStep: (cell, step) => cell.transform === 'rotation' && step === 1 && controller.abort(),
      });
      t.true(first.stopped);
      t.deepEqual(first.cells.map((c) => [c.training, c.evaluations.map((e) => e.status)]), [['trained', ['evaluated']], ['stopped', []]]);
      const [plain, sla] = benchCells(config, out);
      t.is(await trainingState(plain!), 'done');
      t.is(await trainingState(sla!), 'partial');

      const second = await runBench({ ...base, outDir: out });
      t.deepEqual(second.cells.map((c) => [c.training, c.evaluations.map((e) => e.status)]), [['skipped', ['skipped']], ['resumed', ['evaluated']]]);
      for (const cell of ['protonet-none', 'protonet-rotation']) {
        t.deepEqual(await accuracy(join(out, 'synthetic', cell, 'eval-1shot')), await accuracy(join(whole, 'synthetic', cell, 'eval-1shot')), cell);
      }
      const third = await runBench({ ...base, outDir: out });
      t.deepEqual(third.cells.map((c) => [c.training, c.evaluations.map((e) => e.status)]), [['skipped', ['skipped']], ['skipped', ['skipped']]]);

      // Each run writes its resolved config next to its results.
      t.deepEqual(JSON.parse(await readFile(join(out, 'bench-config.json'), 'utf8')), config);
      t.deepEqual(JSON.parse(await readFile(join(out, 'synthetic', 'protonet-rotation', 'train', 'config.json'), 'utf8')), sla!.train);
      t.true((await readdir(join(out, 'synthetic', 'protonet-rotation', 'eval-1shot'))).includes('eval-config.json'));

      const { markdown, files } = await writeBenchReport(out);
      t.regex(markdown, /^\| method \| synthetic 3-way 1-shot \|$/m);
      t.deepEqual(markdown.split('\n').slice(2, 5).map((l) => l.split(' | ')[0]), ['| ProtoNet', '| ProtoNet + SLA', '| ProtoNet + SLA+AG']);
      t.true((await readFile(files.svg, 'utf8')).includes('<polyline'));

      // Another recipe in the same folder is refused, naming the difference.
      const other = resolveBenchConfig(config, { train: { epochs: 3 } });
      await t.throwsAsync(runBench({ ...base, config: other, outDir: out }), { message: /protonet-none\/train holds a run trained with different epochs; choose another --out/ });
    });
  });
});

test.serial('bench --shard: two shards into one folder give the cells and results of the unsharded run', async (t) => {
  await withTempDir(async (root) => {
    const config = tinyBench();
    const base = { config, loadSplit, manifestsDir: await manifests(root) };
    const whole = await referenceRun();
    const a = await runBench({ ...base, outDir: join(root, 'sharded'), shard: { number: 1, count: 2 } });
    const b = await runBench({ ...base, outDir: join(root, 'sharded'), shard: { number: 2, count: 2 } });
    t.deepEqual([...a.cells, ...b.cells].map((c) => c.transform), ['none', 'rotation']);
    const csv = async (dir: string) => (await writeBenchReport(dir)).table.cells.map((c) => [c.row, c.summary]);
    t.deepEqual(await csv(join(root, 'sharded')), await csv(whole));
  });
});

test.serial('bench --seeds: one training per cell and seed in seed-<s>/, seeds differ, the report pools them into one cell per method', async (t) => {
  await withTempDir(async (root) => {
    const config = resolveBenchConfig(tinyBench(), { transforms: ['none'], seeds: [0, 1] });
    const out = join(root, 'seeds');
    const summary = await runBench({ config, loadSplit, manifestsDir: await manifests(root), outDir: out });
    t.deepEqual(summary.cells.map((c) => [c.seed, c.training]), [[0, 'trained'], [1, 'trained']]);
    const trained = async (seed: number) => JSON.parse(await readFile(join(out, 'synthetic', 'protonet-none', `seed-${seed}`, 'train', 'config.json'), 'utf8')) as { seed: number };
    t.deepEqual([(await trained(0)).seed, (await trained(1)).seed], [0, 1]);
    const { table, markdown } = await writeBenchReport(out);
    t.is(table.cells.length, 1);
    t.deepEqual(table.cells[0]!.seeds.map((s) => s.seed), [0, 1]);
    t.is(table.cells[0]!.summary.n, 8);
    t.not(table.cells[0]!.acrossSeeds, null);
    t.true(markdown.includes('Training seeds: 0, 1.'));
  });
});
