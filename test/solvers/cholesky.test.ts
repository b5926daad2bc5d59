import test from 'ava';
import { inv, multiply } from 'mathjs';
import { tf } from '../../src/tf.js';
import { cholSolve } from '../../src/solvers/cholesky.js';
import { choleskyBatch, choleskyBatchSolve, choleskySolveGrad } from '../../src/solvers/cholesky.js';
import { JointshotError, UsageError } from '../../src/errors.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { normals, relError, symmetricFd } from './problems.js';

test.before(useCpuBackend);

/** A random SPD matrix M M^T + n I (n x n, row-major) and a random n x k right-hand side. */
function spdProblem(seed: number, n: number, k: number) {
  const draw = normals(seed);
  const m = draw(n * n);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let t = 0; t < n; t++) s += m[i * n + t]! * m[j * n + t]!;
      a[i * n + j] = s;
    }
  }
  return { a, b: Float64Array.from(draw(n * k)) };
}

const rows = (v: ArrayLike<number>, r: number, c: number) => Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => v[i * c + j]!));

test.serial('cholSolve matches mathjs inv(A) B, batched over a leading dim', async (t) => {
  await withNoLeaks(t, () => {
    const n = 7;
    const k = 3;
    const probs = [spdProblem(1, n, k), spdProblem(2, n, k)];
    const a = tf.tensor3d(probs.flatMap((p) => [...p.a]), [2, n, n]);
    const b = tf.tensor3d(probs.flatMap((p) => [...p.b]), [2, n, k]);
    const x = cholSolve(a, b);
    t.deepEqual(x.shape, [2, n, k]);
    const got = x.dataSync();
    probs.forEach((p, s) => {
      const ref = (multiply(inv(rows(p.a, n, n)), rows(p.b, n, k)) as number[][]).flat();
      t.true(relError(got.subarray(s * n * k, (s + 1) * n * k), ref) < 1e-5);
    });
    tf.dispose([a, b, x]);
  });
});

test.serial('Float64 gradient of A^-1 B matches central differences (symmetric perturbations of A)', (t) => {
  const n = 5;
  const k = 2;
  const { a, b } = spdProblem(3, n, k);
  const r = Float64Array.from(normals(4)(n * k));
  const loss = (aa: Float64Array, bb: Float64Array) => {
    const x = choleskyBatchSolve(choleskyBatch(aa, 1, n), bb, k);
    return x.reduce((s, v, i) => s + v * r[i]!, 0);
  };
  const f = choleskyBatch(a, 1, n);
  const x = choleskyBatchSolve(f, b, k);
  const g = choleskySolveGrad(f, x, r, k);
  const h = 1e-6;
  const { fd: fdA, an: anA } = symmetricFd(a, n, (aa) => loss(aa, b), g.dA, h);
  t.true(relError(anA, fdA) < 1e-6, `dA rel error ${relError(anA, fdA)}`);
  const fdB = Array.from(b, (_, i) => {
    const plus = Float64Array.from(b);
    const minus = Float64Array.from(b);
    plus[i]! += h;
    minus[i]! -= h;
    return (loss(a, plus) - loss(a, minus)) / (2 * h);
  });
  t.true(relError(g.dB, fdB) < 1e-6, `dB rel error ${relError(g.dB, fdB)}`);
});

test.serial('tfjs gradient of cholSolve (float32) is within 1e-3 of Float64 finite differences', async (t) => {
  await withNoLeaks(t, () => {
    const n = 6;
    const k = 2;
    const { a, b } = spdProblem(5, n, k);
    const m = Float64Array.from(normals(6)(n * n));
    const r = Float64Array.from(normals(7)(n * k));
    // A = M M^T + n I built inside the graph, so the gradient flows to a general matrix M
    const loss64 = (mm: Float64Array) => {
      const aa = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        let s = i === j ? n : 0;
        for (let q = 0; q < n; q++) s += mm[i * n + q]! * mm[j * n + q]!;
        aa[i * n + j] = s;
      }
      return choleskyBatchSolve(choleskyBatch(aa, 1, n), b, k).reduce((s, v, i) => s + v * r[i]!, 0);
    };
    const mT = tf.tensor2d(Array.from(m), [n, n]);
    const bT = tf.tensor2d(Array.from(b), [n, k]);
    const rT = tf.tensor2d(Array.from(r), [n, k]);
    const grads = tf.grads((mm: tf.Tensor, bb: tf.Tensor) => {
      const aa = tf.add(tf.matMul(mm, mm, false, true), tf.mul(tf.eye(n), n));
      return tf.sum(tf.mul(cholSolve(aa as tf.Tensor2D, bb as tf.Tensor2D), rT));
    });
    const [gm, gb] = grads([mT, bT]);
    const h = 1e-5;
    const fd = Array.from(m, (_, i) => {
      const plus = Float64Array.from(m);
      const minus = Float64Array.from(m);
      plus[i]! += h;
      minus[i]! -= h;
      return (loss64(plus) - loss64(minus)) / (2 * h);
    });
    t.true(relError(gm!.dataSync(), fd) < 1e-3, `dM rel error ${relError(gm!.dataSync(), fd)}`);
    t.true(gb!.dataSync().every(Number.isFinite));
    tf.dispose([mT, bT, rT, gm!, gb!]);
  });
});

test.serial('cholSolve rejects bad shapes (UsageError) and indefinite matrices (JointshotError)', async (t) => {
  await withNoLeaks(t, () => {
    const a = tf.tensor2d([1, 2, 2, 1], [2, 2]);
    const b = tf.tensor2d([1, 1, 1], [3, 1]);
    t.throws(() => cholSolve(a, b), { instanceOf: UsageError, message: /B \[\.\.\., n, k\]/ });
    const b2 = tf.tensor2d([1, 1], [2, 1]);
    t.throws(() => cholSolve(a, b2), { instanceOf: JointshotError, message: /not positive definite/ });
    tf.dispose([a, b, b2]);
  });
});
