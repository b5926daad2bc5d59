/** Mean accuracy with a confidence interval over evaluation episodes. */
import { DataError, UsageError } from '../errors.js';
import { normalQuantile, studentTQuantile } from './distributions.js';

/** A mean and the half-width of its confidence interval: report `mean ± halfWidth`. */
export interface ConfidenceInterval {
  mean: number;
  halfWidth: number;
  /** Sample standard deviation (divides by n - 1). */
  std: number;
  n: number;
}

export interface ConfidenceOptions {
  /** Coverage of the interval, strictly between 0 and 1 (default 0.95). */
  level?: number;
  /** 'normal': z quantile (1.96 at 95%); 't': Student-t quantile with n - 1 degrees of freedom. */
  method?: 'normal' | 't';
}

function checkValues(values: readonly number[]): void {
  if (values.length < 2) {
    throw new UsageError(`a confidence interval needs at least 2 values (episodes), got ${values.length}`);
  }
  const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) throw new DataError(`value ${bad} is ${String(values[bad])}: confidence intervals need finite numbers`);
}

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sum of squared deviations from the mean (two-pass, so large offsets lose no precision). */
function squaredDeviations(values: readonly number[], mean: number): number {
  let sum = 0;
  for (const v of values) sum += (v - mean) * (v - mean);
  return sum;
}

/**
 * Mean of `values` with the half-width of its confidence interval: quantile * std / sqrt(n),
 * std the sample standard deviation (n - 1). Needs n >= 2 finite values.
 */
export function meanConfidenceInterval(values: readonly number[], options: ConfidenceOptions = {}): ConfidenceInterval {
  const { level = 0.95, method = 'normal' } = options;
  if (!(level > 0 && level < 1)) throw new UsageError(`confidence level must be strictly between 0 and 1, got ${level}`);
  if (method !== 'normal' && method !== 't') throw new UsageError(`unknown confidence method '${String(method)}': expected normal or t`);
  checkValues(values);
  const n = values.length;
  const mean = meanOf(values);
  const std = Math.sqrt(squaredDeviations(values, mean) / (n - 1));
  const p = (1 + level) / 2;
  const quantile = method === 't' ? studentTQuantile(p, n - 1) : normalQuantile(p);
  return { mean, halfWidth: (quantile * std) / Math.sqrt(n), std, n };
}

/**
 * The 95% half-width exactly as MetaOptNet's test.py prints it, for comparison with published
 * numbers: 1.96 * std / sqrt(n + 1) with std the POPULATION standard deviation (divides by n).
 * Its loop counts episodes from 1 and then divides by sqrt(i + 1), so it reports a slightly
 * narrower interval than meanConfidenceInterval's 1.96 * sample std / sqrt(n).
 */
export function metaOptNetHalfWidth(values: readonly number[]): number {
  checkValues(values);
  const n = values.length;
  const populationStd = Math.sqrt(squaredDeviations(values, meanOf(values)) / n);
  return (1.96 * populationStd) / Math.sqrt(n + 1);
}
