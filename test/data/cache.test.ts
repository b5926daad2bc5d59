import test from 'ava';
import { readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, UsageError } from '../../src/errors.js';
import { loadPackedSplit, readCacheIndex, stagePackedSplit, writePackedSplit, type SplitSource } from '../../src/data/cache.js';
import { prepareDataset } from '../../src/data/prepare.js';
import { getDataset } from '../../src/data/index.js';
import { createEpisodeSampler } from '../../src/episodes/index.js';
import { tempDir } from './helpers.js';

/** A 2x2x3 split of `classes` classes with `count` images each; image (c, i) is filled with 10*c + i. */
function source(classes: number, count: number, failAt?: number): SplitSource {
  return {
    dataset: 'toy',
    split: 'test',
    height: 2,
    width: 2,
    channels: 3,
    classes: Array.from({ length: classes }, (_, c) => ({ name: `class${c}`, count })),
    source: 'generated',
    *images() {
      let n = 0;
      for (let c = 0; c < classes; c++) {
        for (let i = 0; i < count; i++) {
          if (n++ === failAt) throw new Error('interrupted');
          yield new Uint8Array(12).fill(10 * c + i);
        }
      }
    },
  };
}

test('round trip: index with offsets and sha256, image(c, i) views, bounds checked', async (t) => {
  const dataDir = await tempDir(t);
  const index = await writePackedSplit(dataDir, source(3, 4));
  t.deepEqual(index.classes.map((c) => c.offset), [0, 4, 8]);
  t.is(index.pixelBytes, 12 * 12);
  t.regex(index.sha256, /^[0-9a-f]{64}$/);
  t.deepEqual(await readCacheIndex(dataDir, 'toy', 'test'), index);
  const split = await loadPackedSplit(dataDir, 'toy', 'test', { verify: true });
  t.deepEqual([...split.image(2, 3)], new Array(12).fill(23));
  t.deepEqual(split.classes, [{ name: 'class0', count: 4 }, { name: 'class1', count: 4 }, { name: 'class2', count: 4 }]);
  t.throws(() => split.image(0, 4), { instanceOf: UsageError });
  t.throws(() => split.image(3, 0), { instanceOf: UsageError });
});

test('an interrupted write leaves no index and no temp file, and an earlier cache stays readable', async (t) => {
  const dataDir = await tempDir(t);
  await t.throwsAsync(writePackedSplit(dataDir, source(3, 4, 5)), { message: 'interrupted' });
  t.is(await readCacheIndex(dataDir, 'toy', 'test'), undefined);
  t.deepEqual(await readdir(join(dataDir, 'toy')), []);
  const first = await writePackedSplit(dataDir, source(2, 2));
  await t.throwsAsync(writePackedSplit(dataDir, source(3, 4, 7)), { message: 'interrupted' });
  const again = await loadPackedSplit(dataDir, 'toy', 'test', { verify: true });
  t.is(again.classes.length, 2);
  t.deepEqual((await readdir(join(dataDir, 'toy'))).sort(), [first.pixelFile, 'test.json'].sort());
});

test('a staged split is invisible until commit; a new commit replaces the old pixel file', async (t) => {
  const dataDir = await tempDir(t);
  const old = await writePackedSplit(dataDir, source(1, 1));
  const staged = await stagePackedSplit(dataDir, source(2, 3));
  t.is((await loadPackedSplit(dataDir, 'toy', 'test')).classes.length, 1);
  const fresh = await staged.commit();
  t.is((await loadPackedSplit(dataDir, 'toy', 'test')).classes.length, 2);
  t.false((await readdir(join(dataDir, 'toy'))).includes(old.pixelFile));
  t.not(fresh.pixelFile, old.pixelFile);
});

test('a truncated or altered pixel file is never served', async (t) => {
  const dataDir = await tempDir(t);
  const index = await writePackedSplit(dataDir, source(2, 2));
  const pixels = join(dataDir, 'toy', index.pixelFile);
  const bytes = await readFile(pixels);
  bytes[5] = 255 - bytes[5]!;
  await writeFile(pixels, bytes);
  await t.throwsAsync(loadPackedSplit(dataDir, 'toy', 'test', { verify: true }), { instanceOf: DataError, message: /has sha256 .* its index says/ });
  await truncate(pixels, 10);
  await t.throwsAsync(loadPackedSplit(dataDir, 'toy', 'test'), { instanceOf: DataError, message: /has 10 bytes, its index says 48/ });
  await writeFile(join(dataDir, 'toy', 'test.json'), '{"format": "jointshot-packed-split", "ver');
  await t.throwsAsync(loadPackedSplit(dataDir, 'toy', 'test'), { instanceOf: DataError, message: /is not valid JSON/ });
});

test('images of the wrong size or a wrong count are refused while packing', async (t) => {
  const dataDir = await tempDir(t);
  const wrong: SplitSource = { ...source(1, 2), images: () => [new Uint8Array(12), new Uint8Array(11)] };
  await t.throwsAsync(writePackedSplit(dataDir, wrong), { instanceOf: DataError, message: /image 1 has 11 bytes, expected 2x2x3/ });
  const short: SplitSource = { ...source(1, 2), images: () => [new Uint8Array(12)] };
  await t.throwsAsync(writePackedSplit(dataDir, short), { instanceOf: DataError, message: /gave 1 images, its classes count 2/ });
});

test('a missing cache names the prepare command to run; unknown datasets list the known ones', async (t) => {
  const dataDir = await tempDir(t);
  const error = await t.throwsAsync(getDataset('tiny-imagenet-fs').load('val', { dataDir }), { instanceOf: DataError });
  t.regex(error!.message, /no prepared tiny-imagenet-fs\/val .*jointshot data prepare tiny-imagenet-fs --from/);
  t.notRegex(error!.message, /\n/);
  t.throws(() => getDataset('imagenet-21k'), { instanceOf: UsageError, message: /unknown dataset 'imagenet-21k': expected one of .*cifar-fs.*fc100.*mini-imagenet.*tiny-imagenet-fs/ });
  await t.throwsAsync(prepareDataset({ dataset: 'imagenet-21k', from: dataDir, dataDir }), { instanceOf: UsageError, message: /cannot prepare 'imagenet-21k'/ });
});

test('a data dir that cannot be written is reported before any work', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'a-file');
  await writeFile(file, 'x');
  const error = await t.throwsAsync(prepareDataset({ dataset: 'cifar-fs', from: dir, dataDir: join(file, 'data') }), { instanceOf: DataError });
  t.regex(error!.message, /data dir .* is not writable \(ENOTDIR\): pass a writable --data-dir/);
  if (process.getuid?.() !== 0) {
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o555);
    t.teardown(() => chmod(dir, 0o755));
    await t.throwsAsync(prepareDataset({ dataset: 'cifar-fs', from: dir, dataDir: join(dir, 'data') }), { instanceOf: DataError, message: /not writable/ });
  }
});

test('a prepared class with fewer images than shots + queries is refused by the episode sampler in one line', async (t) => {
  const dataDir = await tempDir(t);
  await writePackedSplit(dataDir, source(6, 4));
  const split = await loadPackedSplit(dataDir, 'toy', 'test');
  const sizes = split.classes.map((c) => c.count);
  const error = t.throws(() => createEpisodeSampler(sizes, { ways: 5, shots: 1, queries: 15 }, split.classes.map((c) => c.name)), { instanceOf: UsageError });
  t.regex(error!.message, /1 shots \+ 15 queries need 16 images per class.*class 0 \('class0'\) has 4/);
  t.notRegex(error!.message, /\n/);
});
