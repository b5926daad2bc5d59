import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { createEpisodeSampler, eligibleClasses, sampleEpisode } from '../../src/episodes/sampler.js';
import { createRng } from '../../src/util/rng.js';

const shape = { ways: 5, shots: 5, queries: 15 };

test('10,000 episodes: distinct classes, exact counts, disjoint in-range images, every class reachable', (t) => {
  const sizes = [20, 25, 30, 600, 21, 40, 33, 20, 50, 22, 27, 64];
  const sample = createEpisodeSampler(sizes, shape);
  const rng = createRng(7);
  const classUse = new Array<number>(sizes.length).fill(0);
  let bad = 0;
  for (let n = 0; n < 10_000; n++) {
    const e = sample(rng);
    const ok =
      e.classes.length === 5 &&
      new Set(e.classes).size === 5 &&
      e.support.length === 5 &&
      e.query.length === 5 &&
      e.classes.every((c, j) => {
        const s = e.support[j]!;
        const q = e.query[j]!;
        const all = [...s, ...q];
        classUse[c]! += 1;
        return (
          s.length === 5 &&
          q.length === 15 &&
          new Set(all).size === 20 &&
          all.every((i) => Number.isInteger(i) && i >= 0 && i < sizes[c]!)
        );
      });
    if (!ok) bad += 1;
  }
  t.is(bad, 0);
  t.true(classUse.every((u) => u > 0), `every class is used: ${classUse.join(' ')}`);
  // 10,000 episodes x 5 ways over 12 classes: about 4167 uses each; a fair draw stays within 5 %.
  t.true(classUse.every((u) => Math.abs(u - 50_000 / 12) < 0.05 * (50_000 / 12)), classUse.join(' '));
});

test('same seed gives the same episodes, another seed different ones; indices are sorted', (t) => {
  const sizes = Array.from({ length: 20 }, () => 600);
  const draw = (seed: number) => {
    const rng = createRng(seed);
    return Array.from({ length: 50 }, () => sampleEpisode(rng, sizes, { ways: 5, shots: 1, queries: 15 }));
  };
  const a = draw(0);
  t.deepEqual(draw(0), a);
  t.notDeepEqual(draw(1), a);
  for (const e of a) for (const list of [...e.support, ...e.query]) t.deepEqual(list, [...list].sort((x, y) => x - y));
  // Pinned: the first episode of seed 0 (guards against silent changes of the sampling order).
  t.deepEqual(a[0]!.classes, [15, 1, 11, 2, 18]);
  t.deepEqual(a[0]!.support, [[448], [523], [400], [288], [106]]);
  t.deepEqual(a[0]!.query[0], [29, 32, 34, 104, 149, 224, 293, 329, 348, 358, 377, 405, 423, 429, 439]);
});

test('the whole support plus query of a class can be its every image', (t) => {
  const e = sampleEpisode(createRng(3), [3, 3], { ways: 2, shots: 1, queries: 2 });
  t.deepEqual(e.classes.map((_, j) => [...e.support[j]!, ...e.query[j]!].sort()), [[0, 1, 2], [0, 1, 2]]);
});

test('classes too small for shots + queries are left out while enough remain', (t) => {
  const sizes = [600, 10, 600, 600, 15, 600, 600];
  t.deepEqual(eligibleClasses(sizes, { ways: 5, shots: 1, queries: 15 }), [0, 2, 3, 5, 6]);
  const sample = createEpisodeSampler(sizes, { ways: 5, shots: 1, queries: 15 });
  const rng = createRng(0);
  for (let n = 0; n < 200; n++) t.false(sample(rng).classes.some((c) => c === 1 || c === 4));
});

const invalid: Array<[string, number[], { ways: number; shots: number; queries: number }, RegExp]> = [
  ['non-integer ways', [10, 10], { ways: 1.5, shots: 1, queries: 1 }, /^--ways must be a positive integer, found 1\.5$/],
  ['zero ways', [10, 10], { ways: 0, shots: 1, queries: 1 }, /--ways must be a positive integer, found 0/],
  ['zero shots', [10, 10], { ways: 2, shots: 0, queries: 1 }, /--shots must be a positive integer, found 0/],
  ['negative queries', [10, 10], { ways: 2, shots: 1, queries: -1 }, /--queries must be a non-negative integer, found -1/],
  ['NaN shots', [10, 10], { ways: 2, shots: Number.NaN, queries: 1 }, /--shots must be a positive integer, found NaN/],
  ['more ways than classes', [10, 10, 10], { ways: 5, shots: 1, queries: 1 }, /5-way episodes need 5 classes but the split has only 3/],
  [
    'too few classes big enough',
    [600, 12, 600, 9],
    { ways: 3, shots: 5, queries: 10 },
    /15 images per class, but only 2 of 4 classes have that many and 3-way episodes need 3: class 1 has 12, class 3 has 9;/,
  ],
  ['bad class size', [10, -1], { ways: 1, shots: 1, queries: 1 }, /class 1 has an invalid image count -1/],
];

for (const [name, sizes, request, message] of invalid) {
  test(`impossible request fails before sampling: ${name}`, (t) => {
    let draws = 0;
    const rng = Object.assign(() => {
      draws += 1;
      return 0.5;
    }, { state: () => ({}) });
    const error = t.throws(() => sampleEpisode(rng, sizes, request), { instanceOf: UsageError, message });
    t.false(error?.message.includes('\n'));
    t.is(draws, 0);
  });
}

test('a too-small class is named when names are given', (t) => {
  t.throws(() => eligibleClasses([4, 600], { ways: 2, shots: 1, queries: 15 }, ['n01', 'n02']), {
    instanceOf: UsageError,
    message: /class 0 \('n01'\) has 4/,
  });
});
