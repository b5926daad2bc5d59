import test from 'ava';
import { wilsonInterval } from '../../src/stats/binomial.js';

// Reference values: scipy 1.10 `binomtest(k, n).proportion_ci(0.95, method='wilson')`, i.e.
// centre = (p + z^2/2n) / (1 + z^2/n), half = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n), z = 1.959964.
test('wilsonInterval matches the closed form on hand-computed cases', (t) => {
  const a = wilsonInterval(50, 100);
  t.true(Math.abs(a.low - 0.403832) < 1e-5, String(a.low));
  t.true(Math.abs(a.high - 0.596168) < 1e-5, String(a.high));
  const b = wilsonInterval(0, 10);
  t.is(b.low, 0);
  t.true(Math.abs(b.high - 0.277533) < 1e-5, String(b.high));
  const c = wilsonInterval(3500, 5000);
  t.true(Math.abs(c.low - 0.687148) < 1e-5, String(c.low));
  t.true(Math.abs(c.high - 0.712545) < 1e-5, String(c.high));
});

test('wilsonInterval refuses impossible counts', (t) => {
  t.throws(() => wilsonInterval(11, 10), { message: /0 <= k <= n/ });
  t.throws(() => wilsonInterval(1, 0), { message: /n >= 1/ });
});
