/**
 * The Crammer-Singer SVM dual as data (kernel, labels, C, diagonal shift) and the quantities every
 * part of its solver needs: bounds, gradient, KKT residual, feasibility, active set.
 */
import { JointshotError } from '../errors.js';

/** Options of the Crammer-Singer dual. Defaults are MetaOptNet's (C = 0.1, +1.0 I). */
export interface SvmCsOptions {
  /** Box bound C on the dual variables of the true class. */
  C?: number;
  /** Added to the Hessian diagonal (MetaOptNet adds 1.0 I "to avoid PSD errors"). */
  diagShift?: number;
  /** Required KKT residual (see `svmCsResidual`); default 1e-6. */
  tol?: number;
  /** Cap on block-coordinate sweeps over the supports; default 2000. */
  maxSweeps?: number;
}

/** One dual problem: kernel K (n x n), labels, W classes, C and the diagonal shift s. */
export interface Problem {
  k: Float64Array;
  n: number;
  w: number;
  labels: Int32Array;
  c: number;
  shift: number;
  /** (K + sI)^-1, computed on first use (for classes with few bound supports). */
  fullInverse?: Float64Array;
}

/** Options with every field set. */
export type ResolvedOptions = Required<SvmCsOptions>;

/** The options with their defaults filled in. */
export const resolved = (o: SvmCsOptions): ResolvedOptions => ({
  C: o.C ?? 0.1,
  diagShift: o.diagShift ?? 1.0,
  tol: o.tol ?? 1e-6,
  maxSweeps: o.maxSweeps ?? 2000,
});

/** The bound u_i^m = C * onehot(y_i)^m. */
export function bound(p: Problem, i: number, m: number): number {
  return p.labels[i] === m ? p.c : 0;
}

/** Whether a_i^m sits on its upper bound (exactly: every path that reaches a bound writes u itself). */
export function atBound(p: Problem, alpha: Float64Array, i: number, m: number): boolean {
  return alpha[i * p.w + m]! >= bound(p, i, m);
}

/** F = K a (n x W), the kernel part of the gradient. */
export function kernelTimesAlpha(p: Problem, alpha: Float64Array): Float64Array {
  const { n, w, k } = p;
  const f = new Float64Array(n * w);
  for (let j = 0; j < n; j++) {
    for (let m = 0; m < w; m++) {
      const a = alpha[j * w + m]!;
      if (a === 0) continue;
      for (let i = 0; i < n; i++) f[i * w + m]! += k[i * n + j]! * a;
    }
  }
  return f;
}

/** Gradient of the dual objective g = (K (x) I + sI) a - onehot(y), from F = K a. */
export function gradient(p: Problem, alpha: Float64Array, f: Float64Array): Float64Array {
  const g = new Float64Array(p.n * p.w);
  for (let i = 0; i < p.n; i++) {
    for (let m = 0; m < p.w; m++) {
      const idx = i * p.w + m;
      g[idx] = f[idx]! + p.shift * alpha[idx]! - (p.labels[i] === m ? 1 : 0);
    }
  }
  return g;
}

/** KKT residual: max over supports of (max_m g_i^m - min over free m of g_i^m); 0 at the optimum. */
export function residualOf(p: Problem, alpha: Float64Array, g: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < p.n; i++) {
    let hi = -Infinity;
    let loFree = Infinity;
    for (let m = 0; m < p.w; m++) {
      const gi = g[i * p.w + m]!;
      if (gi > hi) hi = gi;
      if (!atBound(p, alpha, i, m) && gi < loFree) loFree = gi;
    }
    worst = Math.max(worst, hi - loFree);
  }
  return worst;
}

/** Largest violation of the constraints (a <= u, sum_m a_i^m = 0). */
export function infeasibility(p: Problem, alpha: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < p.n; i++) {
    let s = 0;
    for (let m = 0; m < p.w; m++) {
      const a = alpha[i * p.w + m]!;
      s += a;
      worst = Math.max(worst, a - bound(p, i, m));
    }
    worst = Math.max(worst, Math.abs(s));
  }
  return worst;
}

/** Active set read off a feasible point: at bound and not strictly preferred (multiplier side). */
export function activeSetOf(p: Problem, alpha: Float64Array): Uint8Array {
  const active = new Uint8Array(p.n * p.w);
  for (let i = 0; i < p.n; i++) {
    for (let m = 0; m < p.w; m++) if (atBound(p, alpha, i, m)) active[i * p.w + m] = 1;
  }
  return active;
}

/** Wraps the inputs as a problem, checking shapes and labels. */
export function problemOf(k: ArrayLike<number>, labels: ArrayLike<number>, nWay: number, o: ResolvedOptions): Problem {
  const n = labels.length;
  if (k.length !== n * n) throw new JointshotError(`svmCs: kernel has ${k.length} entries, expected n*n = ${n * n} for ${n} labels`);
  const lab = Int32Array.from(labels);
  for (const y of lab) {
    if (!(y >= 0 && y < nWay)) throw new JointshotError(`svmCs: label ${y} is outside 0..${nWay - 1}`);
  }
  return { k: Float64Array.from(k), n, w: nWay, labels: lab, c: o.C, shift: o.diagShift };
}
