/**
 * Structured solver for MetaOptNet's Crammer-Singer SVM dual (Float64, plain JS), with gradients
 * by implicit differentiation of its KKT conditions. The problem, for n supports and W classes:
 *
 *   min_a  1/2 a^T (K (x) I_W + s I) a - onehot(y)^T a
 *   s.t.   a_i^m <= C onehot(y_i)^m,   sum_m a_i^m = 0        (a support-major: a[i*W + m])
 *
 * The constraints are per-sample blocks, so exact block-coordinate descent (one support at a
 * time, each step a projection onto {v <= u, sum v = 0}) converges cheaply; once it has found the
 * active set, a reduced Newton step on the free variables (svm-cs-reduced.ts: an equality-
 * constrained QP that the Kronecker structure splits into one small block per class plus an n x n
 * Schur complement) polishes the solution to machine precision. The same system gives the
 * backward pass.
 */
import { JointshotError } from '../errors.js';
import {
  activeSetOf,
  bound,
  gradient,
  infeasibility,
  kernelTimesAlpha,
  problemOf,
  residualOf,
  resolved,
  type Problem,
  type SvmCsOptions,
} from './svm-cs-problem.js';
import { buildReduced, newtonCandidate, solveReduced, type BlockCache, type Reduced } from './svm-cs-reduced.js';
import { svmCsInteriorPoint } from './svm-cs-ipm.js';

export type { SvmCsOptions } from './svm-cs-problem.js';

/** A solved dual, with what the backward pass needs. */
export interface SvmCsSolution {
  /** Dual variables, support-major [i*W + m], length n*W. */
  readonly alpha: Float64Array;
  readonly n: number;
  readonly nWay: number;
  /** KKT residual reached (max over supports of max_m g - min_{m free} g, g = Qa + p). */
  readonly residual: number;
  /** Block-coordinate sweeps done. */
  readonly sweeps: number;
  /** Whether the reduced Newton (active-set) step produced the final answer. */
  readonly polished: boolean;
  /** Number of free variables at the solution (-1 if the active-set step was not used). */
  readonly reducedSize: number;
  /** Reduced Newton (active-set) solves done in all. */
  readonly newtonSteps: number;
  /** Iterations of the interior-point fallback (0 unless the fast path stalled). */
  readonly interiorPointIterations: number;
  /** Set when qpth's interior point was run with `maxIter` instead (loop count, returned iterate). */
  readonly qpth?: { readonly iterations: number; readonly bestIterate: number };
}

interface SolutionInternal extends SvmCsSolution {
  readonly problem: Problem;
  /** The factored reduced system at the solution, when the Newton step produced it. */
  readonly reduced?: Reduced;
}

/**
 * Euclidean projection of z onto {v : v <= u, sum v = 0} (u >= 0, sum u > 0), written to `out`:
 * v = min(u, z - tau) with tau the root of the piecewise-linear sum, found over sorted breakpoints.
 */
export function projectCappedZeroSum(z: ArrayLike<number>, u: ArrayLike<number>, out: Float64Array): void {
  const w = z.length;
  const order = Array.from({ length: w }, (_, m) => m).sort((a, b) => z[b]! - u[b]! - (z[a]! - u[a]!));
  // order: breakpoints t_m = z_m - u_m descending; the first `capped` entries sit at their bound.
  let sumUncapped = 0;
  for (let m = 0; m < w; m++) sumUncapped += z[m]!;
  let sumCapped = 0;
  let tau = 0;
  for (let capped = 0; capped < w; capped++) {
    tau = (sumUncapped + sumCapped) / (w - capped);
    const nextT = z[order[capped]!]! - u[order[capped]!]!; // largest breakpoint still uncapped
    if (tau >= nextT) break; // every uncapped coordinate satisfies z - tau <= u
    const m = order[capped]!;
    sumUncapped -= z[m]!;
    sumCapped += u[m]!;
  }
  for (let m = 0; m < w; m++) out[m] = Math.min(u[m]!, z[m]! - tau);
}

/** One exact block-coordinate sweep over the supports; keeps F = K a up to date. */
function sweep(p: Problem, alpha: Float64Array, f: Float64Array, z: Float64Array, u: Float64Array, v: Float64Array): void {
  const { n, w, k } = p;
  for (let i = 0; i < n; i++) {
    const kii = k[i * n + i]!;
    const a = kii + p.shift;
    for (let m = 0; m < w; m++) {
      const idx = i * w + m;
      // gradient without support i's own quadratic term, then the block minimiser -b/a
      const b = f[idx]! - kii * alpha[idx]! - (p.labels[i] === m ? 1 : 0);
      z[m] = -b / a;
      u[m] = bound(p, i, m);
    }
    projectCappedZeroSum(z, u, v);
    for (let m = 0; m < w; m++) {
      const idx = i * w + m;
      const delta = v[m]! - alpha[idx]!;
      if (delta === 0) continue;
      alpha[idx] = v[m]!;
      for (let r = 0; r < n; r++) f[r * w + m]! += k[r * n + i]! * delta;
    }
  }
}

