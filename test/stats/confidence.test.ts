import test from 'ava';
import { DataError, UsageError } from '../../src/errors.js';
import { meanConfidenceInterval, metaOptNetHalfWidth } from '../../src/stats/index.js';

const close = (actual: number, expected: number, tolerance = 1e-9) => Math.abs(actual - expected) <= tolerance;

// Hand computation for [0.6, 0.7, 0.8, 0.9, 1.0]: mean 0.8, squared deviations sum to 0.1,
// sample variance 0.1 / 4 = 0.025, std = 0.158113883, std / sqrt(5) = 0.0707106781.
const values = [0.6, 0.7, 0.8, 0.9, 1.0];

test('normal interval: 1.96 * sample std / sqrt(n)', (t) => {
  const ci = meanConfidenceInterval(values);
  t.is(ci.n, 5);
  t.true(close(ci.mean, 0.8));
  t.true(close(ci.std, Math.sqrt(0.025)));
  t.true(close(ci.halfWidth, 1.959963984540054 * 0.07071067811865475));
});

test('t interval uses n - 1 degrees of freedom', (t) => {
  const ci = meanConfidenceInterval(values, { method: 't' });
  t.true(close(ci.halfWidth, 2.7764451051977987 * 0.07071067811865475)); // t(0.975, 4)
});

test('level changes the quantile', (t) => {
  const ci = meanConfidenceInterval([1, 2, 3, 4], { level: 0.9, method: 't' });
  // mean 2.5, sample variance 5/3, t(0.95, 3) = 2.3533634348018264
  t.true(close(ci.mean, 2.5));
  t.true(close(ci.halfWidth, (2.3533634348018264 * Math.sqrt(5 / 3)) / 2));
  t.true(meanConfidenceInterval([1, 2, 3, 4], { level: 0.99 }).halfWidth > meanConfidenceInterval([1, 2, 3, 4]).halfWidth);
});

test('1000 episodes: t and normal agree to about 0.1%', (t) => {
  const accs = Array.from({ length: 1000 }, (_, i) => 0.5 + 0.3 * Math.sin(i));
  const normal = meanConfidenceInterval(accs);
  const student = meanConfidenceInterval(accs, { method: 't' });
  t.true(close(student.halfWidth / normal.halfWidth, 1.9623414611 / 1.959963984540054, 1e-6));
});

test('MetaOptNet half-width: 1.96 * population std / sqrt(n + 1)', (t) => {
  // population std = sqrt(0.1 / 5)
  t.true(close(metaOptNetHalfWidth(values), (1.96 * Math.sqrt(0.02)) / Math.sqrt(6)));
  t.true(metaOptNetHalfWidth(values) < meanConfidenceInterval(values).halfWidth);
});

test('bad input gives clear errors', (t) => {
  t.throws(() => meanConfidenceInterval([0.5]), { instanceOf: UsageError, message: /at least 2 values.*got 1/ });
  t.throws(() => meanConfidenceInterval([]), { instanceOf: UsageError });
  t.throws(() => metaOptNetHalfWidth([1]), { instanceOf: UsageError });
  t.throws(() => meanConfidenceInterval([0.5, Number.NaN]), { instanceOf: DataError, message: /value 1 is NaN/ });
  t.throws(() => meanConfidenceInterval(values, { level: 95 }), { instanceOf: UsageError, message: /between 0 and 1/ });
  t.throws(() => meanConfidenceInterval(values, { method: 'z' as 'normal' }), { instanceOf: UsageError });
});
