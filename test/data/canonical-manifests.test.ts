import test from 'ava';
import { readFile } from 'node:fs/promises';
import { describeNamedSplit, IMAGES_PER_CLASS } from '../../src/data/datasets.js';
import { getDataset } from '../../src/data/index.js';
import { canonicalManifest, canonicalManifestPath, readManifest, serializeManifest } from '../../src/episodes/index.js';

/** sha256 of each committed canonical manifest (regenerating must give these and the same bytes). */
const PINNED: Record<string, Record<number, string>> = {
  'cifar-fs': {
    1: '4645847ae49555a92c6f86dd09aaf8e71724cd90f428d17f6878b21b94dc7bb4',
    5: '72bf30976180f04c36cb1adc250fa86afa3c4090654c38e59eb1f203d72370af',
  },
  fc100: {
    1: '4d249a233b3f696f4a1ab0a82addbdc99a3c939d098044a7710dceac55e26c0c',
    5: '89c05061be95d1edbe0cce3d677b6592e71a862f8f63016daf3bf9c39116c671',
  },
  'mini-imagenet': {
    1: 'e72970354b6ff51965739af4b3ded79fdcfd609b2f076f5e085ae96e61b65c93',
    5: '6353aaa8b79cbdb97a0e1bac4102023f9b82c344bb0f0c8ad3c0d3e31da476b9',
  },
  'tiny-imagenet-fs': {
    1: 'c6f197b6f7a647ae0ca05cd1ffa4e60b0ff9dbba2428fb2f1ff2bf4e3c1cb1ae',
    5: '5d527a6dca6e7e1c5cb0a5688bfdf64143752645d976315c463c3efd16144c5c',
  },
};

test('registered test splits are described from the carried lists (600 images; 550 for tiny-imagenet-fs)', (t) => {
  for (const dataset of Object.keys(PINNED)) {
    const description = getDataset(dataset).describe('test')!;
    t.deepEqual(description, describeNamedSplit(dataset, 'test'));
    t.is(description.classes.length, 20);
    t.true(description.classes.every((c) => c.count === IMAGES_PER_CLASS[dataset]));
  }
  t.is(IMAGES_PER_CLASS['tiny-imagenet-fs'], 550);
});

for (const [dataset, hashes] of Object.entries(PINNED)) {
  for (const shots of [1, 5]) {
    test(`the committed ${dataset} ${shots}-shot canonical manifest regenerates byte for byte`, async (t) => {
      const description = describeNamedSplit(dataset, 'test');
      const manifest = canonicalManifest(description, shots);
      t.is(manifest.sha256, hashes[shots]);
      t.like(manifest, { dataset, split: 'test', ways: 5, shots, queries: 15, count: 1000, seed: 0 });
      const path = canonicalManifestPath(dataset, shots);
      t.true((await readFile(path, 'utf8')) === serializeManifest(manifest), `${path} differs from a fresh canonicalManifest()`);
      t.is((await readManifest(path, description)).sha256, hashes[shots]);
    });
  }
}
