/**
 * McNemar's test for two classifiers scored on the same test images: only the discordant images
 * count (b: right in A only, c: right in B only). The exact binomial test (stdlib-js
 * @stdlib/stats-binomial-test, R's binom.test) when b + c < 25, else chi-square with 1 degree of
 * freedom and Edwards' continuity correction, (|b - c| - 1)^2 / (b + c).
 */
import { DataError, UsageError } from '../errors.js';
import { erfc } from './special.js';
import { binomialTest } from './stdlib.js';

/** Discordant counts below this use the exact binomial test. */
export const MCNEMAR_EXACT_BELOW = 25;

/** What McNemar's test found. */
export interface McNemarResult {
  /** Images compared. */
  n: number;
  /** Right in A, wrong in B. */
  onlyA: number;
  /** Right in B, wrong in A. */
  onlyB: number;
  method: 'exact binomial' | 'chi-square with continuity correction';
  /** The chi-square statistic, or onlyA for the exact test. */
  statistic: number;
  /** Two-sided p-value. */
  pValue: number;
}

function checkCorrectness(values: ArrayLike<number>, name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 0 && values[i] !== 1) throw new DataError(`mcnemarTest: ${name}[${i}] is ${values[i]}; expected 0 (wrong) or 1 (right) per test image`);
  }
}

/** Survival function of chi-square with 1 degree of freedom: P(X > x) = erfc(sqrt(x / 2)). */
function chiSquare1Tail(x: number): number {
  return erfc(Math.sqrt(x / 2));
}

/** McNemar's test on per-image correctness (0/1) of two classifiers over the same images, in the same order. */
export function mcnemarTest(a: ArrayLike<number>, b: ArrayLike<number>): McNemarResult {
  if (a.length !== b.length) throw new UsageError(`mcnemarTest: ${a.length} images against ${b.length}; both runs must score the same test set`);
  if (a.length === 0) throw new UsageError('mcnemarTest: no test images');
  checkCorrectness(a, 'a');
  checkCorrectness(b, 'b');
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 1 && b[i] === 0) onlyA++;
    else if (a[i] === 0 && b[i] === 1) onlyB++;
  }
  const n = a.length;
  const discordant = onlyA + onlyB;
  if (discordant < MCNEMAR_EXACT_BELOW) {
    const pValue = discordant === 0 ? 1 : Math.min(1, binomialTest()(onlyA, discordant, { p: 0.5 }).pValue);
    return { n, onlyA, onlyB, method: 'exact binomial', statistic: onlyA, pValue };
  }
  const statistic = (Math.abs(onlyA - onlyB) - 1) ** 2 / discordant;
  return { n, onlyA, onlyB, method: 'chi-square with continuity correction', statistic, pValue: chiSquare1Tail(statistic) };
}
