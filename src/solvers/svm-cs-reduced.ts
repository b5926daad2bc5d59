/**
 * The reduced (active-set) system of the Crammer-Singer dual: the exact minimiser with a given
 * active set held at its bounds (the Newton step of the solver), and the same linear system for
 * the implicit-differentiation backward pass.
 */
import { JointshotError } from '../errors.js';
import { choleskyInPlace, choleskyInverse, choleskySolveInPlace } from './linalg64.js';
import { bound, gradient, kernelTimesAlpha, type Problem } from './svm-cs-problem.js';

/**
 * The equality-constrained QP left once the active set is fixed. In class-major order the Hessian
 * is I_W (x) (K + sI), so with bounds held the free variables of class m only see
 * H_m = (K + sI)[F_m, F_m]; the n per-sample equalities couple the classes. Eliminating each
 * class leaves an n x n Schur complement S = sum_m E_m^T H_m^-1 E_m: W small factorisations plus
 * one n x n one, instead of a dense (nW)^3 solve.
 */
export interface Reduced {
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
export type BlockCache = Map<string, Float64Array>;

/**
 * Factors the class blocks and the Schur complement for the active set `active` (1 = at bound);
 * blocks whose free set is in `cache` are not refactored.
 */
export function buildReduced(p: Problem, active: Uint8Array, cache: BlockCache = new Map()): Reduced {
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
export function solveReduced(p: Problem, red: Reduced, r: Float64Array, e: Float64Array): Float64Array {
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
export function newtonCandidate(p: Problem, active: Uint8Array, cache: BlockCache): { alpha: Float64Array; red: Reduced } {
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
