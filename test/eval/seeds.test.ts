import test from 'ava';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBackbone } from '../../src/backbones/index.js';
import evalCommand from '../../src/cli/commands/eval.js';
import type { EvalResults } from '../../src/eval/index.js';
import { seedModels } from '../../src/eval/seeds.js';
import { UsageError } from '../../src/errors.js';
import { createHead } from '../../src/heads/index.js';
import { saveModel, TRAIN_FILES } from '../../src/train/index.js';
import { getLabelTransform, normalizationFor } from '../../src/transforms/index.js';
import { runCaptured } from '../helpers/cli.js';
import { withTempDir } from '../train/fixtures.js';

/**
 * A finished run of `seed` in `dir` as train --seeds leaves it: config.json, summary.json and a
 * best.jsm (a narrow Conv-4 initialised from the seed, head `head`, no transformation) recording its seed.
 */
async function fakeSeedRun(dir: string, seed: number, head = 'protonet'): Promise<void> {
  await mkdir(dir, { recursive: true });
  const backbone = createBackbone({ name: 'conv4', channels: 4, seed: 10 + seed });
  const fresh = createHead(head);
  try {
    await saveModel(join(dir, TRAIN_FILES.best), {
      backbone,
      head: fresh,
      headName: head,
      headOptions: {},
      transform: getLabelTransform('none'),
      dataset: 'synthetic',
      normalization: normalizationFor('synthetic'),
      imageSize: { height: 32, width: 32, channels: 3 },
      info: { trainConfig: { seed, head } },
    });
  } finally {
    backbone.dispose();
    fresh.dispose();
  }
  await writeFile(join(dir, TRAIN_FILES.config), JSON.stringify({ seed, head }));
  await writeFile(join(dir, TRAIN_FILES.summary), JSON.stringify({ steps: 2, totalSteps: 2, stopped: false, best: null, trainSeconds: 1 }));
}

const jointshot = (args: string[]) => runCaptured(['eval', '--backend', 'cpu', '--dataset', 'synthetic', ...args], [evalCommand]);
const SHAPE = ['--ways', '3', '--shots', '1', '--queries', '1'];
const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const T_975_DF1 = 12.706204736174698; // scipy.stats.t.ppf(0.975, 1)
const Z_975 = 1.959963984540054; // scipy.stats.norm.ppf(0.975)

