/**
 * qpth's primal-dual interior point (Amos & Kolter's `pdipm_b.forward`, the solver MetaOptNet
 * calls) on the Crammer-Singer dual, iteration for iteration, so that its truncation (`maxIter`,
 * MetaOptNet's 3 at test and 15 in training) can be reproduced: the same starting point, Mehrotra
 * predictor-corrector directions, 0.999 step-to-boundary and best-residual iterate. Own code for
 * speed: the KKT systems are solved with the Kronecker structure (svm-cs-ipm.ts: W n x n blocks and
 * an n x n Schur complement) instead of qpth's dense (nW)^3 factorisation; in exact arithmetic the
 * iterates are the same. Differences: Float64 (MetaOptNet runs qpth in float32), one problem at a
 * time (qpth's stopping counter and its step rule for a problem without blocking entries look
 * across the batch), and a direction entry that is exactly 0 never limits the step.
 */
import { bound, kernelTimesAlpha, type Problem } from './svm-cs-problem.js';
import { structuredKkt } from './svm-cs-ipm.js';

/** The returned (best) iterate of a truncated run and what the backward pass needs. */
export interface QpthPoint {
  /** Primal variables (the dual SVM's alpha), support-major. */
  alpha: Float64Array;
  slack: Float64Array;
  lambda: Float64Array;
  /** Iterations run (the loop count; the last step's result is never evaluated, as in qpth). */
  iterations: number;
  /** Which iterate was returned (0 = the starting point). */
  bestIterate: number;
  /** qpth's residual of that iterate: ||r_primal|| + ||r_eq|| + ||r_dual|| + m * mu. */
  residual: number;
}

/** Options of the truncated run (qpth's defaults). */
export interface QpthOptions {
  maxIter?: number;
  eps?: number;
  notImprovedLim?: number;
}

