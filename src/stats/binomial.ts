/** Intervals for a proportion (one run's top-1 accuracy over n test images). */
import { UsageError } from '../errors.js';
import { normalQuantile } from './distributions.js';

/** A proportion with its interval bounds, all as fractions in [0, 1]. */
export interface ProportionInterval {
  estimate: number;
  low: number;
  high: number;
  n: number;
  method: 'wilson';
  level: number;
}

/** Wilson score interval of k successes in n trials (better coverage than the normal interval near 0 or 1). */
export function wilsonInterval(k: number, n: number, level = 0.95): ProportionInterval {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(k) || k < 0 || k > n) {
    throw new UsageError(`a binomial interval needs integers 0 <= k <= n, n >= 1; found k=${k}, n=${n}`);
  }
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = k / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), n, method: 'wilson', level };
}
