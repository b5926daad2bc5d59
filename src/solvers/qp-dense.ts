/**
 * General dense convex QP by a primal-dual interior-point method (Mehrotra predictor-corrector,
 * the method of qpth / CVXGEN), Float64 in plain JS, with the KKT-based backward pass:
 *
 *   min_z 1/2 z^T Q z + p^T z   s.t.  G z <= h,  A z = b
 *
 * Dense: O((nz + nEq)^3) per iteration. For future heads and for checking structured solvers on
 * small problems; large structured problems want their own solver (see svm-cs.ts).
 */
import { luInPlace, luSolve } from './linalg64.js';
import { centering, maxStep } from './mehrotra.js';

/** One QP in Float64, row-major. `a`/`b` may have zero rows. */
export interface DenseQP {
  nz: number;
  nIneq: number;
  nEq: number;
  q: Float64Array;
  p: Float64Array;
  g: Float64Array;
  h: Float64Array;
  a: Float64Array;
  b: Float64Array;
}

/** Options of the interior-point method (qpth's defaults: 20 iterations, eps 1e-12). */
export interface QPOptions {
  maxIter?: number;
  /** Stop when primal and dual residuals and the duality measure are all below eps. */
  eps?: number;
}

/** A solved QP: primal z, slacks s, inequality multipliers lambda, equality multipliers nu. */
export interface DenseQPSolution {
  z: Float64Array;
  s: Float64Array;
  lambda: Float64Array;
  nu: Float64Array;
  iterations: number;
  /** max of the dual residual, primal residuals and the duality measure s^T lambda / m. */
  residual: number;
}

/** Gradients of a scalar loss with respect to every QP input (same shapes as the inputs). */
export type DenseQPGrads = Pick<DenseQP, 'q' | 'p' | 'g' | 'h' | 'a' | 'b'>;

const dot = (x: Float64Array, y: Float64Array) => x.reduce((s, v, i) => s + v * y[i]!, 0);
const maxAbs = (x: Float64Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** r = M x + r0 for row-major M (rows x cols). */
function mulAdd(m: Float64Array, x: Float64Array, rows: number, cols: number, r0?: Float64Array): Float64Array {
  const r = r0 ? Float64Array.from(r0) : new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += m[i * cols + j]! * x[j]!;
    r[i]! += s;
  }
  return r;
}

/** r = M^T x for row-major M (rows x cols). */
function mulT(m: Float64Array, x: Float64Array, rows: number, cols: number): Float64Array {
  const r = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    for (let j = 0; j < cols; j++) r[j]! += m[i * cols + j]! * xi;
  }
  return r;
}

/** Factors the reduced KKT matrix [Q + G^T D G, A^T; A, 0] with D = diag(d). */
function factorKkt(qp: DenseQP, d: Float64Array) {
  const { nz, nIneq, nEq } = qp;
  const n = nz + nEq;
  const k = new Float64Array(n * n);
  for (let i = 0; i < nz; i++) for (let j = 0; j < nz; j++) k[i * n + j] = qp.q[i * nz + j]!;
  for (let r = 0; r < nIneq; r++) {
    const dr = d[r]!;
    for (let i = 0; i < nz; i++) {
      const gi = qp.g[r * nz + i]! * dr;
      if (gi === 0) continue;
      for (let j = 0; j < nz; j++) k[i * n + j]! += gi * qp.g[r * nz + j]!;
    }
  }
  for (let r = 0; r < nEq; r++) {
    for (let j = 0; j < nz; j++) {
      k[(nz + r) * n + j] = qp.a[r * nz + j]!;
      k[j * n + nz + r] = qp.a[r * nz + j]!;
    }
  }
  return { lu: k, perm: luInPlace(k, n), n };
}

