import test from 'ava';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { loadPackedSplit } from '../../src/data/cache.js';
import { classList } from '../../src/data/class-lists.js';
import { registerPreparedDatasets } from '../../src/data/datasets.js';
import { drawClassSplit } from '../../src/data/folder.js';
import { decodeImage } from '../../src/data/images.js';
import { prepareDataset } from '../../src/data/prepare.js';
import { getDataset } from '../../src/data/registry.js';
import type { SplitName } from '../../src/data/types.js';
import { makeImage, tempDir } from './helpers.js';

/** A Ravi layout (images/ + <split>.csv) with `perClass` PNGs per class of the given splits. */
async function raviLayout(dir: string, splits: Partial<Record<SplitName, readonly string[]>>, perClass: number, size: number): Promise<void> {
  await mkdir(join(dir, 'images'), { recursive: true });
  let seed = 0;
  for (const [split, classes] of Object.entries(splits)) {
    const rows = ['filename,label'];
    for (const wnid of classes!) {
      for (let i = 1; i <= perClass; i++) {
        const file = `${wnid}${String(i).padStart(8, '0')}.png`;
        await writeFile(join(dir, 'images', file), await makeImage(size, size, seed++));
        rows.push(`${file},${wnid}`);
      }
    }
    await writeFile(join(dir, `${split}.csv`), `${rows.join('\n')}\n`);
  }
}

test('tiny-imagenet-fs from a Ravi layout: carried class order, CSV image order, native 64x64 or --size', async (t) => {
  const from = await tempDir(t);
  const classes = classList('tiny-imagenet-fs', 'test');
  await raviLayout(from, { test: [...classes].reverse() }, 2, 64);
  const dataDir = await tempDir(t);
  const [index] = await prepareDataset({ dataset: 'tiny-imagenet-fs', from, dataDir, splits: ['test'] });
  t.deepEqual(index!.classes.map((c) => c.name), [...classes]);
  t.true(index!.classes.every((c) => c.count === 2));
  t.is(index!.height, 64);
  const split = await loadPackedSplit(dataDir, 'tiny-imagenet-fs', 'test');
  // classes were written in reverse, so carried class 0 is the last one written: its first image has seed 38
  const expected = await makeImage(64, 64, 38);
  t.true(Buffer.from(split.image(0, 0)).equals(Buffer.from(await decodeImage(expected, { height: 64, width: 64 }, 'x'))));
  const [small] = await prepareDataset({ dataset: 'tiny-imagenet-fs', from, dataDir, splits: ['test'], size: 32 });
  t.is(small!.height, 32);
  t.is(small!.pixelBytes, 40 * 32 * 32 * 3);
});

test('mini-imagenet from a Ravi layout resizes larger images to 84x84', async (t) => {
  const from = await tempDir(t);
  await raviLayout(from, { val: classList('mini-imagenet', 'val') }, 1, 100);
  const dataDir = await tempDir(t);
  const [index] = await prepareDataset({ dataset: 'mini-imagenet', from, dataDir, splits: ['val'] });
  t.is(index!.height, 84);
  t.is(index!.pixelBytes, 16 * 84 * 84 * 3);
});

test('Ravi layout bad inputs: missing image, wrong classes, small image; nothing is published', async (t) => {
  const from = await tempDir(t);
  const classes = classList('tiny-imagenet-fs', 'val');
  await raviLayout(from, { train: classList('tiny-imagenet-fs', 'train').slice(0, 0), val: classes }, 1, 64);
  const dataDir = await tempDir(t);
  // missing image named by the CSV
  await writeFile(join(from, 'val.csv'), `filename,label\n${classes.map((c) => `${c}00000001.png,${c}`).join('\n')}\nghost.png,${classes[0]}\n`);
  const missing = await t.throwsAsync(prepareDataset({ dataset: 'tiny-imagenet-fs', from, dataDir, splits: ['val'] }), { instanceOf: DataError });
  t.regex(missing!.message, /val\.csv line 18 names .*ghost\.png, which does not exist/);
  // a class the split does not have
  await writeFile(join(from, 'val.csv'), `filename,label\n${classes.map((c) => `${c}00000001.png,${c}`).join('\n')}\n${classes[0]}00000001.png,n99999999\n`);
  await t.throwsAsync(prepareDataset({ dataset: 'tiny-imagenet-fs', from, dataDir, splits: ['val'] }), { instanceOf: DataError, message: /unexpected \[n99999999\]/ });
  // an image of the wrong (smaller) size: the whole prepare fails and nothing is published
  await writeFile(join(from, 'val.csv'), `filename,label\n${classes.map((c) => `${c}00000001.png,${c}`).join('\n')}\n`);
  await writeFile(join(from, 'images', `${classes[9]}00000001.png`), await makeImage(40, 40, 1));
  const small = await t.throwsAsync(prepareDataset({ dataset: 'tiny-imagenet-fs', from, dataDir, splits: ['val'] }), { instanceOf: DataError });
  t.regex(small!.message, /is 40x40, smaller than the target 64x64/);
  t.deepEqual((await readdir(join(dataDir, 'tiny-imagenet-fs'))).filter((f) => !f.startsWith('.')), []);
  t.deepEqual(await readdir(join(dataDir, 'tiny-imagenet-fs')), []);
  await t.throwsAsync(prepareDataset({ dataset: 'tiny-imagenet-fs', from: dataDir, dataDir }), { instanceOf: DataError, message: /is not a tiny-imagenet-fs source/ });
});

