import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import {
  DEFAULT_TRAIN_CONFIG,
  learningRateAt,
  presetConfig,
  readConfigFile,
  resolveTrainConfig,
  resumeConflicts,
  scaledSchedule,
} from '../../src/train/index.js';
import { withTempDir } from './fixtures.js';

test('defaults are the MetaOptNet recipe', (t) => {
  const c = resolveTrainConfig();
  t.deepEqual(
    { momentum: c.momentum, nesterov: c.nesterov, wd: c.weightDecay, P: c.episodesPerBatch, B: c.batchesPerEpoch, E: c.epochs, Q: c.queries },
    { momentum: 0.9, nesterov: true, wd: 5e-4, P: 8, B: 1000, E: 60, Q: 6 },
  );
  const lr = (e: number) => learningRateAt(c.lrSchedule, e);
  t.deepEqual([1, 19, 20, 39, 40, 49, 50, 60].map(lr), [0.1, 0.1, 0.006, 0.006, 0.0012, 0.0012, 0.00024, 0.00024]);
  t.deepEqual(scaledSchedule(60), DEFAULT_TRAIN_CONFIG.lrSchedule);
  t.deepEqual(scaledSchedule(6).map((s) => s.epoch), [1, 2, 4, 5]);
  t.deepEqual(scaledSchedule(1), [{ epoch: 1, lr: 0.1 }]);
});

test('merge order: defaults < preset < config file < flags; validation merges key by key', async (t) => {
  await withTempDir(async (dir) => {
    const file = join(dir, 'c.json');
    await writeFile(file, JSON.stringify({ shots: 3, epochs: 9, validation: { episodes: 7 } }));
    const c = resolveTrainConfig(presetConfig('quick'), await readConfigFile(file), { epochs: 2, head: undefined });
    t.is(c.dataset, 'synthetic'); // preset
    t.is(c.shots, 3); // file over preset
    t.is(c.epochs, 2); // flag over file
    t.is(c.head, 'protonet'); // an undefined flag does not erase
    t.deepEqual(c.validation, { ...presetConfig('quick').validation!, episodes: 7 });
  });
});

test('bad configs give one-line usage errors', async (t) => {
  const bad: [object, RegExp][] = [
    [{ ways: 0 }, /ways must be an integer >= 1/],
    [{ queries: 1.5 }, /queries must be an integer/],
    [{ momentum: 1 }, /momentum must be a number in \[0, 1\)/],
    [{ lrSchedule: [{ epoch: 2, lr: 0.1 }] }, /must start at epoch 1/],
    [{ lrSchedule: [{ epoch: 1, lr: 0.1 }, { epoch: 1, lr: 0.01 }] }, /increase strictly/],
    [{ labelSmoothing: 1 }, /labelSmoothing/],
    [{ augmentation: 'heavy' }, /augmentation must be/],
    [{ learningRate: 0.1 }, /unknown training option 'learningRate'/],
    [{ heapBudgetMiB: 5000 }, /heapBudgetMiB/],
    [{ task: 'classify', classifierLrScale: { transformation: 0 } }, /classifierLrScale\.transformation must be a number > 0, found 0/],
    [{ task: 'classify', classifierLrScale: [0.1] }, /classifierLrScale must be an object of classifier names and numbers > 0/],
    [{ classifierLrScale: { transformation: 0.1 } }, /classifierLrScale applies to whole-class training \(--task classify\)/],
  ];
  for (const [layer, pattern] of bad) {
    const error = t.throws(() => resolveTrainConfig(layer as never), { instanceOf: UsageError });
    t.regex(error!.message, pattern);
    t.false(error!.message.includes('\n'));
  }
  t.throws(() => presetConfig('huge'), { message: /unknown preset 'huge': expected one of quick, cpu-real/ });
  await withTempDir(async (dir) => {
    const file = join(dir, 'bad.json');
    await writeFile(file, '{ nope');
    await t.throwsAsync(readConfigFile(file), { instanceOf: UsageError, message: /not valid JSON/ });
    await t.throwsAsync(readConfigFile(join(dir, 'missing.json')), { instanceOf: UsageError, message: /no such file/ });
  });
});

test('resumeConflicts: bookkeeping and imageSize may change (also a config saved before imageSize existed); the recipe may not', (t) => {
  const config = resolveTrainConfig({ imageSize: 32 });
  const { imageSize: _dropped, ...older } = config;
  t.deepEqual(resumeConflicts(older as typeof config, config), []);
  t.deepEqual(resumeConflicts({ ...config, checkpointEvery: 7, microBatch: 64, imageSize: 0 }, config), []);
  t.deepEqual(resumeConflicts({ ...config, shots: 1, lrSchedule: [{ epoch: 1, lr: 0.05 }] }, config), ['shots', 'lrSchedule']);
});
