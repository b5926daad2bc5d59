/** Small random problems shared by the solver and head tests (seeded, Float64). */
import { createRng, type Rng } from '../../src/util/rng.js';

/** A standard normal draw (Box-Muller) from a seeded generator. */
export function gaussian(rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A seeded generator of standard normal values. */
export function normals(seed: number): (count: number) => number[] {
  const rng = createRng(seed);
  return (count) => Array.from({ length: count }, () => gaussian(rng));
}

/** A few-shot episode of clustered points: class means plus noise; labels i % nWay. */
export interface ToyEpisode {
  support: number[][];
  labels: number[];
  query: number[][];
  queryLabels: number[];
}

/** Clustered support and query points (nWay classes, `shot` supports and `queries` queries each). */
export function toyEpisode(seed: number, nWay: number, shot: number, queries: number, d: number, noise: number): ToyEpisode {
  const draw = normals(seed);
  const means = Array.from({ length: nWay }, () => draw(d).map((v) => 2 * v));
  const points = (count: number) => {
    const labels = Array.from({ length: count * nWay }, (_, i) => i % nWay);
    return { labels, x: labels.map((y) => draw(d).map((v, t) => means[y]![t]! + noise * v)) };
  };
  const s = points(shot);
  const q = points(queries);
  return { support: s.x, labels: s.labels, query: q.x, queryLabels: q.labels };
}

/** Row-major Gram matrix X X^T of a list of rows. */
export function gram(x: number[][]): Float64Array {
  const n = x.length;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = x[i]!.reduce((s, v, t) => s + v * x[j]![t]!, 0);
  return k;
}

/** Max |a - b| / max(1, max |b|): an error relative to the reference's scale. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 1e-30;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / den;
}

/** The dense form of MetaOptNet's Crammer-Singer dual (Q, p, G, h, A, b), support-major. */
export function svmDenseProblem(k: Float64Array, labels: number[], nWay: number, c = 0.1, shift = 1) {
  const n = labels.length;
  const nz = n * nWay;
  const q = new Float64Array(nz * nz);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) for (let m = 0; m < nWay; m++) q[(i * nWay + m) * nz + j * nWay + m] = k[i * n + j]! + (i === j ? shift : 0);
  }
  const p = new Float64Array(nz);
  const h = new Float64Array(nz);
  const g = new Float64Array(nz * nz);
  for (let i = 0; i < n; i++) {
    p[i * nWay + labels[i]!] = -1;
    h[i * nWay + labels[i]!] = c;
  }
  for (let i = 0; i < nz; i++) g[i * nz + i] = 1;
  const a = new Float64Array(n * nz);
  for (let i = 0; i < n; i++) for (let m = 0; m < nWay; m++) a[i * nz + i * nWay + m] = 1;
  return { nz, nIneq: nz, nEq: n, q, p, g, h, a, b: new Float64Array(n) };
}

/**
 * Central differences of `f` for symmetric perturbations of the n x n matrix `a` ((i,j) and (j,i)
 * together, upper triangle), paired with what a symmetric gradient `grad` predicts for them.
 */
export function symmetricFd(a: Float64Array, n: number, f: (a: Float64Array) => number, grad: Float64Array, h: number): { fd: number[]; an: number[] } {
  const fd: number[] = [];
  const an: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const plus = Float64Array.from(a);
      const minus = Float64Array.from(a);
      for (const [p, q] of i === j ? [[i, i]] : [[i, j], [j, i]]) {
        plus[p! * n + q!]! += h;
        minus[p! * n + q!]! -= h;
      }
      fd.push((f(plus) - f(minus)) / (2 * h));
      an.push(i === j ? grad[i * n + i]! : grad[i * n + j]! + grad[j * n + i]!);
    }
  }
  return { fd, an };
}
