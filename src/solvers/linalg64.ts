/**
 * Dense Float64 linear algebra in plain JS (row-major), the numerical kernel of the solvers:
 * tfjs has no Cholesky, LU or triangular solve, and float32 is too coarse inside a solver.
 */
import { JointshotError } from '../errors.js';

/** Cholesky factor L (lower, in place over `a`, n x n row-major) of a symmetric positive definite matrix. */
export function choleskyInPlace(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) d -= a[rj + k]! * a[rj + k]!;
    if (!(d > 0)) {
      throw new JointshotError(
        `cholesky: matrix is not positive definite (pivot ${j} = ${d.toExponential(3)}); add a ridge to its diagonal`,
      );
    }
    const ljj = Math.sqrt(d);
    a[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s / ljj;
    }
    for (let k = j + 1; k < n; k++) a[rj + k] = 0;
  }
}

/** Solves L L^T X = B in place over `b` (n x k row-major) given the Cholesky factor `l` (n x n). */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array, k: number): void {
  // forward: L Y = B
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const lij = l[ri + j]!;
      if (lij === 0) continue;
      const rj = j * k;
      for (let c = 0; c < k; c++) b[i * k + c]! -= lij * b[rj + c]!;
    }
    const lii = l[ri + i]!;
    for (let c = 0; c < k; c++) b[i * k + c]! /= lii;
  }
  // backward: L^T X = Y
  for (let i = n - 1; i >= 0; i--) {
    for (let j = i + 1; j < n; j++) {
      const lji = l[j * n + i]!;
      if (lji === 0) continue;
      const rj = j * k;
      for (let c = 0; c < k; c++) b[i * k + c]! -= lji * b[rj + c]!;
    }
    const lii = l[i * n + i]!;
    for (let c = 0; c < k; c++) b[i * k + c]! /= lii;
  }
}

/** A^-1 (n x n, symmetric) from the Cholesky factor L of A: (L^-1)^T L^-1, about n^3/3 flops. */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const li = new Float64Array(n * n); // L^-1, lower triangular
  for (let j = 0; j < n; j++) {
    li[j * n + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s += l[i * n + k]! * li[k * n + j]!;
      li[i * n + j] = -s / l[i * n + i]!;
    }
  }
  const inv = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = a; b < n; b++) {
      let s = 0;
      for (let k = b; k < n; k++) s += li[k * n + a]! * li[k * n + b]!;
      inv[a * n + b] = s;
      inv[b * n + a] = s;
    }
  }
  return inv;
}

/** LU factorisation with partial pivoting in place over `a` (n x n); returns the row permutation. */
export function luInPlace(a: Float64Array, n: number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let j = 0; j < n; j++) {
    let p = j;
    let best = Math.abs(a[j * n + j]!);
    for (let i = j + 1; i < n; i++) {
      const v = Math.abs(a[i * n + j]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (best === 0) throw new JointshotError(`lu: matrix is singular at column ${j}; the system has no unique solution`);
    if (p !== j) {
      for (let c = 0; c < n; c++) {
        const t = a[j * n + c]!;
        a[j * n + c] = a[p * n + c]!;
        a[p * n + c] = t;
      }
      const t = perm[j]!;
      perm[j] = perm[p]!;
      perm[p] = t;
    }
    const piv = a[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      const f = (a[i * n + j]! /= piv);
      if (f === 0) continue;
      for (let c = j + 1; c < n; c++) a[i * n + c]! -= f * a[j * n + c]!;
    }
  }
  return perm;
}

/** Solves A x = b for one right-hand side given `luInPlace`'s factors and permutation. */
export function luSolve(lu: Float64Array, perm: Int32Array, n: number, b: Float64Array): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = b[perm[i]!]!;
  for (let i = 0; i < n; i++) {
    let s = x[i]!;
    for (let j = 0; j < i; j++) s -= lu[i * n + j]! * x[j]!;
    x[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let j = i + 1; j < n; j++) s -= lu[i * n + j]! * x[j]!;
    x[i] = s / lu[i * n + i]!;
  }
  return x;
}

/** C = A B for row-major A (m x k) and B (k x n). */
export function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const rb = p * n;
      const rc = i * n;
      for (let j = 0; j < n; j++) c[rc + j]! += aip * b[rb + j]!;
    }
  }
  return c;
}

/** y = A x for row-major A (m x n). */
export function matvec(a: Float64Array, x: Float64Array, m: number, n: number): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    const r = i * n;
    for (let j = 0; j < n; j++) s += a[r + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/** y = A^T x for row-major A (m x n). */
export function matvecT(a: Float64Array, x: Float64Array, m: number, n: number): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const r = i * n;
    for (let j = 0; j < n; j++) y[j]! += a[r + j]! * xi;
  }
  return y;
}

/** (M + M^T) / 2 for a square row-major matrix, in place. */
export function symmetrizeInPlace(m: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = 0.5 * (m[i * n + j]! + m[j * n + i]!);
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  }
}
