import test from 'ava';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DataError, UsageError } from '../../src/errors.js';
import { loadPackedSplit } from '../../src/data/cache.js';
import { classList } from '../../src/data/class-lists.js';
import { prepareDataset } from '../../src/data/prepare.js';
import { CIFAR100_FINE_NAMES } from '../../src/data/splits/cifar-100.js';
import { readTarEntries } from '../../src/data/tar.js';
import { SPLIT_NAMES } from '../../src/data/types.js';
import { FIXTURES, tempDir } from './helpers.js';

const PYTHON = join(FIXTURES, 'cifar-100-python.tar.gz');
const BINARY = join(FIXTURES, 'cifar-100-binary.tar.gz');

test('CIFAR-100 label names: 100 alphabetical fine classes in 20 superclasses of 5', (t) => {
  t.is(CIFAR100_FINE_NAMES.length, 100);
  t.is(CIFAR100_FINE_NAMES[19], 'cattle');
  t.is(CIFAR100_FINE_NAMES[29], 'dinosaur');
  t.is(new Set(SPLIT_NAMES.flatMap((s) => classList('cifar-fs', s))).size, 100);
  t.is(new Set(SPLIT_NAMES.flatMap((s) => classList('fc100', s))).size, 100);
  t.deepEqual(SPLIT_NAMES.map((s) => classList('cifar-fs', s).length), [64, 16, 20]);
  t.deepEqual(SPLIT_NAMES.map((s) => classList('fc100', s).length), [60, 20, 20]);
  t.deepEqual(classList('fc100', 'test').slice(0, 5), ['beaver', 'dolphin', 'otter', 'seal', 'whale']);
});

test('CIFAR-FS and FC100 from a CIFAR-100 python archive: carried class lists, train-then-test image order, HWC pixels', async (t) => {
  const dataDir = await tempDir(t);
  for (const dataset of ['cifar-fs', 'fc100']) {
    const indexes = await prepareDataset({ dataset, from: PYTHON, dataDir });
    t.deepEqual(indexes.map((i) => i.split), ['train', 'val', 'test']);
    for (const index of indexes) {
      t.deepEqual(index.classes.map((c) => c.name), [...classList(dataset, index.split)], `${dataset}/${index.split}`);
      t.true(index.classes.every((c) => c.count === 3));
    }
  }
  const split = await loadPackedSplit(dataDir, 'cifar-fs', 'test');
  t.is(split.classes[0]!.name, 'baby');
  const label = CIFAR100_FINE_NAMES.indexOf('baby');
  // fixture pattern: channel 0 = 60*set + k-th image of the class in that set, channel 1 = label, channel 2 = row + col
  const pixel = (img: Uint8Array, row: number, col: number): number[] => [...img.subarray((row * 32 + col) * 3, (row * 32 + col) * 3 + 3)];
  t.deepEqual(pixel(split.image(0, 0), 0, 0), [0, label, 0]);
  t.deepEqual(pixel(split.image(0, 1), 3, 4), [1, label, 7]);
  t.deepEqual(pixel(split.image(0, 2), 31, 31), [60, label, 62]);
});

test('the binary archive and the extracted python folder give byte-identical caches', async (t) => {
  const fromPython = await prepareDataset({ dataset: 'cifar-fs', from: PYTHON, dataDir: await tempDir(t) });
  const fromBinary = await prepareDataset({ dataset: 'cifar-fs', from: BINARY, dataDir: await tempDir(t) });
  const extracted = await tempDir(t);
  for (const [name, bytes] of await readTarEntries(PYTHON, () => true)) {
    await mkdir(dirname(join(extracted, name)), { recursive: true });
    await writeFile(join(extracted, name), bytes);
  }
  const fromDir = await prepareDataset({ dataset: 'cifar-fs', from: extracted, dataDir: await tempDir(t) });
  t.deepEqual(fromBinary.map((i) => i.sha256), fromPython.map((i) => i.sha256));
  t.deepEqual(fromDir.map((i) => i.sha256), fromPython.map((i) => i.sha256));
});

