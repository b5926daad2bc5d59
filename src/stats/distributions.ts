/** Normal and Student-t distributions: CDFs and quantiles (inverse CDFs) for confidence intervals. */
import { erfc, logGamma, regularizedIncompleteBeta } from './special.js';

/**
 * Root of a decreasing function `f` inside [lo, hi] (f(lo) >= 0 >= f(hi)): Newton steps with
 * `slope` (the derivative), falling back to bisection whenever a step leaves the bracket.
 */
function decreasingRoot(f: (x: number) => number, slope: (x: number) => number, lo: number, hi: number): number {
  let x = (lo + hi) / 2;
  for (let i = 0; i < 400; i++) {
    const value = f(x);
    if (value === 0) return x;
    if (value > 0) lo = x;
    else hi = x;
    const d = slope(x);
    let next = d !== 0 && Number.isFinite(d) ? x - value / d : NaN;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, Math.abs(x)) || hi - lo <= 1e-15 * Math.max(1, Math.abs(x))) return next;
    x = next;
  }
  return x;
}

function checkProbability(p: number, what: string): void {
  if (!(p > 0 && p < 1)) throw new RangeError(`${what} needs a probability strictly between 0 and 1, got ${p}`);
}

/** P(Z > z) for a standard normal Z, accurate far into the tail. */
function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Standard normal CDF P(Z <= z). */
export function normalCdf(z: number): number {
  return normalUpperTail(-z);
}

/** Standard normal quantile: the z with P(Z <= z) = p (1.959964 for p = 0.975). */
export function normalQuantile(p: number): number {
  checkProbability(p, 'normalQuantile');
  if (p === 0.5) return 0;
  const tail = Math.min(p, 1 - p);
  const density = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  // The upper tail falls from 0.5 at 0 to below any double's tail probability at 40.
  const z = decreasingRoot((x) => normalUpperTail(x) - tail, (x) => -density(x), 0, 40);
  return p < 0.5 ? -z : z;
}

function checkDof(dof: number): void {
  if (!(dof > 0) || !Number.isFinite(dof)) throw new RangeError(`Student t needs degrees of freedom > 0, got ${dof}`);
}

/** P(T > t) for t >= 0 and T Student-t with `dof` degrees of freedom: I_{dof/(dof+t^2)}(dof/2, 1/2) / 2. */
function studentTUpperTail(t: number, dof: number): number {
  return 0.5 * regularizedIncompleteBeta(dof / (dof + t * t), dof / 2, 0.5);
}

/** Student-t CDF P(T <= t) with `dof` degrees of freedom (dof > 0, need not be an integer). */
export function studentTCdf(t: number, dof: number): number {
  checkDof(dof);
  const upper = studentTUpperTail(Math.abs(t), dof);
  return t >= 0 ? 1 - upper : upper;
}

/** Student-t quantile: the t with P(T <= t) = p for `dof` degrees of freedom (2.262 for 0.975, 9). */
export function studentTQuantile(p: number, dof: number): number {
  checkProbability(p, 'studentTQuantile');
  checkDof(dof);
  if (p === 0.5) return 0;
  const tail = Math.min(p, 1 - p);
  const logNorm = logGamma((dof + 1) / 2) - logGamma(dof / 2) - 0.5 * Math.log(dof * Math.PI);
  const density = (t: number) => Math.exp(logNorm - ((dof + 1) / 2) * Math.log1p((t * t) / dof));
  let hi = 1;
  while (studentTUpperTail(hi, dof) > tail) hi *= 2;
  const t = decreasingRoot((x) => studentTUpperTail(x, dof) - tail, (x) => -density(x), 0, hi);
  return p < 0.5 ? -t : t;
}
