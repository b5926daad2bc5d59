import test from 'ava';
import { UsageError } from '../../src/errors.js';
import {
  DATASET_NORMALIZATION,
  measureChannelStats,
  normalizationFor,
  normalizeInPlace,
  prepareImages,
  recipeAugmentation,
} from '../../src/transforms/index.js';
import { createRng } from '../../src/util/rng.js';

test('MetaOptNet constants: CIFAR-FS = FC100, mini-ImageNet its own', (t) => {
  t.deepEqual(normalizationFor('cifar-fs').mean, [129.37731888, 124.10583864, 112.47758569]);
  t.deepEqual(normalizationFor('fc100'), normalizationFor('cifar-fs'));
  t.deepEqual(normalizationFor('mini-imagenet').std, [70.68188272, 68.27635443, 72.54505529]);
  for (const [name, stats] of Object.entries(DATASET_NORMALIZATION)) {
    t.is(stats.mean.length, 3, name);
    t.true(stats.std.every((s) => s > 0), name);
  }
  const err = t.throws(() => normalizationFor('imagenet-21k'), { instanceOf: UsageError });
  t.regex(err!.message, /no normalisation constants for dataset 'imagenet-21k'.*cifar-fs.*measureChannelStats/);
});

test('normalizeInPlace computes (x - mean_c) / std_c per interleaved channel', (t) => {
  const px = Float32Array.from([10, 20, 30, 40]);
  normalizeInPlace(px, { mean: [10, 20], std: [2, 4] });
  t.deepEqual(Array.from(px), [0, 0, 10, 5]);
  t.throws(() => normalizeInPlace(new Float32Array(3), { mean: [0, 0], std: [1, 1] }), { instanceOf: UsageError });
});

test('measureChannelStats gives the population mean and std per channel', (t) => {
  const stats = measureChannelStats([Uint8Array.from([0, 10, 2, 10]), Uint8Array.from([4, 10, 6, 10])], 2);
  t.deepEqual(stats.mean, [3, 10]);
  t.is(stats.std[1], 0);
  t.true(Math.abs(stats.std[0]! - Math.sqrt(5)) < 1e-12);
  t.throws(() => measureChannelStats([], 3), { instanceOf: UsageError });
});

test('prepareImages: plain path normalises, augmented path needs and uses the rng', (t) => {
  const shape = { height: 2, width: 2, channels: 3 };
  const stats = { mean: [1, 2, 3], std: [1, 1, 2] };
  const img = Uint8Array.from({ length: 12 }, (_, i) => i * 10);
  const plain = prepareImages([img], { shape, normalization: stats });
  t.deepEqual(Array.from(plain), Array.from(img, (v, i) => (v - stats.mean[i % 3]!) / stats.std[i % 3]!));
  t.throws(() => prepareImages([img], { shape, normalization: stats, augmentation: recipeAugmentation(2) }), {
    instanceOf: UsageError,
    message: /needs a seeded rng/,
  });
  const a = prepareImages([img, img], { shape, normalization: stats, augmentation: recipeAugmentation(2), rng: createRng(9) });
  const b = prepareImages([img, img], { shape, normalization: stats, augmentation: recipeAugmentation(2), rng: createRng(9) });
  t.deepEqual(a, b);
  t.throws(() => prepareImages([img], { shape, normalization: { mean: [0], std: [1] } }), { instanceOf: UsageError });
});
