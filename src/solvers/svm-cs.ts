/**
 * Structured solver for MetaOptNet's Crammer-Singer SVM dual (Float64, plain JS), with gradients
 * by implicit differentiation of its KKT conditions. The problem, for n supports and W classes:
 *
 *   min_a  1/2 a^T (K (x) I_W + s I) a - onehot(y)^T a
 *   s.t.   a_i^m <= C onehot(y_i)^m,   sum_m a_i^m = 0        (a support-major: a[i*W + m])
 *
 * The constraints are per-sample blocks, so exact block-coordinate descent (one support at a
 * time, each step a projection onto {v <= u, sum v = 0}) converges cheaply; once it has found the
 * active set, a reduced Newton step on the free variables (an equality-constrained QP that the
 * Kronecker structure splits into one small block per class plus an n x n Schur complement) polishes the solution to machine precision. The same
 * reduced Hessian gives the backward pass.
 */
import { JointshotError } from '../errors.js';
import { choleskyInPlace, choleskyInverse, choleskySolveInPlace } from './linalg64.js';

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
}

interface Problem {
  k: Float64Array;
  n: number;
  w: number;
  labels: Int32Array;
  c: number;
  shift: number;
  /** (K + sI)^-1, computed on first use (for classes with few bound supports). */
  fullInverse?: Float64Array;
}

interface SolutionInternal extends SvmCsSolution {
  readonly problem: Problem;
  /** The factored reduced system at the solution, when the Newton step produced it. */
  readonly reduced?: Reduced;
}

const resolved = (o: SvmCsOptions) => ({
  C: o.C ?? 0.1,
  diagShift: o.diagShift ?? 1.0,
  tol: o.tol ?? 1e-6,
  maxSweeps: o.maxSweeps ?? 2000,
});

/** The bound u_i^m = C * onehot(y_i)^m. */
function bound(p: Problem, i: number, m: number): number {
  return p.labels[i] === m ? p.c : 0;
}

/** Whether a_i^m sits on its upper bound (exactly: every path that reaches a bound writes u itself). */
function atBound(p: Problem, alpha: Float64Array, i: number, m: number): boolean {
  return alpha[i * p.w + m]! >= bound(p, i, m);
}