/** The dual objective 1/2 a^T Q a + p^T a from the gradient g = Q a + p. */
function objectiveOf(p: Problem, alpha: Float64Array, g: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.n; i++) {
    for (let m = 0; m < p.w; m++) {
      const idx = i * p.w + m;
      s += 0.5 * alpha[idx]! * (g[idx]! - (p.labels[i] === m ? 1 : 0));
    }
  }
  return s;
}

/** Each support's block of `alpha` projected onto its feasible set {v <= u_i, sum v = 0}, in place. */
function projectFeasible(p: Problem, alpha: Float64Array): void {
  const { w } = p;
  const u = new Float64Array(w);
  const v = new Float64Array(w);
  for (let i = 0; i < p.n; i++) {
    for (let m = 0; m < w; m++) u[m] = bound(p, i, m);
    projectCappedZeroSum(alpha.subarray(i * w, (i + 1) * w), u, v);
    alpha.set(v, i * w);
  }
}

/**
 * Primal-dual active-set refinement from a BCD iterate: solve with the active set fixed, then move
 * violated bounds into the active set and bounds with the wrong multiplier sign out of it.
 * Returns the exact solution when the active set settles (`solved`); otherwise the feasible
 * projection of the best candidate when it beats the start (`better`), so that block-coordinate
 * descent resumes from there and the method stays monotone.
 */
function polish(p: Problem, start: Float64Array, startObjective: number, tol: number, maxRounds: number, counter: { steps: number }, cache: BlockCache) {
  const { n, w } = p;
  let active = activeSetOf(p, start);
  let better: { alpha: Float64Array; objective: number } | undefined;
  const consider = (candidate: Float64Array) => {
    const x = Float64Array.from(candidate);
    projectFeasible(p, x);
    const objective = objectiveOf(p, x, gradient(p, x, kernelTimesAlpha(p, x)));
    if (objective < (better?.objective ?? startObjective)) better = { alpha: x, objective };
  };
  for (let round = 0; round < maxRounds; round++) {
    counter.steps++;
    let cand: ReturnType<typeof newtonCandidate>;
    try {
      cand = newtonCandidate(p, active, cache);
    } catch {
      break; // singular reduced system: leave it to block-coordinate descent
    }
    const g = gradient(p, cand.alpha, kernelTimesAlpha(p, cand.alpha));
    let changed = false;
    const next = new Uint8Array(active);
    for (let i = 0; i < n; i++) {
      // equality multiplier: every free class of support i has g = -nu
      let refM = -1;
      for (let m = 0; m < w && refM < 0; m++) if (!active[i * w + m]) refM = m;
      const nu = refM >= 0 ? -g[i * w + refM]! : 0;
      for (let m = 0; m < w; m++) {
        const idx = i * w + m;
        if (active[idx]) {
          // multiplier lambda = -(g + nu) must be >= 0
          if (refM >= 0 && g[idx]! + nu > tol) {
            next[idx] = 0;
            changed = true;
          }
        } else if (cand.alpha[idx]! > bound(p, i, m)) {
          next[idx] = 1;
          changed = true;
        }
      }
    }
    if (!changed) {
      const residual = residualOf(p, cand.alpha, g);
      if (residual <= tol && infeasibility(p, cand.alpha) <= tol) return { solved: { alpha: cand.alpha, residual, red: cand.red } };
      consider(cand.alpha);
      break;
    }
    consider(cand.alpha);
    active = next;
  }
  return { better: better?.alpha };
}

/**
 * Solves the Crammer-Singer dual for kernel K (n x n, row-major) and labels in 0..nWay-1 to the
 * KKT tolerance `tol`; the result carries what `svmCsBackward` needs.
 */
