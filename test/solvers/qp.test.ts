import test from 'ava';
import { tf } from '../../src/tf.js';
import { solveQP } from '../../src/solvers/qp.js';
import { denseQPBackward, solveDenseQP, type DenseQP } from '../../src/solvers/qp-dense.js';
import { svmCsDual } from '../../src/solvers/svm-cs-op.js';
import { UsageError } from '../../src/errors.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { gram, normals, relError, svmDenseProblem, toyEpisode } from './problems.js';

test.before(useCpuBackend);

test.serial('interior point solves a QP with a known answer (active inequality and an equality)', (t) => {
  // min 1/2 |z|^2 - z1 - z2 - z3  s.t.  z1 + z2 <= 1,  z3 - z1 = 0  ->  z = (2/3, 1/3, 2/3)
  const qp: DenseQP = {
    nz: 3, nIneq: 1, nEq: 1,
    q: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]),
    p: Float64Array.from([-1, -1, -1]),
    g: Float64Array.from([1, 1, 0]),
    h: Float64Array.from([1]),
    a: Float64Array.from([-1, 0, 1]),
    b: Float64Array.from([0]),
  };
  const sol = solveDenseQP(qp);
  t.true(relError(sol.z, [2 / 3, 1 / 3, 2 / 3]) < 1e-9, `${sol.z}`);
  t.true(sol.residual < 1e-9);
  t.true(sol.lambda[0]! > 0.1);
});

/** A random strictly convex QP with a few active constraints. */
function randomQP(seed: number, nz: number, m: number, pe: number): DenseQP {
  const draw = normals(seed);
  const r = draw(nz * nz);
  const q = new Float64Array(nz * nz);
  for (let i = 0; i < nz; i++) for (let j = 0; j < nz; j++) {
    let s = i === j ? 1 : 0;
    for (let k = 0; k < nz; k++) s += r[i * nz + k]! * r[j * nz + k]!;
    q[i * nz + j] = s;
  }
  // h and b around a point z0 so that the problem is feasible
  const z0 = draw(nz).map((v) => 0.3 * v);
  const g = Float64Array.from(draw(m * nz));
  const a = Float64Array.from(draw(pe * nz));
  const at = (mat: Float64Array, row: number) => z0.reduce((s, v, j) => s + mat[row * nz + j]! * v, 0);
  return {
    nz, nIneq: m, nEq: pe, q, g, a,
    p: Float64Array.from(draw(nz), (v) => 3 * v),
    h: Float64Array.from(draw(m), (v, i) => at(g, i) + Math.abs(v) * 0.5),
    b: Float64Array.from({ length: pe }, (_, i) => at(a, i)),
  };
}

test.serial('dense QP backward matches central differences for every input', (t) => {
  const qp = randomQP(21, 5, 6, 2);
  const sol = solveDenseQP(qp, { maxIter: 50 });
  t.true(sol.residual < 1e-10, `residual ${sol.residual}`);
  t.true([...sol.lambda].some((l) => l > 1e-3), 'some inequality is active');
  const r = Float64Array.from(normals(22)(qp.nz));
  const loss = (x: DenseQP) => solveDenseQP(x, { maxIter: 50 }).z.reduce((s, v, i) => s + v * r[i]!, 0);
  const grads = denseQPBackward(qp, sol, r);
  const h = 1e-6;
  for (const key of ['q', 'p', 'g', 'h', 'a', 'b'] as const) {
    const fd = Array.from(qp[key], (_, i) => {
      const plus = { ...qp, [key]: Float64Array.from(qp[key]) };
      const minus = { ...qp, [key]: Float64Array.from(qp[key]) };
      plus[key][i]! += h;
      minus[key][i]! -= h;
      if (key === 'q') {
        // Q is symmetric: perturb the mirrored entry too and compare with the symmetric gradient
        const row = Math.floor(i / qp.nz);
        const col = i % qp.nz;
        if (row !== col) {
          plus.q[col * qp.nz + row]! += h;
          minus.q[col * qp.nz + row]! -= h;
        }
      }
      return (loss(plus) - loss(minus)) / (2 * h);
    });
    const an = key === 'q'
      ? Array.from(grads.q, (v, i) => {
          const row = Math.floor(i / qp.nz);
          const col = i % qp.nz;
          return row === col ? v : v + grads.q[col * qp.nz + row]!;
        })
      : [...grads[key]];
    t.true(relError(an, fd) < 1e-4, `${key}: rel error ${relError(an, fd)}`);
  }
});