test('class folders: seeded split is reproducible; a split file is honoured; a custom name is registered', async (t) => {
  const from = await tempDir(t);
  const names = Array.from({ length: 10 }, (_, i) => `class-${i}`);
  for (const [c, name] of names.entries()) {
    await mkdir(join(from, name));
    for (let i = 0; i < 3; i++) await writeFile(join(from, name, `img${i}.png`), await makeImage(8, 8, c * 3 + i));
  }
  const drawn = drawClassSplit(names, 7, [5, 2, 3]);
  t.deepEqual(drawClassSplit(names, 7, [5, 2, 3]), drawn);
  t.notDeepEqual(drawClassSplit(names, 8, [5, 2, 3]), drawn);
  t.deepEqual([...drawn.train, ...drawn.val, ...drawn.test].sort(), names);
  const dataDir = await tempDir(t);
  const indexes = await prepareDataset({ dataset: 'folder', from, dataDir, name: 'my-glyphs', seed: 7, splitCounts: [5, 2, 3] });
  t.deepEqual(indexes.map((i) => i.classes.map((c) => c.name)), [drawn.train, drawn.val, drawn.test]);
  t.is(indexes[0]!.height, 8);
  t.deepEqual(await registerPreparedDatasets(dataDir), ['my-glyphs']);
  const val = await getDataset('my-glyphs').load('val', { dataDir });
  t.is(val.classes.length, 2);
  const splitFile = join(from, '..', `${from.split('/').pop()}-split.json`);
  await writeFile(splitFile, JSON.stringify({ train: ['class-9', 'class-1'], test: ['class-2'] }));
  t.teardown(() => rm(splitFile, { force: true }));
  const fromFile = await prepareDataset({ dataset: 'folder', from, dataDir, splitFile });
  t.deepEqual(fromFile.map((i) => [i.split, i.classes.map((c) => c.name)]), [['train', ['class-9', 'class-1']], ['test', ['class-2']]]);
  await writeFile(splitFile, JSON.stringify({ train: ['class-1'], test: ['class-1'] }));
  await t.throwsAsync(prepareDataset({ dataset: 'folder', from, dataDir, splitFile }), { instanceOf: DataError, message: /class 'class-1' is in two splits/ });
});

test('a prepare that fails in a later split publishes no split, and leftover temp files are cleared', async (t) => {
  const from = await tempDir(t);
  for (const name of ['a', 'b', 'c']) {
    await mkdir(join(from, name));
    await writeFile(join(from, name, '1.png'), await makeImage(8, 8, 1));
  }
  await writeFile(join(from, 'c', '2.png'), await makeImage(4, 4, 2));
  const splitFile = join(await tempDir(t), 'split.json');
  await writeFile(splitFile, JSON.stringify({ train: ['a', 'b'], val: ['c'] }));
  const dataDir = await tempDir(t);
  await t.throwsAsync(prepareDataset({ dataset: 'folder', from, dataDir, splitFile, size: 8 }), { instanceOf: DataError, message: /2\.png: is 4x4, smaller/ });
  t.deepEqual(await readdir(join(dataDir, 'folder')), []);
  await writeFile(join(dataDir, 'folder', '.train.killed.tmp'), 'half');
  const lines: string[] = [];
  await writeFile(join(from, 'c', '2.png'), await makeImage(8, 8, 2));
  await prepareDataset({ dataset: 'folder', from, dataDir, splitFile, onProgress: (l) => lines.push(l) });
  t.true(lines.some((l) => /removed 1 temp file/.test(l)));
  t.deepEqual((await readdir(join(dataDir, 'folder'))).filter((n) => n.endsWith('.json')).sort(), ['train.json', 'val.json']);
});
