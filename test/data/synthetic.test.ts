import test from 'ava';
import { createHash } from 'node:crypto';
import { UsageError } from '../../src/errors.js';
import '../../src/data/index.js'; // the barrel must register `synthetic`
import { getDataset } from '../../src/data/registry.js';
import {
  SYNTHETIC_DEFAULTS,
  createSyntheticDataset,
  describeSynthetic,
  syntheticSplit,
} from '../../src/data/synthetic.js';
import { makeGlyph } from '../../src/data/synthetic/glyph.js';
import { createEpisodeSampler } from '../../src/episodes/sampler.js';
import { createRng } from '../../src/util/rng.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test('synthetic is registered and describes 64/16/20 classes of 600 images with distinct names', (t) => {
  const dataset = getDataset('synthetic');
  const sizes = (['train', 'val', 'test'] as const).map((s) => dataset.describe(s)!.classes.length);
  t.deepEqual(sizes, [64, 16, 20]);
  const names = (['train', 'val', 'test'] as const).flatMap((s) => dataset.describe(s)!.classes.map((c) => c.name));
  t.is(new Set(names).size, 100);
  t.is(names[0], 'glyph-000');
  t.is(dataset.describe('test')!.classes[0]!.name, 'glyph-080');
  t.true((['train', 'val', 'test'] as const).every((s) => dataset.describe(s)!.classes.every((c) => c.count === 600)));
  t.throws(() => describeSynthetic('dev' as never), { instanceOf: UsageError, message: /unknown split 'dev'/ });
});

test('images are 32x32 RGB uint8, deterministic, and pinned to known bytes', async (t) => {
  const split = await getDataset('synthetic').load('test', { dataDir: '/nonexistent' });
  t.deepEqual([split.height, split.width, split.channels], [32, 32, 3]);
  const a = split.image(0, 0);
  t.true(a instanceof Uint8Array);
  t.is(a.length, 32 * 32 * 3);
  t.deepEqual(syntheticSplit('test').image(0, 0), a, 'a fresh split renders the same bytes');
  t.notDeepEqual(split.image(0, 1), a);
  t.notDeepEqual(split.image(1, 0), a);
  // Pixels are a pure function of (seed, class, image); these hashes pin them across machines.
  t.is(sha(a), '91b396bff34298b181420bae62c526ab1613833cffa10481bb9c1651a297636a');
  t.is(sha(syntheticSplit('train').image(63, 599)), '2a001f76d61eb2d918642a3fc472c2be45a5fa4383111fd94d3abfe2f682dfab');
});

test('the dataset seed changes every image; bad indices are UsageErrors', (t) => {
  const other = syntheticSplit('test', { ...SYNTHETIC_DEFAULTS, seed: 1 });
  t.notDeepEqual(other.image(0, 0), syntheticSplit('test').image(0, 0));
  const split = syntheticSplit('val');
  t.throws(() => split.image(16, 0), { instanceOf: UsageError, message: /synthetic\/val has classes 0\.\.15, not 16/ });
  t.throws(() => split.image(0, 600), { instanceOf: UsageError, message: /images 0\.\.599, not 600/ });
});

test('images have contrast: glyph pixels stand out from the background', (t) => {
  const split = syntheticSplit('train');
  for (let i = 0; i < 20; i++) {
    const img = split.image(i, i);
    let min = 255;
    let max = 0;
    for (const v of img) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    t.true(max - min > 60, `image ${i} spans ${min}..${max}`);
  }
});

test('every glyph stands upright: its base stroke lies below all other strokes on average', (t) => {
  for (let c = 0; c < 100; c++) {
    const [base, ...rest] = makeGlyph(0, c).strokes;
    const meanY = (points: ReadonlyArray<readonly [number, number]>) => points.reduce((s, p) => s + p[1], 0) / points.length;
    t.true(meanY(base!.points) > 0.6, `class ${c} base at ${meanY(base!.points)}`);
    t.true(rest.length >= 2 && rest.length <= 4);
    t.true(meanY(rest.flatMap((s) => s.points)) < meanY(base!.points), `class ${c}`);
  }
});

test('a custom synthetic dataset honours its options', async (t) => {
  const small = createSyntheticDataset({ name: 'tiny-glyphs', classes: { train: 3, val: 2, test: 2 }, imagesPerClass: 10, size: 16 });
  t.deepEqual(small.describe('val')!.classes, [
    { name: 'glyph-003', count: 10 },
    { name: 'glyph-004', count: 10 },
  ]);
  const split = await small.load('val', { dataDir: '' });
  t.is(split.image(1, 9).length, 16 * 16 * 3);
});

test('raw pixels do not solve it: nearest class mean on pixels is near chance (5-way 1-shot)', (t) => {
  const split = syntheticSplit('test');
  const sample = createEpisodeSampler(split.classes.map((c) => c.count), { ways: 5, shots: 1, queries: 15 });
  const rng = createRng(0);
  let correct = 0;
  let total = 0;
  for (let n = 0; n < 40; n++) {
    const e = sample(rng);
    const protos = e.classes.map((c, j) => split.image(c, e.support[j]![0]!));
    e.classes.forEach((c, j) => {
      for (const i of e.query[j]!) {
        const q = split.image(c, i);
        const dist = protos.map((p) => p.reduce((s, v, k) => s + (v - q[k]!) ** 2, 0));
        if (dist.indexOf(Math.min(...dist)) === j) correct += 1;
        total += 1;
      }
    });
  }
  t.log(`raw-pixel 1-shot accuracy over 40 episodes: ${(correct / total).toFixed(3)}`);
  t.true(correct / total < 0.35, `raw pixels reach ${correct / total}`);
});