export function solveSvmCs(k: ArrayLike<number>, labels: ArrayLike<number>, nWay: number, options: SvmCsOptions = {}): SvmCsSolution {
  const o = resolved(options);
  const p = problemOf(k, labels, nWay, o);
  const { n, w } = p;
  const alpha = new Float64Array(n * w);
  const f = new Float64Array(n * w);
  const z = new Float64Array(w);
  const u = new Float64Array(w);
  const v = new Float64Array(w);
  let nextPolish = 4;
  const counter = { steps: 0 };
  const cache: BlockCache = new Map();
  let ipmIterations = 0;
  let residual = Infinity;
  let sweeps = 0;
  const done = (a: Float64Array, r: number, red?: Reduced): SolutionInternal => ({
    alpha: a,
    n,
    nWay: w,
    residual: r,
    sweeps,
    polished: red !== undefined,
    reducedSize: red?.size ?? -1,
    newtonSteps: counter.steps,
    interiorPointIterations: ipmIterations,
    problem: p,
    reduced: red,
  });
  /** Active-set steps from `start`; the exact solution, or else BCD resumes from the best point. */
  const attempt = (start: Float64Array) => {
    const pol = polish(p, start, objectiveOf(p, start, gradient(p, start, kernelTimesAlpha(p, start))), o.tol, 8, counter, cache);
    if (pol.solved) return done(pol.solved.alpha, pol.solved.residual, pol.solved.red);
    const current = objectiveOf(p, alpha, gradient(p, alpha, f));
    const next = pol.better ?? start;
    if (objectiveOf(p, next, gradient(p, next, kernelTimesAlpha(p, next))) < current) {
      alpha.set(next);
      f.set(kernelTimesAlpha(p, alpha));
    }
    return undefined;
  };
  while (sweeps < o.maxSweeps) {
    sweep(p, alpha, f, z, u, v);
    sweeps++;
    residual = residualOf(p, alpha, gradient(p, alpha, f));
    if (residual <= o.tol * 1e-3) break; // BCD alone got there (tiny problems)
    if (sweeps === nextPolish || residual <= o.tol) {
      nextPolish *= 2;
      const sol = attempt(alpha);
      if (sol) return sol;
      if (residual <= o.tol) break;
      if (sweeps >= 16 && ipmIterations === 0) {
        // stalled (ill-conditioned kernel): an interior point finds the active set robustly
        const ip = svmCsInteriorPoint(p);
        ipmIterations = ip.iterations;
        const start = Float64Array.from(ip.alpha, (a, x) => (ip.lambda[x]! > ip.slack[x]! ? bound(p, Math.floor(x / w), x % w) : a));
        projectFeasible(p, start);
        const solIpm = attempt(start);
        if (solIpm) return solIpm;
      }
    }
  }
  if (residual > o.tol) {
    throw new JointshotError(
      `svmCs: KKT residual ${residual.toExponential(2)} > tol ${o.tol} after ${sweeps} sweeps; raise maxSweeps or tol, or scale the embeddings down`,
    );
  }
  return done(alpha, residual);
}

/** The KKT residual of `alpha` for a problem (for tests and diagnostics). */
export function svmCsResidual(k: ArrayLike<number>, labels: ArrayLike<number>, nWay: number, alpha: Float64Array, options: SvmCsOptions = {}): { stationarity: number; infeasibility: number } {
  const p = problemOf(k, labels, nWay, resolved(options));
  const g = gradient(p, alpha, kernelTimesAlpha(p, alpha));
  return { stationarity: residualOf(p, alpha, g), infeasibility: infeasibility(p, alpha) };
}

/** The dual objective 1/2 a^T Q a + p^T a (for tests and diagnostics). */
export function svmCsObjective(k: ArrayLike<number>, labels: ArrayLike<number>, nWay: number, alpha: Float64Array, options: SvmCsOptions = {}): number {
  const p = problemOf(k, labels, nWay, resolved(options));
  return objectiveOf(p, alpha, gradient(p, alpha, kernelTimesAlpha(p, alpha)));
}

/**
 * Vector-Jacobian product of the solution map K -> a: given dL/da (n x W), returns dL/dK (n x n,
 * symmetrised), by implicit differentiation of the KKT conditions with the active set fixed.
 */
export function svmCsBackward(solution: SvmCsSolution, gAlpha: ArrayLike<number>): Float64Array {
  const sol = solution as SolutionInternal;
  const p = sol.problem;
  const { n, w } = p;
  const red = sol.reduced ?? buildReduced(p, activeSetOf(p, sol.alpha));
  const zv = solveReduced(p, red, Float64Array.from(gAlpha), new Float64Array(n));
  // dL/dQ = -z a^T and Q = K (x) I + sI, so dL/dK_ij = -sum_m z_i^m a_j^m; symmetrised.
  const dk = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let m = 0; m < w; m++) s += zv[i * w + m]! * sol.alpha[j * w + m]! + zv[j * w + m]! * sol.alpha[i * w + m]!;
      dk[i * n + j] = -0.5 * s;
      dk[j * n + i] = -0.5 * s;
    }
  }
  return dk;
}