/** Solves the QP with a primal-dual interior-point method. */
export function solveDenseQP(qp: DenseQP, options: QPOptions = {}): DenseQPSolution {
  const maxIter = options.maxIter ?? 20;
  const eps = options.eps ?? 1e-12;
  const { nz, nIneq: m, nEq } = qp;
  // Start: z, nu from the KKT system with D = I; then slacks and multipliers pushed inside.
  const f0 = factorKkt(qp, new Float64Array(m).fill(1));
  const rhs0 = new Float64Array(nz + nEq);
  const gth = mulT(qp.g, qp.h, m, nz);
  for (let i = 0; i < nz; i++) rhs0[i] = -qp.p[i]! + gth[i]!;
  for (let r = 0; r < nEq; r++) rhs0[nz + r] = qp.b[r]!;
  const x0 = luSolve(f0.lu, f0.perm, f0.n, rhs0);
  const z = x0.slice(0, nz);
  let nu = x0.slice(nz);
  const s = new Float64Array(m);
  const gz0 = mulAdd(qp.g, z, m, nz);
  for (let r = 0; r < m; r++) s[r] = qp.h[r]! - gz0[r]!;
  const minS = m > 0 ? Math.min(...s) : 1;
  if (minS < 1) for (let r = 0; r < m; r++) s[r]! += 1 - minS;
  const lambda = new Float64Array(m).fill(1);

  let residual = Infinity;
  let it = 0;
  for (; it < maxIter; it++) {
    const rd = mulAdd(qp.q, z, nz, nz, qp.p);
    const gtl = mulT(qp.g, lambda, m, nz);
    const atn = mulT(qp.a, nu, nEq, nz);
    for (let i = 0; i < nz; i++) rd[i]! += gtl[i]! + atn[i]!;
    const rIneq = mulAdd(qp.g, z, m, nz);
    for (let r = 0; r < m; r++) rIneq[r]! += s[r]! - qp.h[r]!;
    const rEq = mulAdd(qp.a, z, nEq, nz);
    for (let r = 0; r < nEq; r++) rEq[r]! -= qp.b[r]!;
    const mu = m > 0 ? dot(s, lambda) / m : 0;
    residual = Math.max(maxAbs(rd), maxAbs(rIneq), maxAbs(rEq), mu);
    if (residual < eps) break;

    const d = new Float64Array(m);
    for (let r = 0; r < m; r++) d[r] = lambda[r]! / s[r]!;
    const fk = factorKkt(qp, d);
    // Newton direction for complementarity target rc (S Lambda e + dS dLambda = rc form below).
    const direction = (rc: Float64Array) => {
      // dlambda = S^-1 (rc + Lambda rIneq + Lambda G dz); the z-block absorbs G^T S^-1 (rc + Lambda rIneq)
      const w = new Float64Array(m);
      for (let r = 0; r < m; r++) w[r] = (rc[r]! + lambda[r]! * rIneq[r]!) / s[r]!;
      const gw = mulT(qp.g, w, m, nz);
      const rhs = new Float64Array(nz + nEq);
      for (let i = 0; i < nz; i++) rhs[i] = -rd[i]! - gw[i]!;
      for (let r = 0; r < nEq; r++) rhs[nz + r] = -rEq[r]!;
      const x = luSolve(fk.lu, fk.perm, fk.n, rhs);
      const dz = x.slice(0, nz);
      const dnu = x.slice(nz);
      const gdz = mulAdd(qp.g, dz, m, nz);
      const ds = new Float64Array(m);
      const dl = new Float64Array(m);
      for (let r = 0; r < m; r++) {
        ds[r] = -rIneq[r]! - gdz[r]!;
        dl[r] = w[r]! + d[r]! * gdz[r]!;
      }
      return { dz, dnu, ds, dl };
    };
    // predictor (affine scaling): rc = -S Lambda e
    const rcAff = new Float64Array(m);
    for (let r = 0; r < m; r++) rcAff[r] = -s[r]! * lambda[r]!;
    const aff = direction(rcAff);
    const sigma = centering(s, aff.ds, lambda, aff.dl, mu);
    // corrector: rc = -S Lambda e - dS_aff dLambda_aff e + sigma mu e
    const rc = new Float64Array(m);
    for (let r = 0; r < m; r++) rc[r] = -s[r]! * lambda[r]! - aff.ds[r]! * aff.dl[r]! + sigma * mu;
    const dir = direction(rc);
    const step = Math.min(1, 0.99 * maxStep(s, dir.ds, lambda, dir.dl));
    for (let i = 0; i < nz; i++) z[i]! += step * dir.dz[i]!;
    for (let r = 0; r < m; r++) {
      s[r]! += step * dir.ds[r]!;
      lambda[r]! += step * dir.dl[r]!;
    }
    nu = nu.map((v, r) => v + step * dir.dnu[r]!);
  }
  return { z, s, lambda, nu, iterations: it, residual };
}

/**
 * Gradients of a loss through the QP solution, from dL/dz, by implicit differentiation of the KKT
 * conditions (Qz + p + G^T lambda + A^T nu = 0, lambda o (Gz - h) = 0, Az = b).
 */
export function denseQPBackward(qp: DenseQP, sol: DenseQPSolution, dz: Float64Array): DenseQPGrads {
  const { nz, nIneq: m, nEq } = qp;
  const n = nz + m + nEq;
  // J^T with J the Jacobian of the KKT residual in (z, lambda, nu).
  const jt = new Float64Array(n * n);
  const gz = mulAdd(qp.g, sol.z, m, nz);
  for (let i = 0; i < nz; i++) for (let j = 0; j < nz; j++) jt[i * n + j] = qp.q[j * nz + i]!;
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < nz; i++) {
      jt[i * n + nz + r] = qp.g[r * nz + i]! * sol.lambda[r]!;
      jt[(nz + r) * n + i] = qp.g[r * nz + i]!;
    }
    jt[(nz + r) * n + nz + r] = gz[r]! - qp.h[r]!;
  }
  for (let r = 0; r < nEq; r++) {
    for (let i = 0; i < nz; i++) {
      jt[i * n + nz + m + r] = qp.a[r * nz + i]!;
      jt[(nz + m + r) * n + i] = qp.a[r * nz + i]!;
    }
  }
  const perm = luInPlace(jt, n);
  const rhs = new Float64Array(n);
  rhs.set(dz, 0);
  const adj = luSolve(jt, perm, n, rhs);
  const az = adj.subarray(0, nz);
  const al = adj.subarray(nz, nz + m);
  const an = adj.subarray(nz + m);
  const z = sol.z;
  const gq = new Float64Array(nz * nz);
  for (let i = 0; i < nz; i++) for (let j = 0; j < nz; j++) gq[i * nz + j] = -0.5 * (az[i]! * z[j]! + z[i]! * az[j]!);
  const gp = Float64Array.from(az, (v) => -v);
  const gg = new Float64Array(m * nz);
  const gh = new Float64Array(m);
  for (let r = 0; r < m; r++) {
    const l = sol.lambda[r]!;
    const la = l * al[r]!;
    gh[r] = la;
    for (let j = 0; j < nz; j++) gg[r * nz + j] = -(l * az[j]! + la * z[j]!);
  }
  const ga = new Float64Array(nEq * nz);
  const gb = new Float64Array(nEq);
  for (let r = 0; r < nEq; r++) {
    gb[r] = an[r]!;
    for (let j = 0; j < nz; j++) ga[r * nz + j] = -(sol.nu[r]! * az[j]! + an[r]! * z[j]!);
  }
  return { q: gq, p: gp, g: gg, h: gh, a: ga, b: gb };
}
