/**
 * Per-class constants of the long-tail losses, from the training set's class counts n_i: the
 * class-balanced weights of Cui et al. (2019) and the LDAM margins of Cao et al. (2019), as in
 * richardaecn/class-balanced-loss and kaidic/LDAM-DRW (`cifar_train.py`, `losses.py`).
 */
import { DataError, UsageError } from '../../errors.js';

function checkCounts(counts: readonly number[], what: string): void {
  if (counts.length === 0) throw new DataError(`${what}: no class counts (an empty training set)`);
  const bad = counts.findIndex((n) => !Number.isInteger(n) || n < 1);
  if (bad >= 0) throw new DataError(`${what}: class ${bad} has ${counts[bad]} training images; every class needs at least 1 (lower --imbalance or raise --per-class)`);
}

/**
 * Class-balanced weights w_i = (1 - beta) / (1 - beta^n_i) (the inverse effective number of
 * samples), normalised to sum to C; beta = 0 gives all ones (the reference's DRW before its switch).
 */
export function classBalancedWeights(counts: readonly number[], beta: number): number[] {
  if (!(beta >= 0 && beta < 1)) throw new UsageError(`cbBeta must be in [0, 1), found ${beta}`);
  checkCounts(counts, 'class-balanced weights');
  const raw = counts.map((n) => (1 - beta) / (1 - beta ** n));
  const sum = raw.reduce((s, w) => s + w, 0);
  return raw.map((w) => (w * counts.length) / sum);
}

/** LDAM margins Delta_i proportional to n_i^(-1/4), scaled so the largest (rarest class) is `maxMargin`. */
export function ldamMargins(counts: readonly number[], maxMargin: number): number[] {
  if (!(maxMargin > 0)) throw new UsageError(`ldamMaxMargin must be positive, found ${maxMargin}`);
  checkCounts(counts, 'LDAM margins');
  const raw = counts.map((n) => 1 / Math.sqrt(Math.sqrt(n)));
  const max = Math.max(...raw);
  return raw.map((m) => (m * maxMargin) / max);
}
