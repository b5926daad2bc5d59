import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { episodicMicroBatch, MAX_DEFAULT_MICRO_BATCH, microBatchForBudget } from '../../src/train/budget.js';
import { largestBnGroup } from '../../src/train/step.js';
import { presetConfig, resolveTrainConfig, TRAIN_PRESETS } from '../../src/train/config.js';

const conv4 = { name: 'conv4' };
const cpuReal = { ...TRAIN_PRESETS['cpu-real'] } as { ways: number; shots: number; queries: number; episodesPerBatch: number };

test('largest batch-norm group of the cpu-real step under each grouping', (t) => {
  t.is(largestBnGroup('support-query', cpuReal, 4), 480); // 4 episodes x 5 x 6 queries x 4 rotations
  t.is(largestBnGroup('support-query', cpuReal, 1), 120);
  t.is(largestBnGroup('episode', cpuReal, 4), 220);
  t.is(largestBnGroup('pass', cpuReal, 4), 0);
});

test('the derived micro-batch is the budget default unless a group is larger, then the group', (t) => {
  t.is(microBatchForBudget(conv4, 32, 32, 3072), MAX_DEFAULT_MICRO_BATCH);
  for (const wasm of [false, true]) t.is(episodicMicroBatch(conv4, 32, 32, 3072, 120, wasm), 256);
  t.is(episodicMicroBatch(conv4, 32, 32, 3072, 480, false), 480);
  t.is(episodicMicroBatch(conv4, 32, 32, 3840, 480, true), 480); // 8 MiB per image estimated
});

test('on wasm a group the heap budget cannot hold is a one-line UsageError naming the budget it needs', (t) => {
  const error = t.throws(() => episodicMicroBatch(conv4, 32, 32, 3072, 480, true), { instanceOf: UsageError });
  t.regex(error!.message, /group of 480 images .* heap budget of 3072 MiB \(384 conv4 32x32 images\): set heapBudgetMiB >= 3840, or lower episodesPerBatch/);
  t.notRegex(error!.message, /\n/);
  const huge = t.throws(() => episodicMicroBatch(conv4, 32, 32, 3072, 960, true), { instanceOf: UsageError });
  t.notRegex(huge!.message, /heapBudgetMiB >=/, 'no budget above the 4 GiB heap is suggested');
});

test('cpu-real with rotation needs no micro-batch setting on any backend: its passes hold the 480-image query group', (t) => {
  const config = resolveTrainConfig(presetConfig('cpu-real'), { transform: 'rotation' });
  const group = largestBnGroup(config.bnGrouping, config, 4);
  for (const wasm of [false, true]) t.is(episodicMicroBatch(conv4, 32, 32, config.heapBudgetMiB, group, wasm), 480);
});
