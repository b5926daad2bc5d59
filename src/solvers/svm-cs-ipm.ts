/**
 * A structured primal-dual interior point for the Crammer-Singer dual: the robust fallback of the
 * structured solver when block-coordinate descent and the active-set steps stall (ill-conditioned,
 * low-rank kernels at large scale). With the bounds a <= u as the only inequalities, the barrier
 * Hessian is diagonal, so Q + D stays block-diagonal by class (K + sI + D_m) and the per-sample
 * equalities reduce to one n x n Schur complement S = sum_m (K + sI + D_m)^-1 per iteration.
 */
import { choleskyInPlace, choleskyInverse, choleskySolveInPlace } from './linalg64.js';
import { centering, maxStep } from './mehrotra.js';
import { bound, kernelTimesAlpha, type Problem } from './svm-cs-problem.js';

/** The interior point's result: the primal point, its slacks and bound multipliers. */
export interface IpmPoint {
  alpha: Float64Array;
  slack: Float64Array;
  lambda: Float64Array;
  iterations: number;
}

/**
 * Factors the Newton system of an interior point on the Crammer-Singer dual for barrier weights
 * d (per variable, support-major): H = Q + diag(d), block-diagonal by class (H_m = K + sI + D_m),
 * and S = sum_m H_m^-1 for the per-sample equalities A = I_n (x) 1_W^T. Returns the solver of
 * [H A^T; A 0] [x; y] = [f; g] (f length n*W, g length n).
 */
export function structuredKkt(p: Problem, d: Float64Array): (f: Float64Array, g: Float64Array) => { x: Float64Array; y: Float64Array } {
  const { n, w, k, shift } = p;
  const hinv: Float64Array[] = [];
  const schur = new Float64Array(n * n);
  for (let m = 0; m < w; m++) {
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) h[i * n + j] = k[i * n + j]! + (i === j ? shift + d[i * w + m]! : 0);
    }
    choleskyInPlace(h, n);
    const inv = choleskyInverse(h, n);
    for (let x = 0; x < n * n; x++) schur[x]! += inv[x]!;
    hinv.push(inv);
  }
  choleskyInPlace(schur, n);
  return (f, g) => {
    // S y = A H^-1 f - g, then x = H^-1 (f - A^T y)
    const hf: Float64Array[] = [];
    const y = Float64Array.from(g, (v) => -v);
    for (let m = 0; m < w; m++) {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += hinv[m]![i * n + j]! * f[j * w + m]!;
        v[i] = s;
        y[i]! += s;
      }
      hf.push(v);
    }
    choleskySolveInPlace(schur, n, y, 1);
    const x = new Float64Array(n * w);
    for (let m = 0; m < w; m++) {
      for (let i = 0; i < n; i++) {
        let s = hf[m]![i]!;
        for (let j = 0; j < n; j++) s -= hinv[m]![i * n + j]! * y[j]!;
        x[i * w + m] = s;
      }
    }
    return { x, y };
  };
}

/**
 * Runs Mehrotra predictor-corrector iterations until the residuals and the duality measure are
 * below `eps` or `maxIter` is reached; returns the last iterate (always strictly interior).
 */
export function svmCsInteriorPoint(p: Problem, maxIter = 40, eps = 1e-9): IpmPoint {
  const { n, w, shift } = p;
  const nz = n * w;
  const u = new Float64Array(nz);
  for (let i = 0; i < n; i++) for (let m = 0; m < w; m++) u[i * w + m] = bound(p, i, m);
  // start: a = 0 (feasible for the equalities), unit slacks and multipliers
  const alpha = new Float64Array(nz);
  const slack = Float64Array.from(u, (v) => v + 1);
  const lambda = new Float64Array(nz).fill(1);
  const nu = new Float64Array(n);
  let it = 0;
  for (; it < maxIter; it++) {
    const f = kernelTimesAlpha(p, alpha);
    const rd = new Float64Array(nz);
    const rp = new Float64Array(nz);
    const re = new Float64Array(n);
    let mu = 0;
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < w; m++) {
        const x = i * w + m;
        rd[x] = f[x]! + shift * alpha[x]! - (p.labels[i] === m ? 1 : 0) + lambda[x]! + nu[i]!;
        rp[x] = alpha[x]! + slack[x]! - u[x]!;
        re[i]! += alpha[x]!;
        mu += slack[x]! * lambda[x]!;
        worst = Math.max(worst, Math.abs(rd[x]!), Math.abs(rp[x]!));
      }
      worst = Math.max(worst, Math.abs(re[i]!));
    }
    mu /= nz;
    if (Math.max(worst, mu) < eps) break;
    const d = Float64Array.from(lambda, (l, x) => l / slack[x]!);
    const kkt = structuredKkt(p, d);
    // (Q + D) da + A^T dnu = -rd - (rc + lambda rp) / s,  A da = -re
    const direction = (rc: Float64Array) => {
      const wv = Float64Array.from(rc, (v, x) => (v + lambda[x]! * rp[x]!) / slack[x]!);
      const { x: da, y: dnu } = kkt(Float64Array.from(wv, (v, x) => -rd[x]! - v), Float64Array.from(re, (v) => -v));
      const ds = Float64Array.from(da, (v, x) => -rp[x]! - v);
      const dl = Float64Array.from(da, (v, x) => wv[x]! + d[x]! * v);
      return { da, dnu, ds, dl };
    };
    const aff = direction(Float64Array.from(slack, (s, x) => -s * lambda[x]!));
    const sigma = centering(slack, aff.ds, lambda, aff.dl, mu);
    const dir = direction(Float64Array.from(slack, (s, x) => -s * lambda[x]! - aff.ds[x]! * aff.dl[x]! + sigma * mu));
    const step = Math.min(1, 0.99 * maxStep(slack, dir.ds, lambda, dir.dl));
    for (let x = 0; x < nz; x++) {
      alpha[x]! += step * dir.da[x]!;
      slack[x]! += step * dir.ds[x]!;
      lambda[x]! += step * dir.dl[x]!;
    }
    for (let i = 0; i < n; i++) nu[i]! += step * dir.dnu[i]!;
  }
  return { alpha, slack, lambda, iterations: it };
}