test('MetaOptNet pickles: CIFAR-FS by CIFAR-100 labels, mini-ImageNet by catname2label, pickle order kept', async (t) => {
  const dataDir = await tempDir(t);
  const from = join(FIXTURES, 'metaoptnet');
  const [cifar] = await prepareDataset({ dataset: 'cifar-fs', from, dataDir, splits: ['test'] });
  t.deepEqual(cifar!.classes.map((c) => c.name), [...classList('cifar-fs', 'test')]);
  const [mini] = await prepareDataset({ dataset: 'mini-imagenet', from, dataDir, splits: ['test'] });
  t.deepEqual(mini!.classes.map((c) => c.name), [...classList('mini-imagenet', 'test')]);
  const split = await loadPackedSplit(dataDir, 'mini-imagenet', 'test');
  t.is(split.height, 84);
  t.is(split.image(3, 0)[1], 83); // catname2label: 4th test wnid -> label 83, stored in channel 1
  const [fc100] = await prepareDataset({ dataset: 'fc100', from, dataDir, splits: ['test'] }); // labels as an int64 ndarray
  t.deepEqual(fc100!.classes.map((c) => c.name), [...classList('fc100', 'test')]);
  t.true(fc100!.classes.every((c) => c.count === 1));
  const missing = await t.throwsAsync(prepareDataset({ dataset: 'cifar-fs', from, dataDir, splits: ['train'] }), { instanceOf: DataError });
  t.regex(missing!.message, /missing file .*CIFAR_FS_train\.pickle/);
});

test('bad pickles: unexpected keys, wrong shape, truncated, foreign globals: one line, no cache written', async (t) => {
  const cases: [string, RegExp][] = [
    ['extra-key.pickle', /unexpected keys \[data, labels, secret\]/],
    ['one-channel.pickle', /'data' must be uint8 N x 32 x 32 x 3, found u1 4x32x32x1/],
    ['truncated.pickle', /truncated pickle/],
    ['evil-global.pickle', /refused: the pickle asks for/],
  ];
  for (const [file, message] of cases) {
    const from = await tempDir(t);
    const dataDir = await tempDir(t);
    await writeFile(join(from, 'CIFAR_FS_test.pickle'), await readFile(join(FIXTURES, 'bad-pickles', file)));
    const error = await t.throwsAsync(prepareDataset({ dataset: 'cifar-fs', from, dataDir, splits: ['test'] }), { instanceOf: DataError });
    t.regex(error!.message, message, file);
    t.notRegex(error!.message, /\n/);
    await t.throwsAsync(loadPackedSplit(dataDir, 'cifar-fs', 'test'), { message: /no prepared cifar-fs\/test/ });
  }
});

test('a CIFAR source that is missing, truncated or incomplete gives one line', async (t) => {
  const dataDir = await tempDir(t);
  await t.throwsAsync(prepareDataset({ dataset: 'fc100', from: join(FIXTURES, 'nope.tar.gz'), dataDir }), { instanceOf: DataError, message: /does not exist/ });
  await t.throwsAsync(prepareDataset({ dataset: 'fc100', from: await tempDir(t), dataDir }), { instanceOf: DataError, message: /holds no CIFAR-100 files/ });
  const cut = join(await tempDir(t), 'cifar-100-binary.tar.gz');
  const bytes = await readFile(BINARY);
  await writeFile(cut, bytes.subarray(0, bytes.length >> 1));
  await t.throwsAsync(prepareDataset({ dataset: 'fc100', from: cut, dataDir }), { instanceOf: DataError, message: /truncated/ });
  await t.throwsAsync(prepareDataset({ dataset: 'fc100', from: PYTHON, dataDir, size: 84 }), { instanceOf: UsageError, message: /32x32; --size 84 is not supported/ });
});
