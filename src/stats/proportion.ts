/**
 * Intervals for one run's accuracy k/n (a binomial proportion): Wilson's score interval and the
 * exact Clopper-Pearson interval (from stdlib-js @stdlib/stats-binomial-test, R's binom.test).
 */
import { UsageError } from '../errors.js';
import { normalQuantile } from './distributions.js';
import { binomialTest } from './stdlib.js';

function checkCounts(k: number, n: number, level: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`a proportion interval needs n >= 1 trials, got ${n}`);
  if (!Number.isSafeInteger(k) || k < 0 || k > n) throw new UsageError(`a proportion interval needs 0 <= k <= n successes, got k = ${k}, n = ${n}`);
  if (!(level > 0 && level < 1)) throw new UsageError(`confidence level must be strictly between 0 and 1, got ${level}`);
}

/** Wilson score interval [low, high] of k successes in n trials at `level` (default 0.95). */
export function wilsonInterval(k: number, n: number, level = 0.95): [number, number] {
  checkCounts(k, n, level);
  const z = normalQuantile((1 + level) / 2);
  const p = k / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  // At k = 0 (k = n) the bound is exactly 0 (1); the formula leaves rounding residue there.
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}

/** Exact (Clopper-Pearson) interval [low, high] of k successes in n trials at `level` (default 0.95). */
export function clopperPearsonInterval(k: number, n: number, level = 0.95): [number, number] {
  checkCounts(k, n, level);
  const ci = binomialTest()(k, n, { alpha: 1 - level }).ci;
  return [ci[0], ci[1]];
}
