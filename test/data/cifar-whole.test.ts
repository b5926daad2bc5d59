import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataError, UsageError } from '../../src/errors.js';
import { readCacheIndex, writePackedSplit } from '../../src/data/cache.js';
import { classCounts, loadClassificationData, prepareDataset } from '../../src/data/index.js';
import { getDataset } from '../../src/data/registry.js';
import { CIFAR100_FINE_NAMES } from '../../src/data/splits/cifar-100.js';
import { CIFAR10_NAMES } from '../../src/data/splits/cifar-10.js';
import { CIFAR10_SLA_VAL_INDICES, CIFAR100_SLA_VAL_INDICES } from '../../src/data/splits/sla-cifar-val.js';
import { readTarEntries } from '../../src/data/tar.js';
import { FIXTURES, tempDir } from './helpers.js';

const C10_PYTHON = join(FIXTURES, 'cifar-10-python.tar.gz');
const C10_BINARY = join(FIXTURES, 'cifar-10-binary.tar.gz');
const C100_PYTHON = join(FIXTURES, 'cifar-100-python.tar.gz');
const pixel = (img: Uint8Array, row: number, col: number): number[] => [...img.subarray((row * 32 + col) * 3, (row * 32 + col) * 3 + 3)];

test('the carried SLA validation index lists: 5,000 sorted distinct indices into 50,000, equal to the reference files', (t) => {
  // sha256 of the comma-joined lists of hankook/SLA splits/cifar{10,100}_val_idx.npy (as converted to JSON), recorded with python3
  const expected = {
    cifar10: ['395c60291726b79a69b2abc9c9868da4bbb4add00b7a5806b73d46438c63bfd1', [9, 15, 19], [49954, 49966, 49993]],
    cifar100: ['aede563dfeedd96b8568f251057a335f412f0df90b3db8274599eacfcffe58f8', [14, 36, 44], [49951, 49953, 49981]],
  } as const;
  for (const [name, list] of [['cifar10', CIFAR10_SLA_VAL_INDICES], ['cifar100', CIFAR100_SLA_VAL_INDICES]] as const) {
    t.is(list.length, 5000);
    t.true(list.every((v, i) => Number.isInteger(v) && v >= 0 && v < 50000 && (i === 0 || v > list[i - 1]!)), `${name}: sorted, distinct, in range`);
    t.deepEqual([list.slice(0, 3), list.slice(-3)], [[...expected[name][1]], [...expected[name][2]]]);
    t.is(createHash('sha256').update(list.join(',')).digest('hex'), expected[name][0]);
  }
});

