/**
 * Intervals for one run's accuracy k/n (a binomial proportion): Wilson's score interval and the
 * exact Clopper-Pearson interval (from stdlib-js @stdlib/stats-binomial-test, R's binom.test).
 */
import { UsageError } from '../errors.js';
import { wilsonInterval as wilsonProportion } from './binomial.js';
import { binomialTest } from './stdlib.js';

function checkCounts(k: number, n: number, level: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`a proportion interval needs n >= 1 trials, got ${n}`);
  if (!Number.isSafeInteger(k) || k < 0 || k > n) throw new UsageError(`a proportion interval needs 0 <= k <= n successes, got k = ${k}, n = ${n}`);
  if (!(level > 0 && level < 1)) throw new UsageError(`confidence level must be strictly between 0 and 1, got ${level}`);
}

/** Wilson score interval [low, high] of k successes in n trials at `level` (default 0.95). */
export function wilsonInterval(k: number, n: number, level = 0.95): [number, number] {
  checkCounts(k, n, level);
  const { low, high } = wilsonProportion(k, n, level);
  // At k = 0 (k = n) the bound is exactly 0 (1); the formula leaves rounding residue there.
  return [k === 0 ? 0 : low, k === n ? 1 : high];
}

/** Exact (Clopper-Pearson) interval [low, high] of k successes in n trials at `level` (default 0.95). */
export function clopperPearsonInterval(k: number, n: number, level = 0.95): [number, number] {
  checkCounts(k, n, level);
  const ci = binomialTest()(k, n, { alpha: 1 - level }).ci;
  return [ci[0], ci[1]];
}