const norm = (v: Float64Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** qpth's step to the boundary: min over dv < 0 of -v/dv, 1 when no entry decreases. */
function stepTo(v: Float64Array, dv: Float64Array): number {
  let a = Infinity;
  for (let r = 0; r < v.length; r++) if (dv[r]! < 0) a = Math.min(a, -v[r]! / dv[r]!);
  return a === Infinity ? 1 : a;
}

/** Moves the entries up so that their minimum is 1 when it is below 0 (qpth's start). */
function pushInside(v: Float64Array): void {
  const min = Math.min(...v);
  if (min < 0) for (let r = 0; r < v.length; r++) v[r]! += 1 - min;
}

/**
 * Solves min 1/2 a^T Q a + p^T a s.t. a <= u, A a = 0 (Q = K (x) I + sI, p = -onehot(y),
 * u = C onehot(y), A = I_n (x) 1_W^T) as qpth does, with G = I, h = u, b = 0.
 */
export function svmCsQpth(p: Problem, options: QpthOptions = {}): QpthPoint {
  const maxIter = options.maxIter ?? 20;
  const eps = options.eps ?? 1e-12;
  const notImprovedLim = options.notImprovedLim ?? 3;
  const { n, w, shift } = p;
  const nz = n * w;
  const u = new Float64Array(nz);
  const onehot = new Float64Array(nz);
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < w; m++) {
      u[i * w + m] = bound(p, i, m);
      onehot[i * w + m] = p.labels[i] === m ? 1 : 0;
    }
  }
  // Newton system of qpth (G = I): Q dx + dz + A^T dy = -rx, D ds + dz = -rs, dx + ds = -rz,
  // A dx = -ry; eliminating ds and dz: (Q + D) dx + A^T dy = -rx + rs - D rz.
  type Kkt = ReturnType<typeof structuredKkt>;
  const solve = (kkt: Kkt, d: Float64Array, rx: Float64Array, rs: Float64Array, rz: Float64Array, ry: Float64Array) => {
    const f = Float64Array.from(rx, (v, x) => -v + rs[x]! - d[x]! * rz[x]!);
    const { x: dx, y: dy } = kkt(f, Float64Array.from(ry, (v) => -v));
    const ds = Float64Array.from(dx, (v, x) => -rz[x]! - v);
    const dz = Float64Array.from(ds, (v, x) => -rs[x]! - d[x]! * v);
    return { dx, ds, dz, dy };
  };
  // start: the KKT point of D = I with rx = p, rs = 0, rz = -h, ry = -b
  const ones = new Float64Array(nz).fill(1);
  const start = solve(structuredKkt(p, ones), ones, Float64Array.from(onehot, (v) => -v), new Float64Array(nz), Float64Array.from(u, (v) => -v), new Float64Array(n));
  const x = start.dx;
  const s = start.ds;
  const z = start.dz;
  const y = start.dy;
  pushInside(s);
  pushInside(z);
  let best: QpthPoint | undefined;
  let notImproved = 0;
  let it = 0;
  for (; it < maxIter; it++) {
    const kx = kernelTimesAlpha(p, x);
    const rx = new Float64Array(nz);
    const rz = new Float64Array(nz);
    const ry = new Float64Array(n);
    let sz = 0;
    for (let i = 0; i < n; i++) {
      for (let m = 0; m < w; m++) {
        const r = i * w + m;
        rx[r] = y[i]! + z[r]! + kx[r]! + shift * x[r]! - onehot[r]!;
        rz[r] = x[r]! + s[r]! - u[r]!;
        ry[i]! += x[r]!;
        sz += s[r]! * z[r]!;
      }
    }
    const mu = Math.abs(sz / nz);
    const residual = norm(rz) + norm(ry) + norm(rx) + nz * mu;
    const d = Float64Array.from(z, (v, r) => v / s[r]!);
    if (!best || residual < best.residual) {
      best = { alpha: x.slice(), slack: s.slice(), lambda: z.slice(), iterations: 0, bestIterate: it, residual };
      notImproved = 0;
    } else {
      notImproved++;
    }
    if (notImproved === notImprovedLim || best.residual < eps || mu > 1e32) break;
    const kkt = structuredKkt(p, d);
    const aff = solve(kkt, d, rx, z, rz, ry);
    const aAff = Math.min(stepTo(z, aff.dz), stepTo(s, aff.ds), 1);
    let t3 = 0;
    for (let r = 0; r < nz; r++) t3 += (s[r]! + aAff * aff.ds[r]!) * (z[r]! + aAff * aff.dz[r]!);
    const sigma = (t3 / sz) ** 3;
    const rs = Float64Array.from(s, (v, r) => (-mu * sigma + aff.ds[r]! * aff.dz[r]!) / v);
    const cor = solve(kkt, d, new Float64Array(nz), rs, new Float64Array(nz), new Float64Array(n));
    const dx = Float64Array.from(aff.dx, (v, r) => v + cor.dx[r]!);
    const ds = Float64Array.from(aff.ds, (v, r) => v + cor.ds[r]!);
    const dz = Float64Array.from(aff.dz, (v, r) => v + cor.dz[r]!);
    const step = Math.min(0.999 * Math.min(stepTo(z, dz), stepTo(s, ds)), 1);
    for (let r = 0; r < nz; r++) {
      x[r]! += step * dx[r]!;
      s[r]! += step * ds[r]!;
      z[r]! += step * dz[r]!;
    }
    for (let i = 0; i < n; i++) y[i]! += step * (aff.dy[i]! + cor.dy[i]!);
  }
  return { ...best!, iterations: it };
}

/**
 * qpth's backward pass at a returned point: (Q + D) dx + A^T dy = -dL/da, A dx = 0 with
 * D = lambda / slack, then dQ = (dx a^T + a dx^T) / 2, chained to dK_ij = sum_m dQ[(i,m),(j,m)].
 * At the optimum this is the implicit-differentiation gradient; at a truncated point it is what
 * qpth returns (the gradient of no function).
 */
export function svmCsQpthBackward(p: Problem, point: QpthPoint, gAlpha: ArrayLike<number>): Float64Array {
  const { n, w } = p;
  const d = Float64Array.from(point.lambda, (l, r) => l / point.slack[r]!);
  const { x: dx } = structuredKkt(p, d)(Float64Array.from({ length: n * w }, (_, r) => -gAlpha[r]!), new Float64Array(n));
  const dk = new Float64Array(n * n);
  const a = point.alpha;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let m = 0; m < w; m++) v += dx[i * w + m]! * a[j * w + m]! + a[i * w + m]! * dx[j * w + m]!;
      dk[i * n + j] = 0.5 * v;
    }
  }
  return dk;
}