test('cifar-10 from the python archive: official train (batches 1-5) and test, classes in label order, file order kept', async (t) => {
  const dataDir = await tempDir(t);
  const indexes = await prepareDataset({ dataset: 'cifar-10', from: C10_PYTHON, dataDir });
  t.deepEqual(indexes.map((i) => `${i.split}:${i.images}:${i.layout}`), ['train:20:classification', 'test:10:classification']);
  t.deepEqual(indexes[0]!.classes.map((c) => c.name), [...CIFAR10_NAMES]);
  const data = await loadClassificationData('cifar-10', { dataDir, seed: 0 });
  t.deepEqual(data.classes, [...CIFAR10_NAMES]);
  t.deepEqual(classCounts(data.train), Array(10).fill(2));
  t.deepEqual(classCounts(data.test), Array(10).fill(1));
  // fixture pixels: channel 0 = 100*set + index in the set's file order, channel 1 = label, channel 2 = row + col
  const fileIndex = Array.from(data.train.labels, (label, k) => {
    t.deepEqual(pixel(data.train.image(k), 5, 6).slice(1), [label, 11]);
    return data.train.image(k)[0]!;
  });
  t.deepEqual([...fileIndex].sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  t.deepEqual(indexes[0]!.sourceIndex, fileIndex);
  for (let c = 0; c < 10; c++) t.true(fileIndex[2 * c]! < fileIndex[2 * c + 1]!, 'file order within a class');
  t.true(Array.from(data.test.labels, (_, k) => data.test.image(k)[0]!).every((v) => v >= 100 && v < 110));
  t.regex(data.description, /^cifar-10: 10 classes, its own split: 20 train \(2 per class\) \/ 10 test \(1 per class\), 32x32$/);
});

test('cifar-10 binary archive and the extracted folder give byte-identical caches', async (t) => {
  const python = await prepareDataset({ dataset: 'cifar-10', from: C10_PYTHON, dataDir: await tempDir(t) });
  const binary = await prepareDataset({ dataset: 'cifar-10', from: C10_BINARY, dataDir: await tempDir(t) });
  const extracted = await tempDir(t);
  for (const [name, bytes] of await readTarEntries(C10_BINARY, () => true)) {
    await mkdir(dirname(join(extracted, name)), { recursive: true });
    await writeFile(join(extracted, name), bytes);
  }
  const fromDir = await prepareDataset({ dataset: 'cifar-10', from: extracted, dataDir: await tempDir(t) });
  t.deepEqual(binary.map((i) => i.sha256), python.map((i) => i.sha256));
  t.deepEqual(fromDir.map((i) => i.sha256), python.map((i) => i.sha256));
  t.deepEqual(fromDir[0]!.sourceIndex, python[0]!.sourceIndex);
});

test('cifar-100 whole-class: 100 fine classes in label order, official train / test', async (t) => {
  const dataDir = await tempDir(t);
  await prepareDataset({ dataset: 'cifar-100', from: C100_PYTHON, dataDir });
  const data = await loadClassificationData('cifar-100', { dataDir, seed: 0 });
  t.deepEqual(data.classes, [...CIFAR100_FINE_NAMES]);
  t.deepEqual(classCounts(data.train), Array(100).fill(2));
  t.deepEqual(classCounts(data.test), Array(100).fill(1));
  // fixture pattern: channel 0 = 60*set + k-th image of the class in that set, channel 1 = label
  t.deepEqual(pixel(data.train.image(2 * 19 + 1), 0, 0), [1, 19, 0]);
  t.deepEqual(pixel(data.test.image(29), 0, 0), [60, 29, 0]);
});

test('cifar errors: not prepared (names the command), few-shot use, own test set, --size, truncated, small set with holdOutVal', async (t) => {
  const dataDir = await tempDir(t);
  await t.throwsAsync(loadClassificationData('cifar-10', { dataDir, seed: 0 }), { instanceOf: DataError, message: /no prepared cifar-10\/train .*jointshot data download cifar-10/ });
  await t.throwsAsync(getDataset('cifar-100').load('train', { dataDir }), { instanceOf: UsageError, message: /cifar-100 is a whole-class dataset/ });
  await t.throwsAsync(prepareDataset({ dataset: 'cifar-10', from: C10_PYTHON, dataDir, size: 64 }), { instanceOf: UsageError, message: /32x32; --size 64/ });
  await prepareDataset({ dataset: 'cifar-10', from: C10_PYTHON, dataDir });
  await t.throwsAsync(loadClassificationData('cifar-10', { dataDir, seed: 0, testPerClass: 5 }), { instanceOf: UsageError, message: /its own test set: drop testPerClass/ });
  await t.throwsAsync(loadClassificationData('cifar-10', { dataDir, seed: 0, holdOutVal: true }), { instanceOf: DataError, message: /has 20 images, the SLA validation indices need the official 50,000/ });
  const bad = await tempDir(t);
  const entries = await readTarEntries(C10_BINARY, () => true);
  for (const [name, bytes] of entries) {
    await mkdir(dirname(join(bad, name)), { recursive: true });
    await writeFile(join(bad, name), name.endsWith('data_batch_3.bin') ? bytes.subarray(0, 100) : bytes);
  }
  await t.throwsAsync(prepareDataset({ dataset: 'cifar-10', from: bad, dataDir: await tempDir(t) }), { instanceOf: DataError, message: /data_batch_3\.bin: 100 bytes is not a whole number of 3073-byte/ });
  await t.throwsAsync(prepareDataset({ dataset: 'cifar-10', from: C100_PYTHON, dataDir: await tempDir(t) }), { instanceOf: DataError, message: /lacks some of data_batch_1/ });
});

/**
 * A whole-class cache named `dataset` of 50,000 1x1 training images (file index f has label f % C and
 * pixel bytes = f in base 256) and C test images; as the CIFAR prepare writes it: class-major, file
 * order within a class, sourceIndex kept.
 */
async function fakeFullCifar(dataDir: string, dataset: 'cifar-10' | 'cifar-100', classes: readonly string[]): Promise<void> {
  const C = classes.length;
  const byClass = classes.map((_, c) => Array.from({ length: 50000 / C }, (_, k) => k * C + c));
  const encode = (f: number): Uint8Array => Uint8Array.from([f >> 16, (f >> 8) & 255, f & 255]);
  const common = { dataset, height: 1, width: 1, channels: 3, source: 'fake', layout: 'classification' as const };
  await writePackedSplit(dataDir, {
    ...common,
    split: 'train',
    classes: classes.map((name) => ({ name, count: 50000 / C })),
    sourceIndex: byClass.flat(),
    *images() {
      for (const list of byClass) for (const f of list) yield encode(f);
    },
  });
  await writePackedSplit(dataDir, { ...common, split: 'test', classes: classes.map((name) => ({ name, count: 1 })), sourceIndex: classes.map((_, c) => c), *images() {
    for (let c = 0; c < C; c++) yield encode(60000 + c);
  } });
}

const decode = (img: Uint8Array): number => (img[0]! << 16) | (img[1]! << 8) | img[2]!;

test('holdOutVal takes exactly the SLA reference indices (official file order) out of the 50,000 training images', async (t) => {
  for (const [dataset, names, indices] of [
    ['cifar-10', CIFAR10_NAMES, CIFAR10_SLA_VAL_INDICES],
    ['cifar-100', CIFAR100_FINE_NAMES, CIFAR100_SLA_VAL_INDICES],
  ] as const) {
    const dataDir = await tempDir(t);
    await fakeFullCifar(dataDir, dataset, names);
    t.is((await readCacheIndex(dataDir, dataset, 'train'))!.sourceIndex!.length, 50000);
    const data = await loadClassificationData(dataset, { dataDir, seed: 0, holdOutVal: true });
    const val = Array.from(data.val!.labels, (label, k) => {
      const f = decode(data.val!.image(k));
      t.is(f % names.length, label);
      return f;
    });
    t.deepEqual([...val].sort((a, b) => a - b), [...indices]);
    const train = Array.from(data.train.labels, (_, k) => decode(data.train.image(k)));
    t.is(train.length, 45000);
    t.is(new Set([...train, ...val]).size, 50000);
    t.is(data.test.labels.length, names.length);
    t.regex(data.description, /5000 training images held out for validation \(the SLA reference code's indices\), 45000 left to train/);
    const all = await loadClassificationData(dataset, { dataDir, seed: 0 });
    t.is(all.testHash, data.testHash);
  }
});

test('cifar-10 long-tailed at ratio 100 from the full training set: the LDAM-DRW counts, a seeded choice, test untouched', async (t) => {
  const dataDir = await tempDir(t);
  await fakeFullCifar(dataDir, 'cifar-10', CIFAR10_NAMES);
  const lt = await loadClassificationData('cifar-10', { dataDir, seed: 3, imbalance: { profile: 'exp', ratio: 100 } });
  t.deepEqual(classCounts(lt.train), [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]);
  t.deepEqual(classCounts(lt.test), Array(10).fill(1));
  const kept = Array.from(lt.train.labels, (_, k) => decode(lt.train.image(k))).filter((f) => f % 10 === 9);
  t.is(kept.length, 50);
  t.false(kept.every((f, i) => f === 9 + 10 * i), 'not the first 50 images of the class');
  const again = await loadClassificationData('cifar-10', { dataDir, seed: 3, imbalance: { profile: 'exp', ratio: 100 } });
  t.deepEqual(Array.from(again.train.labels, (_, k) => decode(again.train.image(k))).filter((f) => f % 10 === 9), kept);
});
