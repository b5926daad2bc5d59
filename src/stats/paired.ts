/**
 * Paired comparison of two methods scored on the same items (episodes of one manifest): the mean
 * difference with its Student-t interval, the paired t-test and the Wilcoxon signed-rank test.
 * The tests come from stdlib-js (@stdlib/stats-ttest, @stdlib/stats-wilcoxon: maintained,
 * documented, R-compatible); this file only checks inputs and handles the degenerate cases those
 * packages leave undefined (all differences equal, all zero).
 */
import { ttest, wilcoxon } from './stdlib.js';
import { DataError, UsageError } from '../errors.js';

/** What a two-sided paired comparison of `a` minus `b` found. */
export interface PairedComparison {
  /** Pairs compared. */
  n: number;
  /** Mean of a - b. */
  meanDifference: number;
  /** Student-t interval of the mean difference at `level` (n - 1 degrees of freedom). */
  interval: [number, number];
  level: number;
  /** Paired t-test: t = mean / (s / sqrt(n)), two-sided p-value. */
  t: { statistic: number; df: number; pValue: number };
  /**
   * Wilcoxon signed-rank test, zero differences dropped (Wilcoxon's method): exact null
   * distribution when at most 50 non-zero differences without ties, otherwise the normal
   * approximation with tie-corrected variance and continuity correction (R's wilcox.test).
   */
  wilcoxon: { statistic: number; pValue: number; method: 'exact' | 'normal approximation'; nonZero: number };
}

function checkPairs(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new UsageError(`${what}: ${a.length} values against ${b.length}; a paired comparison needs the same items in both`);
  if (a.length < 2) throw new UsageError(`${what}: a paired comparison needs at least 2 pairs, got ${a.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) throw new DataError(`${what}: pair ${i} is (${a[i]}, ${b[i]}); paired tests need finite numbers`);
  }
}

/** Differences rounded to 1e-12, so equal accuracy differences reached through different fractions tie. */
function differences(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => Math.round((a[i]! - b[i]!) * 1e12) / 1e12);
}

function hasTiedMagnitudes(d: Float64Array): boolean {
  const seen = new Set<number>();
  for (const v of d) {
    if (seen.has(Math.abs(v))) return true;
    seen.add(Math.abs(v));
  }
  return false;
}

/** Two-sided Wilcoxon signed-rank test of the differences `d` (zeros dropped). */
function signedRank(d: Float64Array): PairedComparison['wilcoxon'] {
  const kept = d.filter((v) => v !== 0);
  if (kept.length === 0) return { statistic: 0, pValue: 1, method: 'normal approximation', nonZero: 0 };
  const exact = kept.length === d.length && kept.length <= 50 && !hasTiedMagnitudes(kept);
  const w = wilcoxon()(d, { correction: true, zeroMethod: 'wilcox' });
  return { statistic: w.statistic, pValue: Math.min(1, w.pValue), method: exact ? 'exact' : 'normal approximation', nonZero: kept.length };
}

/** Two-sided paired comparison of a - b (same order, same items) at confidence `level` (default 0.95). */
export function pairedComparison(a: ArrayLike<number>, b: ArrayLike<number>, options: { level?: number; what?: string } = {}): PairedComparison {
  const { level = 0.95, what = 'paired comparison' } = options;
  if (!(level > 0 && level < 1)) throw new UsageError(`confidence level must be strictly between 0 and 1, got ${level}`);
  checkPairs(a, b, what);
  const n = a.length;
  const d = differences(a, b);
  const wilcoxonResult = signedRank(d);
  const first = d[0]!;
  if (d.every((v) => v === first)) {
    // No spread: the t statistic is 0/0 or ±inf, and the difference is known exactly.
    return {
      n,
      meanDifference: first,
      interval: [first, first],
      level,
      t: { statistic: first === 0 ? 0 : Math.sign(first) * Infinity, df: n - 1, pValue: first === 0 ? 1 : 0 },
      wilcoxon: wilcoxonResult,
    };
  }
  const t = ttest()(Float64Array.from(a, (v, i) => v - b[i]!), { alpha: 1 - level });
  return {
    n,
    meanDifference: t.mean,
    interval: [t.ci[0], t.ci[1]],
    level,
    t: { statistic: t.statistic, df: t.df, pValue: Math.min(1, t.pValue) },
    wilcoxon: wilcoxonResult,
  };
}