// One test for the CLI runs: it captures process-wide streams, so its steps must not interleave with others.
test.serial('eval --seeds: each seed on the same episodes, the mean over seeds with the across-seed t interval beside the pooled one; one-line errors', async (t) => {
  await withTempDir(async (root) => {
    const run = join(root, 'run');
    for (const seed of [0, 1]) await fakeSeedRun(join(run, `seed-${seed}`), seed);
    const out = join(root, 'eval');
    const ok = await jointshot(['--model', run, '--seeds', '0,1', '--episodes', '4', ...SHAPE, '--out', out, '--json']);
    t.is(ok.code, 0, ok.stderr);
    t.regex(ok.stderr, /^seed 0 \(1\/2\): .*seed-0\/best\.jsm$/m);
    t.regex(ok.stderr, /^2 seeds on the same 4 episodes; wrote .*table\.md/m);
    const printed = JSON.parse(ok.stdout);
    t.deepEqual(printed.table, JSON.parse(await readFile(join(out, 'table.json'), 'utf8')), 'the printed table is table.json');
    t.is(printed.table.format, 'jointshot-table');

    const perSeed = await Promise.all([0, 1].map(async (s) => JSON.parse(await readFile(join(out, `seed-${s}`, 'results.json'), 'utf8')) as EvalResults));
    t.is(perSeed[0]!.manifest.sha256, perSeed[1]!.manifest.sha256);
    t.notDeepEqual(perSeed[0]!.accuracy.single, perSeed[1]!.accuracy.single, 'two different models');
    const means = perSeed.map((r) => 100 * mean(r.accuracy.single));
    const pooled = perSeed.flatMap((r) => r.accuracy.single.map((v) => 100 * v));
    const sd = Math.sqrt(pooled.reduce((a, v) => a + (v - mean(pooled)) ** 2, 0) / (pooled.length - 1));
    const [cell] = printed.table.cells;
    t.deepEqual(cell.seeds.map((s: { seed: number }) => s.seed), [0, 1]);
    t.true(Math.abs(cell.acrossSeeds.mean - mean(means)) < 1e-9);
    t.true(Math.abs(cell.acrossSeeds.halfWidth - (T_975_DF1 * Math.abs(means[0]! - means[1]!)) / 2) < 1e-6);
    t.is(cell.summary.n, 8);
    t.true(Math.abs(cell.summary.ci95 - (Z_975 * sd) / Math.sqrt(8)) < 1e-9);
    const markdown = await readFile(join(out, 'table.md'), 'utf8');
    t.regex(markdown, /Cells over 2 training seeds: mean over the seeds ± 95% Student-t half-width across the seeds' means .* in parentheses ± 1\.96·s\/√N over all N episodes of all seeds pooled/);

    const bad: [string[], RegExp][] = [
      [['--model', join(run, 'seed-0', 'best.jsm'), '--seeds', '0'], /--seeds takes the folder of a train --seeds run .* is one model file: drop --seeds/],
      [['--model', run, '--seeds', '0,2'], /seed-2 does not exist \(seeds there: 0, 1\); train it with jointshot train --seeds 2/],
      [['--model', run, '--seeds', '0,0'], /lists seed 0 twice/],
      [['--model', run, '--seeds', '0,x'], /--seeds must be a comma-separated list of integers/],
      [['--model', run, '--seeds', '0,1', '--shard', '1/2'], /--shard cannot be combined with --seeds/],
      [['--model', join(root, 'nothing'), '--seeds', '0'], /--model .*nothing: no such folder/],
      // Other episodes (a different count) into the same --out.
      [['--model', run, '--seeds', '0,1', '--episodes', '3', ...SHAPE, '--out', out], /seed-0\/results\.json was evaluated on other episodes .*choose another --out/],
    ];
    for (const [args, pattern] of bad) {
      const r = await jointshot([...args, ...(args.includes('--out') ? [] : ['--episodes', '2', ...SHAPE, '--out', join(root, 'bad')])]);
      t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('backend: '));
      t.is(lines.length, 1, r.stderr);
      t.regex(lines[0]!, pattern);
    }
  });
});

test.serial('seedModels: bench cells (seed-<s>/train/), unfinished runs, renamed folders and mixed methods are refused', async (t) => {
  await withTempDir(async (root) => {
    const cell = join(root, 'cell');
    for (const seed of [1, 2]) await fakeSeedRun(join(cell, `seed-${seed}`, 'train'), seed);
    t.deepEqual((await seedModels(cell, [2, 1])).map((m) => m.file), [join(cell, 'seed-2', 'train', 'best.jsm'), join(cell, 'seed-1', 'train', 'best.jsm')]);

    await rm(join(cell, 'seed-2', 'train', TRAIN_FILES.summary));
    await t.throwsAsync(seedModels(cell, [1, 2]), { instanceOf: UsageError, message: /seed-2\/train: the training of seed 2 has not finished .*train --resume/ });

    const renamed = join(root, 'renamed');
    await fakeSeedRun(join(renamed, 'seed-0'), 0);
    await cp(join(renamed, 'seed-0'), join(renamed, 'seed-5'), { recursive: true });
    await t.throwsAsync(seedModels(renamed, [0, 5]), { instanceOf: UsageError, message: /seed-5\/config\.json records seed 0, not 5/ });

    const mixed = join(root, 'mixed');
    await fakeSeedRun(join(mixed, 'seed-0'), 0);
    await fakeSeedRun(join(mixed, 'seed-1'), 1, 'ridge');
    const cli = await jointshot(['--model', mixed, '--seeds', '0,1', '--episodes', '2', ...SHAPE, '--out', join(root, 'o')]);
    t.is(cli.code, 2);
    t.regex(cli.stderr, /seed-1\/best\.jsm \(head 'ridge', transformation 'none'\) is another method than .*seed-0\/best\.jsm \(head 'protonet'/);
  });
});