/** F = K a (n x W), the kernel part of the gradient. */
function kernelTimesAlpha(p: Problem, alpha: Float64Array): Float64Array {
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
function gradient(p: Problem, alpha: Float64Array, f: Float64Array): Float64Array {
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
function residualOf(p: Problem, alpha: Float64Array, g: Float64Array): number {
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
function infeasibility(p: Problem, alpha: Float64Array): number {
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

/**
 * The equality-constrained QP left once the active set is fixed. In class-major order the Hessian
 * is I_W (x) (K + sI), so with bounds held the free variables of class m only see
 * H_m = (K + sI)[F_m, F_m]; the n per-sample equalities couple the classes. Eliminating each
 * class leaves an n x n Schur complement S = sum_m E_m^T H_m^-1 E_m: W small factorisations plus
 * one n x n one, instead of a dense (nW)^3 solve.
 */
interface Reduced {
  /** Per class, the supports whose variable is free. */
  free: Int32Array[];
  /** Per class, the explicit inverse of H_m (|F_m| x |F_m|). */
  hinv: Float64Array[];
  /** Cholesky factor of the Schur complement S (n x n). */
  schur: Float64Array;
  /** Number of free variables. */
  size: number;
}

/** (K + sI)[rows, cols] as a dense row-major block. */
function shiftedKernelBlock(p: Problem, rows: Int32Array, cols: Int32Array): Float64Array {
  const { n, k, shift } = p;
  const out = new Float64Array(rows.length * cols.length);
  for (let a = 0; a < rows.length; a++) {
    for (let b = 0; b < cols.length; b++) out[a * cols.length + b] = k[rows[a]! * n + cols[b]!]! + (rows[a] === cols[b] ? shift : 0);
  }
  return out;
}

/** The whole (K + sI)^-1, computed once per problem. */
function fullInverseOf(p: Problem): Float64Array {
  if (!p.fullInverse) {
    const all = Int32Array.from({ length: p.n }, (_, i) => i);
    const h = shiftedKernelBlock(p, all, all);
    choleskyInPlace(h, p.n);
    p.fullInverse = choleskyInverse(h, p.n);
  }
  return p.fullInverse;
}

/**
 * Inverse of (K + sI)[f, f] for one class's free supports f: factored directly (~2/3 |f|^3), or,
 * when few supports are bound (B, the rest), downdated from the full inverse V:
 * (A_FF)^-1 = V_FF - V_FB (V_BB)^-1 V_BF (~|f|^2 |B|), whichever is cheaper.
 */
function classBlockInverse(p: Problem, f: Int32Array): Float64Array {
  const nf = f.length;
  const nb = p.n - nf;
  if (nf * nf * nb + nb * nb * nf >= (2 / 3) * nf * nf * nf) {
    const h = shiftedKernelBlock(p, f, f);
    choleskyInPlace(h, nf);
    return choleskyInverse(h, nf);
  }
  const v = fullInverseOf(p);
  const n = p.n;
  const isFree = new Uint8Array(n);
  for (const i of f) isFree[i] = 1;
  const bset = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !isFree[i]);
  const vbb = new Float64Array(nb * nb);
  for (let a = 0; a < nb; a++) for (let b = 0; b < nb; b++) vbb[a * nb + b] = v[bset[a]! * n + bset[b]!]!;
  const vbf = new Float64Array(nb * nf);
  for (let a = 0; a < nb; a++) for (let c = 0; c < nf; c++) vbf[a * nf + c] = v[bset[a]! * n + f[c]!]!;
  choleskyInPlace(vbb, nb);
  const x = Float64Array.from(vbf);
  choleskySolveInPlace(vbb, nb, x, nf); // (V_BB)^-1 V_BF
  const out = new Float64Array(nf * nf);
  for (let a = 0; a < nf; a++) {
    for (let c = a; c < nf; c++) {
      let s = v[f[a]! * n + f[c]!]!;
      for (let r = 0; r < nb; r++) s -= vbf[r * nf + a]! * x[r * nf + c]!;
      out[a * nf + c] = s;
      out[c * nf + a] = s;
    }
  }
  return out;
}

/** Class-block inverses by free set, reused across active-set rounds (few classes change per round). */
type BlockCache = Map<string, Float64Array>;

/**
 * Factors the class blocks and the Schur complement for the active set `active` (1 = at bound);
 * blocks whose free set is in `cache` are not refactored.
 */
function buildReduced(p: Problem, active: Uint8Array, cache: BlockCache = new Map()): Reduced {
  const { n, w } = p;
  const free: Int32Array[] = [];
  const hinv: Float64Array[] = [];
  const schur = new Float64Array(n * n);
  const covered = new Uint8Array(n);
  let size = 0;
  for (let m = 0; m < w; m++) {
    const f = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !active[i * w + m]);
    const nf = f.length;
    const key = f.join(',');
    let inv = cache.get(key);
    if (!inv) {
      inv = classBlockInverse(p, f);
      cache.set(key, inv);
    }
    for (let a = 0; a < nf; a++) {
      covered[f[a]!] = 1;
      for (let b = 0; b < nf; b++) schur[f[a]! * n + f[b]!]! += inv[a * nf + b]!;
    }
    free.push(f);
    hinv.push(inv);
    size += nf;
  }
  const bare = covered.indexOf(0);
  if (bare >= 0) throw new JointshotError(`svmCs: support ${bare} has every class at its bound, so its equality cannot hold`);
  choleskyInPlace(schur, n);
  return { free, hinv, schur, size };
}

/**
 * Solves [H E^T; E 0][x; nu] = [r; e] with H the free block of Q and E the per-sample sums over
 * free variables; `r` is read on the free entries of an a-shaped array, x is returned a-shaped
 * (zero on the active set).
 */
function solveReduced(p: Problem, red: Reduced, r: Float64Array, e: Float64Array): Float64Array {
  const { n, w } = p;
  // x_m = H_m^-1 (r_m - E_m nu) and E x = e give S nu = sum_m E_m^T H_m^-1 r_m - e.
  const hr: Float64Array[] = [];
  const nu = Float64Array.from(e, (v) => -v);
  for (let m = 0; m < w; m++) {
    const f = red.free[m]!;
    const inv = red.hinv[m]!;
    const nf = f.length;
    const v = new Float64Array(nf);
    for (let a = 0; a < nf; a++) {
      let s = 0;
      for (let b = 0; b < nf; b++) s += inv[a * nf + b]! * r[f[b]! * w + m]!;
      v[a] = s;
      nu[f[a]!]! += s;
    }
    hr.push(v);
  }
  choleskySolveInPlace(red.schur, n, nu, 1);
  const x = new Float64Array(n * w);
  for (let m = 0; m < w; m++) {
    const f = red.free[m]!;
    const inv = red.hinv[m]!;
    const nf = f.length;
    for (let a = 0; a < nf; a++) {
      let s = hr[m]![a]!;
      for (let b = 0; b < nf; b++) s -= inv[a * nf + b]! * nu[f[b]!]!;
      x[f[a]! * w + m] = s;
    }
  }
  return x;
}

/** The exact minimiser with the given active set held at its bounds (equality-constrained QP). */
function newtonCandidate(p: Problem, active: Uint8Array, cache: BlockCache): { alpha: Float64Array; red: Reduced } {
  const { n, w } = p;
  const red = buildReduced(p, active, cache);
  const fixed = new Float64Array(n * w);
  const boundSum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < w; m++) {
      if (!active[i * w + m]) continue;
      fixed[i * w + m] = bound(p, i, m);
      boundSum[i]! += bound(p, i, m);
    }
  }
  // H x + c + E^T nu = 0 and E x = -boundSum, with c = (Q a_fixed + p) on the free entries.
  const c = gradient(p, fixed, kernelTimesAlpha(p, fixed));
  for (let i = 0; i < n * w; i++) c[i] = -c[i]!;
  const x = solveReduced(p, red, c, Float64Array.from(boundSum, (v) => -v));
  for (let i = 0; i < n * w; i++) if (!active[i]) fixed[i] = x[i]!;
  return { alpha: fixed, red };
}

