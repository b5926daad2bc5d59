import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BENCH_PRESETS, benchCells, benchPreset, cellsOfShard, readBenchConfigFile, resolveBenchConfig } from '../../src/bench/index.js';
import { benchFlagLayer, parseSeeds } from '../../src/cli/commands/bench.js';
import { DEFAULT_TRAIN_CONFIG } from '../../src/train/index.js';
import { withTempDir } from '../report/fixtures.js';

test('merge order: defaults < preset < config file < flags; train options merge key by key', async (t) => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'bench.json');
    await writeFile(file, JSON.stringify({ heads: ['ridge'], evalEpisodes: 50, train: { epochs: 5, seed: 7, validation: { episodes: 4 } }, headOptions: { ridge: { lambda: 10 } } }));
    const flags = benchFlagLayer({ epochs: 2, shots: [5], preset: 'quick' } as never);
    const config = resolveBenchConfig(benchPreset('quick'), await readBenchConfigFile(file), flags);
    t.deepEqual(config.heads, ['ridge']); // file over preset/defaults
    t.deepEqual(config.transforms, ['none', 'rotation']); // defaults
    t.deepEqual(config.shots, [5]); // flag
    t.is(config.evalEpisodes, 50); // file over preset (100)
    t.is(config.train.epochs, 2); // flag over file over preset
    t.is(config.train.seed, 7); // file, not overridden by an absent flag
    t.is(config.train.batchesPerEpoch, BENCH_PRESETS.quick!.train!.batchesPerEpoch); // preset
    t.deepEqual(config.train.validation, { episodes: 4, ways: 5, shots: 5, queries: 15 }); // merged key by key
    const [cell] = benchCells(config, 'out');
    t.is(cell!.train.head, 'ridge');
    t.deepEqual(cell!.train.headOptions, { lambda: 10 });
    t.is(cell!.train.momentum, DEFAULT_TRAIN_CONFIG.momentum); // trainer default under everything
    t.is(cell!.dir, join('out', 'synthetic', 'ridge-none'));
  });
});

test('--eval-episodes 0 means all; the no-argument default is quick with 3 heads x 2 transforms', (t) => {
  t.is(resolveBenchConfig(benchPreset('quick'), benchFlagLayer({ evalEpisodes: 0 } as never)).evalEpisodes, null);
  const quick = resolveBenchConfig(benchPreset('quick'));
  t.is(benchCells(quick, 'o').length, 6);
  t.throws(() => benchFlagLayer({ evalEpisodes: -1 } as never), { message: /--eval-episodes must be a non-negative integer/ });
});

test('paper-table5: ResNet-12, the 60 x 1000 x 8 recipe, 15-shot training on mini-imagenet with label smoothing', (t) => {
  const config = resolveBenchConfig(benchPreset('paper-table5'));
  const cells = benchCells(config, 'o');
  t.is(cells.length, 3 * 3 * 2);
  const mini = cells.find((c) => c.dataset === 'mini-imagenet' && c.head === 'svm' && c.transform === 'rotation')!.train;
  t.like(mini, { backbone: 'resnet12', epochs: 60, batchesPerEpoch: 1000, episodesPerBatch: 8, shots: 15, labelSmoothing: 0.1, headOptions: { C: 0.1 }, augmentation: 'recipe' });
  const cifar = cells.find((c) => c.dataset === 'cifar-fs' && c.head === 'ridge')!.train;
  t.like(cifar, { shots: 5, labelSmoothing: 0, headOptions: { lambda: 50 } });
  t.is(config.evalEpisodes, null);
});

test('bad layers fail before any work with one-line errors', async (t) => {
  t.throws(() => benchPreset('fast'), { message: /unknown bench preset 'fast': expected one of quick, cpu-real, paper-table5/ });
  t.throws(() => resolveBenchConfig({ head: ['x'] } as never), { message: /unknown bench option 'head'/ });
  t.throws(() => resolveBenchConfig({ heads: [] }), { message: /heads must be a non-empty list/ });
  t.throws(() => resolveBenchConfig({ shots: [0] }), { message: /shots must be a non-empty list of positive integers/ });
  t.throws(() => resolveBenchConfig({ train: { epochs: 0 } }), { message: /epochs must be an integer >= 1/ });
  t.throws(() => resolveBenchConfig({ train: { epoch: 3 } as never }), { message: /unknown training option 'epoch'/ });
  await withTempDir(async (dir) => {
    const file = join(dir, 'b.json');
    await writeFile(file, '{ "heads": [');
    await t.throwsAsync(readBenchConfigFile(file), { message: /^--config .*b\.json: not valid JSON/ });
    await t.throwsAsync(readBenchConfigFile(join(dir, 'none.json')), { message: /no such file or not readable/ });
  });
});

test('bench shards (1-based) take contiguous blocks of cells, together exactly once, like eval shards of episodes', (t) => {
  const cells = benchCells(resolveBenchConfig(benchPreset('quick')), 'o');
  const parts = [1, 2, 3, 4].map((number) => cellsOfShard(cells, { number, count: 4 }));
  t.deepEqual(parts.flat().map((c) => c.index), cells.map((c) => c.index));
  t.deepEqual(parts.map((p) => p.map((c) => c.index)), [[0], [1, 2], [3], [4, 5]]);
});

test('--seeds: every cell once per seed in seed-<s>/, the seed in its training config; one-line errors for bad seeds', (t) => {
  const config = resolveBenchConfig(benchPreset('quick'), { heads: ['protonet'], transforms: ['none'], seeds: [0, 7] });
  const cells = benchCells(config, 'o');
  t.deepEqual(cells.map((c) => [c.seed, c.train.seed, c.dir]), [
    [0, 0, join('o', 'synthetic', 'protonet-none', 'seed-0')],
    [7, 7, join('o', 'synthetic', 'protonet-none', 'seed-7')],
  ]);
  t.deepEqual(benchCells(resolveBenchConfig(benchPreset('quick'), { heads: ['protonet'], transforms: ['none'] }), 'o').map((c) => [c.seed, c.dir]), [[null, join('o', 'synthetic', 'protonet-none')]]);
  for (const seeds of [[], [1, 1], [0.5]]) t.throws(() => resolveBenchConfig({ seeds }), { message: /^seeds must be null or a non-empty list of distinct integers/ });
  t.deepEqual(parseSeeds('0,1, 2'), [0, 1, 2]);
  t.throws(() => parseSeeds('0;1'), { message: /^--seeds must be a comma-separated list of integers/ });
  t.throws(() => benchFlagLayer({ seed: 1, seeds: '0,1' } as never), { message: /give --seed S .* or --seeds/ });
  t.deepEqual(benchFlagLayer({ seeds: '3,4' } as never).seeds, [3, 4]);
});