test.serial('solveQP (batched tensors) equals per-problem solves and its gradients flow', async (t) => {
  await withNoLeaks(t, () => {
    const probs = [randomQP(31, 4, 5, 1), randomQP(32, 4, 5, 1)];
    const stack = (key: keyof DenseQP, shape: number[]) => tf.tensor(probs.flatMap((p) => [...(p[key] as Float64Array)]), [2, ...shape]);
    const ins = [stack('q', [4, 4]), stack('p', [4]), stack('g', [5, 4]), stack('h', [5]), stack('a', [1, 4]), stack('b', [1])];
    const z = solveQP(ins[0]!, ins[1]!, ins[2]!, ins[3]!, ins[4]!, ins[5]!, { maxIter: 30 });
    t.deepEqual(z.shape, [2, 4]);
    probs.forEach((p, s) => t.true(relError(z.dataSync().subarray(s * 4, s * 4 + 4), solveDenseQP(p, { maxIter: 30 }).z) < 1e-5));
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.square(solveQP(xs[0]!, xs[1]!, xs[2]!, xs[3]!, xs[4]!, xs[5]!))))(ins);
    grads.forEach((g, i) => t.deepEqual(g.shape, ins[i]!.shape));
    t.true(grads.every((g) => g.dataSync().every(Number.isFinite)));
    tf.dispose([...ins, z, ...grads]);
    t.throws(() => tf.tidy(() => solveQP(tf.zeros([2, 2]), tf.zeros([3]), tf.zeros([1, 2]), tf.zeros([1]))), { instanceOf: UsageError, message: /p must have shape \[2\]/ });
  });
});

test.serial('solveQP on the dense SVM dual agrees with the structured svmCsDual, values and kernel gradients', async (t) => {
  await withNoLeaks(t, () => {
    const nWay = 3;
    const ep = toyEpisode(41, nWay, 2, 1, 5, 1.0);
    const n = ep.labels.length;
    const dense = svmDenseProblem(gram(ep.support), ep.labels, nWay);
    const x = tf.tensor2d(ep.support);
    const r = tf.tensor2d(normals(42)(n * nWay), [n, nWay]);
    const fixed = ['g', 'h', 'a', 'b'].map((k) => tf.tensor(Array.from(dense[k as keyof typeof dense] as Float64Array), k === 'g' ? [n * nWay, n * nWay] : k === 'a' ? [n, n * nWay] : [k === 'h' ? n * nWay : n]));
    const p = tf.tensor1d(Array.from(dense.p));
    // Q = K (x) I_W + I, built from X inside the graph so both paths differentiate the same map
    const viaQP = (xx: tf.Tensor) => {
      const k = tf.matMul(xx as tf.Tensor2D, xx as tf.Tensor2D, false, true);
      const q = tf.add(tf.reshape(tf.mul(tf.reshape(k, [n, 1, n, 1]), tf.reshape(tf.eye(nWay), [1, nWay, 1, nWay])), [n * nWay, n * nWay]), tf.eye(n * nWay));
      return tf.reshape(solveQP(q, p, fixed[0]!, fixed[1]!, fixed[2]!, fixed[3]!, { maxIter: 40 }), [n, nWay]);
    };
    const viaSvm = (xx: tf.Tensor) => svmCsDual(tf.matMul(xx as tf.Tensor2D, xx as tf.Tensor2D, false, true) as tf.Tensor2D, ep.labels, nWay, { tol: 1e-9 });
    const [aQP, aSvm] = tf.tidy(() => [viaQP(x), viaSvm(x)]);
    t.true(relError(aQP!.dataSync(), aSvm!.dataSync()) < 1e-4);
    const gQP = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(viaQP(xx), r)))(x);
    const gSvm = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(viaSvm(xx), r)))(x);
    t.true(relError(gQP.dataSync(), gSvm.dataSync()) < 1e-3, `grad rel diff ${relError(gQP.dataSync(), gSvm.dataSync())}`);
    tf.dispose([x, r, p, ...fixed, aQP!, aSvm!, gQP, gSvm]);
  });
});