/** Active set read off a feasible point: at bound and not strictly preferred (multiplier side). */
function activeSetOf(p: Problem, alpha: Float64Array): Uint8Array {
  const active = new Uint8Array(p.n * p.w);
  for (let i = 0; i < p.n; i++) {
    for (let m = 0; m < p.w; m++) if (atBound(p, alpha, i, m)) active[i * p.w + m] = 1;
  }
  return active;
}

/**
 * Primal-dual active-set refinement from a BCD iterate: solve with the active set fixed, then move
 * violated bounds into the active set and bounds with the wrong multiplier sign out of it.
 * Returns the exact solution when the active set settles, else undefined.
 */
function polish(p: Problem, start: Float64Array, tol: number, maxRounds: number, counter: { steps: number }, cache: BlockCache) {
  const { n, w } = p;
  let active = activeSetOf(p, start);
  for (let round = 0; round < maxRounds; round++) {
    counter.steps++;
    let cand: ReturnType<typeof newtonCandidate>;
    try {
      cand = newtonCandidate(p, active, cache);
    } catch {
      return undefined; // singular reduced system: leave it to block-coordinate descent
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
        const u = bound(p, i, m);
        if (active[idx]) {
          // multiplier lambda = -(g + nu) must be >= 0
          if (refM >= 0 && g[idx]! + nu > tol) {
            next[idx] = 0;
            changed = true;
          }
        } else if (cand.alpha[idx]! > u) {
          next[idx] = 1;
          cand.alpha[idx] = u;
          changed = true;
        }
      }
    }
    if (!changed) {
      const residual = residualOf(p, cand.alpha, g);
      if (residual <= tol && infeasibility(p, cand.alpha) <= tol) return { alpha: cand.alpha, residual, red: cand.red };
      return undefined;
    }
    active = next;
  }
  return undefined;
}

/** Wraps the inputs as a problem, checking shapes and labels. */
function problemOf(k: ArrayLike<number>, labels: ArrayLike<number>, nWay: number, o: ReturnType<typeof resolved>): Problem {
  const n = labels.length;
  if (k.length !== n * n) throw new JointshotError(`svmCs: kernel has ${k.length} entries, expected n*n = ${n * n} for ${n} labels`);
  const lab = Int32Array.from(labels);
  for (const y of lab) {
    if (!(y >= 0 && y < nWay)) throw new JointshotError(`svmCs: label ${y} is outside 0..${nWay - 1}`);
  }
  return { k: Float64Array.from(k), n, w: nWay, labels: lab, c: o.C, shift: o.diagShift };
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
  let residual = Infinity;
  let sweeps = 0;
  while (sweeps < o.maxSweeps) {
    sweep(p, alpha, f, z, u, v);
    sweeps++;
    residual = residualOf(p, alpha, gradient(p, alpha, f));
    if (residual <= o.tol * 1e-3) break; // BCD alone got there (tiny problems)
    if (sweeps === nextPolish || residual <= o.tol) {
      nextPolish *= 2;
      const pol = polish(p, alpha, o.tol, 8, counter, cache);
      if (pol) {
        const sol: SolutionInternal = { alpha: pol.alpha, n, nWay: w, residual: pol.residual, sweeps, polished: true, reducedSize: pol.red.size, newtonSteps: counter.steps, problem: p, reduced: pol.red };
        return sol;
      }
      if (residual <= o.tol) break;
    }
  }
  if (residual > o.tol) {
    throw new JointshotError(
      `svmCs: KKT residual ${residual.toExponential(2)} > tol ${o.tol} after ${sweeps} sweeps; raise maxSweeps or tol, or scale the embeddings down`,
    );
  }
  const sol: SolutionInternal = { alpha, n, nWay: w, residual, sweeps, polished: false, reducedSize: -1, newtonSteps: counter.steps, problem: p };
  return sol;
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
  const g = gradient(p, alpha, kernelTimesAlpha(p, alpha));
  let s = 0;
  for (let i = 0; i < p.n; i++) {
    for (let m = 0; m < p.w; m++) {
      const idx = i * p.w + m;
      const lin = p.labels[i] === m ? -1 : 0;
      s += 0.5 * alpha[idx]! * (g[idx]! - lin) + lin * alpha[idx]!;
    }
  }
  return s;
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
