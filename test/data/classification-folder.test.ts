import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, UsageError } from '../../src/errors.js';
import { classCounts, loadClassificationData, prepareDataset, registerPreparedDatasets } from '../../src/data/index.js';
import { decodeImage } from '../../src/data/images.js';
import { getDataset } from '../../src/data/registry.js';
import { makeImage, tempDir } from './helpers.js';

/** `dir/<split>/<class>/<i>.png` for each split's classes with `per[split]` images each; image seeds encode (split, class, i). */
async function classFolders(dir: string, layout: Record<string, { classes: string[]; per: number }>, size = 12): Promise<void> {
  for (const [split, { classes, per }] of Object.entries(layout)) {
    for (const [c, name] of classes.entries()) {
      await mkdir(join(dir, split, name), { recursive: true });
      for (let i = 0; i < per; i++) await writeFile(join(dir, split, name, `${i}.png`), await makeImage(size, size, seedOf(split, c, i)));
    }
  }
}
const seedOf = (split: string, c: number, i: number): number => ({ train: 0, val: 1, test: 2, '': 3 })[split]! * 100 + c * 10 + i;

test('a folder with train/ and test/ of the same classes is a whole-class dataset: its own split, resized to --size', async (t) => {
  const from = await tempDir(t);
  const classes = ['Black_footed_Albatross', 'Laysan_Albatross', 'Sooty_Albatross'];
  await classFolders(from, { train: { classes, per: 4 }, test: { classes, per: 2 } });
  const dataDir = await tempDir(t);
  const indexes = await prepareDataset({ dataset: 'folder', from, dataDir, name: 'birds', size: 8 });
  t.deepEqual(indexes.map((i) => `${i.split}:${i.images}:${i.height}:${i.layout}`), ['train:12:8:classification', 'test:6:8:classification']);
  const data = await loadClassificationData('birds', { dataDir, seed: 0 });
  t.deepEqual(data.classes, classes);
  t.deepEqual(classCounts(data.train), [4, 4, 4]);
  t.deepEqual(classCounts(data.test), [2, 2, 2]);
  const expected = await decodeImage(await makeImage(12, 12, seedOf('test', 1, 1)), { height: 8, width: 8 }, 'x');
  t.true(Buffer.from(data.test.image(3)).equals(Buffer.from(expected)), 'test image 3 = class 1, file 1.png');
  t.regex(data.description, /^birds: 3 classes, its own split: 12 train \(4 per class\) \/ 6 test \(2 per class\), 8x8$/);
  await registerPreparedDatasets(dataDir);
  await t.throwsAsync(getDataset('birds').load('train', { dataDir }), { instanceOf: UsageError, message: /birds is a whole-class dataset/ });
  await t.throwsAsync(loadClassificationData('birds', { dataDir, seed: 0, holdOutVal: true }), { instanceOf: UsageError, message: /birds has no validation split/ });
  const limited = await loadClassificationData('birds', { dataDir, seed: 0, perClass: 1 });
  t.deepEqual(classCounts(limited.train), [1, 1, 1]);
  t.is(limited.testHash, data.testHash);
});

test('train/, val/ and test/: holdOutVal reads val/; the default dataset name folder works too', async (t) => {
  const from = await tempDir(t);
  const classes = ['bedroom', 'kitchen'];
  await classFolders(from, { train: { classes, per: 3 }, val: { classes, per: 1 }, test: { classes, per: 2 } });
  const dataDir = await tempDir(t);
  await prepareDataset({ dataset: 'folder', from, dataDir });
  const data = await loadClassificationData('folder', { dataDir, seed: 0, holdOutVal: true });
  t.deepEqual(classCounts(data.val!), [1, 1]);
  t.deepEqual(classCounts(data.train), [3, 3]);
  t.regex(data.description, /its val split \(2 images\) for validation/);
  t.is((await loadClassificationData('folder', { dataDir, seed: 0 })).val, undefined);
  await t.throwsAsync(getDataset('folder').load('test', { dataDir }), { instanceOf: UsageError, message: /folder is a whole-class dataset/ });
});

test('train/ and test/ with different classes, or with a class split flag, are refused in one line', async (t) => {
  const from = await tempDir(t);
  await classFolders(from, { train: { classes: ['a', 'b'], per: 1 }, test: { classes: ['a', 'c'], per: 1 } });
  await t.throwsAsync(prepareDataset({ dataset: 'folder', from, dataDir: await tempDir(t), name: 'x' }), {
    instanceOf: DataError,
    message: /test: has no folder for train class 'b': train\/ and test\/ must hold the same class folders/,
  });
  await t.throwsAsync(prepareDataset({ dataset: 'folder', from, dataDir: await tempDir(t), name: 'x', splitCounts: [1, 0, 1] }), { instanceOf: UsageError, message: /drop --split-file and --split-counts/ });
});

test('a few-shot class-folder dataset read whole-class uses the splits it has (here train and test, no val)', async (t) => {
  const from = await tempDir(t);
  for (const [c, name] of ['c0', 'c1', 'c2', 'c3'].entries()) {
    await mkdir(join(from, name));
    for (let i = 0; i < 5; i++) await writeFile(join(from, name, `${i}.png`), await makeImage(8, 8, seedOf('', c, i)));
  }
  const dataDir = await tempDir(t);
  await prepareDataset({ dataset: 'folder', from, dataDir, name: 'fs-folder', splitCounts: [3, 0, 1] });
  const data = await loadClassificationData('fs-folder', { dataDir, seed: 0, testPerClass: 2 });
  t.is(data.classes.length, 4);
  t.deepEqual(classCounts(data.train), [3, 3, 3, 3]);
  t.regex(data.description, /4 classes \(train 3 \+ test 1\)/);
});
