import test from 'ava';
import { erfc, logGamma, normalCdf, normalQuantile, regularizedIncompleteBeta, studentTCdf, studentTQuantile } from '../../src/stats/index.js';

const close = (actual: number, expected: number, tolerance: number) => Math.abs(actual - expected) <= tolerance;

test('logGamma matches closed forms', (t) => {
  t.true(close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13));
  t.true(close(logGamma(1), 0, 1e-14));
  t.true(close(logGamma(10), Math.log(362880), 1e-12));
  t.true(close(logGamma(0.25), 1.2880225246980774, 1e-12));
});

test('erfc and the normal CDF match reference values, including the far tail', (t) => {
  t.true(close(erfc(0.5), 0.4795001221869535, 1e-15));
  t.true(close(erfc(3) / 2.209049699858544e-5, 1, 1e-12));
  t.true(close(erfc(-1), 2 - 0.15729920705028513, 1e-15));
  t.true(close(normalCdf(1), 0.8413447460685429, 1e-15));
  t.true(close(normalCdf(-5) / 2.866515718791939e-7, 1, 1e-12));
});

test('regularized incomplete beta matches closed forms', (t) => {
  // I_x(a, 1) = x^a and I_x(1, b) = 1 - (1 - x)^b.
  t.true(close(regularizedIncompleteBeta(0.3, 2.5, 1), 0.3 ** 2.5, 1e-14));
  t.true(close(regularizedIncompleteBeta(0.7, 1, 3), 1 - 0.3 ** 3, 1e-14));
  t.true(close(regularizedIncompleteBeta(0.5, 4, 4), 0.5, 1e-14));
  t.throws(() => regularizedIncompleteBeta(1.5, 1, 1), { instanceOf: RangeError });
});

test('normal quantile matches tabulated values and is symmetric', (t) => {
  t.true(close(normalQuantile(0.975), 1.959963984540054, 1e-12));
  t.true(close(normalQuantile(0.995), 2.5758293035489004, 1e-12));
  t.true(close(normalQuantile(0.95), 1.6448536269514722, 1e-12));
  t.true(close(normalQuantile(1e-10), -6.361340902404056, 1e-10));
  t.is(normalQuantile(0.5), 0);
  t.is(normalQuantile(0.25), -normalQuantile(0.75));
  t.throws(() => normalQuantile(1), { instanceOf: RangeError });
});

test('Student-t quantile matches tabulated values (3 decimals)', (t) => {
  const table: [number, number, number][] = [
    [0.975, 9, 2.262],
    [0.975, 999, 1.962],
    [0.975, 1, 12.706],
    [0.995, 29, 2.756],
    [0.95, 5, 2.015],
    [0.975, 4, 2.776],
    [0.995, 1, 63.657],
    [0.9995, 1, 636.619],
    [0.9, 120, 1.289],
  ];
  for (const [p, dof, expected] of table) {
    t.true(close(studentTQuantile(p, dof), expected, 5e-4), `t(${p}, ${dof}) = ${studentTQuantile(p, dof)}, table ${expected}`);
  }
});

test('Student-t quantile matches closed forms for 1 and 2 degrees of freedom', (t) => {
  for (const p of [0.6, 0.9, 0.975, 0.999, 0.05]) {
    t.true(close(studentTQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)), 1e-9 * Math.max(1, Math.abs(Math.tan(Math.PI * (p - 0.5))))));
    t.true(close(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-10));
  }
});

test('Student-t quantile inverts the CDF and tends to the normal quantile', (t) => {
  for (const dof of [3, 17.5, 250]) {
    for (const p of [0.01, 0.3, 0.7, 0.99]) t.true(close(studentTCdf(studentTQuantile(p, dof), dof), p, 1e-12));
  }
  t.true(close(studentTQuantile(0.975, 1e6), 1.959966357, 1e-8));
  t.throws(() => studentTQuantile(0.975, 0), { instanceOf: RangeError });
});
