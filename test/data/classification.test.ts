import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { classCounts, loadClassificationData } from '../../src/data/index.js';
import type { ClassificationData, LabelledImages } from '../../src/data/classification-types.js';
import { longTailCounts } from '../../src/data/class-subsets.js';
import { registerDataset } from '../../src/data/registry.js';
import { createSyntheticDataset, syntheticSplit, SYNTHETIC_DEFAULTS } from '../../src/data/synthetic.js';

const SMALL = { name: 'synthetic-whole-class', classes: { train: 3, val: 2, test: 1 }, imagesPerClass: 12, size: 8 };
registerDataset(createSyntheticDataset(SMALL));
const options = { ...SYNTHETIC_DEFAULTS, ...SMALL };
const dataDir = '/nonexistent-jointshot-data-dir';

/** The (class, image-within-class) of every image of a set, found by matching its bytes against the source. */
function identify(images: LabelledImages): [number, number][] {
  const splits = (['train', 'val', 'test'] as const).map((s) => syntheticSplit(s, options));
  const all = splits.flatMap((split) => split.classes.map((_, c) => Array.from({ length: 12 }, (_, i) => Buffer.from(split.image(c, i)).toString('hex'))));
  return Array.from(images.labels, (label, k) => [label, all[label]!.indexOf(Buffer.from(images.image(k)).toString('hex'))]);
}

const load = (extra: Partial<Parameters<typeof loadClassificationData>[1]> = {}): Promise<ClassificationData> =>
  loadClassificationData(SMALL.name, { dataDir, seed: 0, testPerClass: 4, ...extra });

test('a few-shot dataset read whole-class: train, val, test classes in order; each class split into disjoint train and test', async (t) => {
  const data = await load();
  t.deepEqual(data.classes, ['glyph-000', 'glyph-001', 'glyph-002', 'glyph-003', 'glyph-004', 'glyph-005']);
  t.deepEqual(classCounts(data.train), [8, 8, 8, 8, 8, 8]);
  t.deepEqual(classCounts(data.test), [4, 4, 4, 4, 4, 4]);
  t.is(data.val, undefined);
  t.is(data.train.height, 8);
  t.is(data.train.image(0).length, 8 * 8 * 3);
  const train = identify(data.train);
  const test_ = identify(data.test);
  t.true([...train, ...test_].every(([, i]) => i >= 0), 'every image is an image of its labelled class');
  for (let c = 0; c < 6; c++) {
    const mine = [...train, ...test_].filter(([l]) => l === c).map(([, i]) => i);
    t.deepEqual([...mine].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i), `class ${c}: train and test partition its images`);
  }
  t.regex(data.description, /6 classes \(train 3 \+ val 2 \+ test 1\).*seed 0 into 8 train \/ 4 test/);
  t.regex(data.testHash, /^[0-9a-f]{64}$/);
});

test('the train/test split depends on splitSeed only, not on the training seed; it is seeded, not the first images', async (t) => {
  const a = await load();
  const b = await load({ seed: 7 });
  const c = await load({ splitSeed: 1 });
  t.is(a.testHash, b.testHash);
  t.not(a.testHash, c.testHash);
  t.deepEqual(identify(a.test), identify((await load()).test));
  const firstFour = identify(a.test).every(([, i]) => i < 4);
  t.false(firstFour);
});

test('perClass keeps K seeded training images per class, nested across K; the test set is untouched', async (t) => {
  const full = await load();
  const three = await load({ perClass: 3 });
  const five = await load({ perClass: 5 });
  t.deepEqual(classCounts(three.train), [3, 3, 3, 3, 3, 3]);
  t.is(three.testHash, full.testHash);
  const key = ([l, i]: [number, number]): string => `${l}:${i}`;
  const fullSet = new Set(identify(full.train).map(key));
  const fiveSet = new Set(identify(five.train).map(key));
  t.true(identify(five.train).every((p) => fullSet.has(key(p))));
  t.true(identify(three.train).every((p) => fiveSet.has(key(p))));
  const otherSeed = await load({ perClass: 3, seed: 1 });
  t.notDeepEqual(identify(otherSeed.train), identify(three.train));
  t.regex(three.description, /3 training images per class \(a seeded choice, seed 0\)/);
});

test('imbalance: exp and step profiles give the long-tail counts, n_max the smallest class by default', async (t) => {
  const exp = await load({ imbalance: { profile: 'exp', ratio: 4 } });
  t.deepEqual(classCounts(exp.train), longTailCounts(6, 8, { profile: 'exp', ratio: 4 }));
  t.deepEqual(classCounts(exp.train), [8, 6, 4, 3, 2, 2]);
  const step = await load({ imbalance: { profile: 'step', ratio: 4, maxPerClass: 6 } });
  t.deepEqual(classCounts(step.train), [6, 6, 6, 1, 1, 1]);
  t.deepEqual(classCounts(step.test), [4, 4, 4, 4, 4, 4]);
  const both = await load({ perClass: 4, imbalance: { profile: 'exp', ratio: 4 } });
  t.deepEqual(classCounts(both.train), [4, 3, 2, 1, 1, 1]);
  t.regex(exp.description, /long-tailed \(exp, ratio 4\): 8 down to 2 per class, 25 in all/);
});

test('bad requests are one-line UsageErrors naming the fix', async (t) => {
  await t.throwsAsync(loadClassificationData('no-such-set', { dataDir, seed: 0 }), { instanceOf: UsageError, message: /unknown dataset 'no-such-set': expected one of/ });
  await t.throwsAsync(load({ perClass: 9 }), { instanceOf: UsageError, message: /--per-class 9 is more than the 8 training images of class 'glyph-000'.*use at most 8/ });
  await t.throwsAsync(load({ testPerClass: 12 }), { instanceOf: UsageError, message: /testPerClass 12 must be an integer in 1\.\.11/ });
  await t.throwsAsync(load({ holdOutVal: true }), { instanceOf: UsageError, message: /defines no validation set/ });
  await t.throwsAsync(load({ imbalance: { profile: 'exp', ratio: 0.5 } }), { instanceOf: UsageError, message: /ratio 0.5 must be a number >= 1/ });
  await t.throwsAsync(load({ imbalance: { profile: 'exp', ratio: 20 } }), { instanceOf: UsageError, message: /leaves class 'glyph-004'.*no image: use a ratio of at most 8/ });
  await t.throwsAsync(load({ imbalance: { profile: 'exp', ratio: 2, maxPerClass: 9 } }), { instanceOf: UsageError, message: /asks for 9 training images of class 'glyph-000'.*has 8/ });
  for (const e of [load({ perClass: 0 }), load({ seed: 0.5 })]) await t.throwsAsync(e, { instanceOf: UsageError });
});

test('classCounts counts labels, padding to a class count', (t) => {
  const images: LabelledImages = { height: 1, width: 1, channels: 1, labels: Int32Array.from([0, 2, 2, 1, 2]), image: () => new Uint8Array(1) };
  t.deepEqual(classCounts(images), [1, 1, 3]);
  t.deepEqual(classCounts(images, 5), [1, 1, 3, 0, 0]);
});

test('a dataset that describes no split and has no cache (a plugin) is loaded through its own load for all three splits', async (t) => {
  const inner = createSyntheticDataset({ ...SMALL, name: 'plugin-whole-class' });
  registerDataset({ ...inner, describe: () => undefined });
  const data = await loadClassificationData('plugin-whole-class', { dataDir, seed: 0, testPerClass: 4 });
  t.is(data.classes.length, 6);
  t.is(data.testHash, (await load()).testHash, 'same images as the described synthetic set');
});
