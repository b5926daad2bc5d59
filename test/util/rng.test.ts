import test from 'ava';
import { createRng, sampleDistinct, shuffleInPlace } from '../../src/util/rng.js';

test('same seed gives the same stream; saved state resumes exactly', (t) => {
  const a = createRng(42);
  const b = createRng(42);
  const xs = Array.from({ length: 5 }, () => a());
  t.deepEqual(xs, Array.from({ length: 5 }, () => b()));
  const saved = a.state();
  const next = Array.from({ length: 5 }, () => a());
  const resumed = createRng(0, saved);
  t.deepEqual(Array.from({ length: 5 }, () => resumed()), next);
  t.notDeepEqual(Array.from({ length: 5 }, () => createRng(43)()), xs);
});

test('sampleDistinct draws distinct in-range values; shuffle is a permutation', (t) => {
  const rng = createRng('x');
  const s = sampleDistinct(rng, 10, 10);
  t.deepEqual([...s].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.throws(() => sampleDistinct(rng, 3, 4));
  const arr = shuffleInPlace(rng, [1, 2, 3, 4]);
  t.deepEqual([...arr].sort(), [1, 2, 3, 4]);
});
