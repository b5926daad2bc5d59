import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { describeSynthetic } from '../../src/data/synthetic.js';
import {
  PACKAGE_EPISODES_DIR,
  canonicalManifest,
  canonicalManifestPath,
  readManifest,
  serializeManifest,
} from '../../src/episodes/index.js';

const PINNED: Record<number, string> = {
  1: 'e39cbf005dfdecbc7f0874ce733651e96d1a03573133273183ae0c8876efe92a',
  5: 'a291da05fd834f9da3926597e5f1264c8e3439b7ca874815bebfe831897dcddc',
};

test('canonical manifest paths follow episodes/<dataset>/test-5way-<K>shot.json', (t) => {
  t.is(canonicalManifestPath('cifar-fs', 5, 'episodes'), join('episodes', 'cifar-fs', 'test-5way-5shot.json'));
  t.is(canonicalManifestPath('synthetic', 1), join(PACKAGE_EPISODES_DIR, 'synthetic', 'test-5way-1shot.json'));
  t.throws(() => canonicalManifestPath('synthetic', 2), { instanceOf: UsageError, message: /canonical manifests exist for 1 and 5 shots, not 2/ });
  t.throws(() => canonicalManifest(describeSynthetic('val'), 1), { instanceOf: UsageError, message: /canonical manifests are for test splits, not 'synthetic\/val'/ });
});

for (const shots of [1, 5]) {
  test(`the committed synthetic ${shots}-shot manifest regenerates byte for byte (pinned hash)`, async (t) => {
    const description = describeSynthetic('test');
    const manifest = canonicalManifest(description, shots);
    t.is(manifest.sha256, PINNED[shots]);
    t.like(manifest, { ways: 5, shots, queries: 15, count: 1000, seed: 0, dataset: 'synthetic', split: 'test' });
    const path = canonicalManifestPath('synthetic', shots);
    const committed = await readFile(path, 'utf8');
    t.true(committed === serializeManifest(manifest), `${path} differs from a fresh canonicalManifest()`);
    t.deepEqual(await readManifest(path, description), manifest);
  });
}
