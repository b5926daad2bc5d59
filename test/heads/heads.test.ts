import test from 'ava';
import { inv, multiply } from 'mathjs';
import { tf } from '../../src/tf.js';
import { batchLogits, createHead, listHeads, registerHead, type Head } from '../../src/heads/index.js';
import { solveDenseQP } from '../../src/solvers/qp-dense.js';
import { solveSvmCs } from '../../src/solvers/svm-cs.js';
import { UsageError } from '../../src/errors.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { gram, normals, relError, svmDenseProblem, toyEpisode, type ToyEpisode } from '../solvers/problems.js';

test.before(useCpuBackend);

const dotRows = (a: number[][], b: number[][]) => a.map((r) => b.map((s) => r.reduce((acc, v, t) => acc + v * s[t]!, 0)));
const oneHot = (labels: number[], w: number) => labels.map((y) => Array.from({ length: w }, (_, m) => (m === y ? 1 : 0)));

/** Reference logits in plain TS / mathjs, Float64, written from the definitions. */
const reference: Record<string, (ep: ToyEpisode, w: number) => number[][]> = {
  protonet: (ep, w) => {
    const d = ep.support[0]!.length;
    const protos = Array.from({ length: w }, (_, c) => {
      const rows = ep.support.filter((_, i) => ep.labels[i] === c);
      return Array.from({ length: d }, (_, t) => rows.reduce((s, r) => s + r[t]!, 0) / rows.length);
    });
    return ep.query.map((q) => protos.map((p) => -p.reduce((s, v, t) => s + (q[t]! - v) ** 2, 0) / d));
  },
  ridge: (ep, w) => {
    const k = dotRows(ep.support, ep.support).map((r, i) => r.map((v, j) => v + (i === j ? 50 : 0)));
    const alpha = multiply(2, multiply(inv(k), oneHot(ep.labels, w))) as number[][];
    return multiply(dotRows(ep.query, ep.support), alpha) as number[][];
  },
  svm: (ep, w) => {
    // the dual solved by the dense interior-point method, independent of the structured solver
    const n = ep.labels.length;
    const z = solveDenseQP(svmDenseProblem(gram(ep.support), ep.labels, w), { maxIter: 60 }).z;
    const alpha = Array.from({ length: n }, (_, i) => Array.from({ length: w }, (_, m) => z[i * w + m]!));
    return multiply(dotRows(ep.query, ep.support), alpha) as number[][];
  },
};

function logitsOf(head: Head, ep: ToyEpisode, w: number): { values: Float32Array; shape: number[] } {
  return tf.tidy(() => {
    const out = head.logits(tf.tensor2d(ep.support), tf.tensor1d(ep.labels, 'int32'), tf.tensor2d(ep.query), w);
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

test.serial('registry lists the three heads, rejects unknown names and bad options, accepts new heads', async (t) => {
  await withNoLeaks(t, () => {
    t.deepEqual(listHeads().filter((h) => ['protonet', 'ridge', 'svm'].includes(h)), ['protonet', 'ridge', 'svm']);
    t.throws(() => createHead('nope'), { instanceOf: UsageError, message: /unknown head 'nope'; known heads: .*protonet, ridge, svm/ });
    t.throws(() => createHead('ridge', { lamda: 3 }), { instanceOf: UsageError, message: /unknown option 'lamda'; known options: lambda, r2d2/ });
    t.throws(() => createHead('ridge', { lambda: '3' }), { instanceOf: UsageError, message: /must be a finite number/ });
    t.throws(() => createHead('svm', { C: 0 }), { instanceOf: UsageError, message: /'C' must be > 0/ });
    registerHead('test-constant', () => {
      const scale = tf.tidy(() => tf.variable(tf.scalar(1)));
      return { name: 'test-constant', variables: [scale], logits: (_s, _l, q, w) => tf.zeros([q.shape[0], w]), dispose: () => scale.dispose() };
    });
    t.true(listHeads().includes('test-constant'));
    t.throws(() => registerHead('test-constant', () => createHead('protonet')), { instanceOf: UsageError, message: /already registered/ });
    const h = createHead('test-constant');
    h.dispose();
  });
});

for (const name of ['protonet', 'ridge', 'svm']) {
  test.serial(`${name} logits equal a direct reference computation`, async (t) => {
    await withNoLeaks(t, () => {
      for (const [seed, w, shot, d] of [[1, 5, 1, 8], [2, 5, 3, 12], [3, 3, 2, 6]] as const) {
        const ep = toyEpisode(seed, w, shot, 2, d, 1.5);
        const head = createHead(name);
        const got = logitsOf(head, ep, w);
        t.deepEqual(got.shape, [ep.query.length, w]);
        const ref = reference[name]!(ep, w).flat();
        t.true(relError(got.values, ref) < 1e-4, `seed ${seed}: rel error ${relError(got.values, ref)}`);
        head.dispose();
      }
    });
  });

  test.serial(`${name}: the learnable scale multiplies the logits and receives a gradient`, async (t) => {
    await withNoLeaks(t, () => {
      const ep = toyEpisode(4, 3, 2, 2, 5, 1.0);
      const head = createHead(name);
      t.is(head.variables.length, 1);
      const base = logitsOf(head, ep, 3).values;
      const v = tf.scalar(2.5);
      head.variables[0]!.assign(v);
      v.dispose();
      const scaled = logitsOf(head, ep, 3).values;
      t.true(relError(scaled, base.map((v) => 2.5 * v)) < 1e-6);
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => tf.sum(head.logits(tf.tensor2d(ep.support), tf.tensor1d(ep.labels, 'int32'), tf.tensor2d(ep.query), 3)) as tf.Scalar),
      );
      const g = grads[head.variables[0]!.name]!.dataSync()[0]!;
      t.true(Math.abs(g - base.reduce((s, v) => s + v, 0)) < 1e-3 * Math.max(1, Math.abs(g)));
      tf.dispose([value, ...Object.values(grads)]);
      head.dispose();
    });
  });

  test.serial(`${name} classifies a linearly separable toy episode perfectly`, async (t) => {
    await withNoLeaks(t, () => {
      for (const [w, shot] of [[5, 1], [5, 5], [20, 5]] as const) {
        const ep = toyEpisode(50 + w + shot, w, shot, 15, 32, 0.2);
        const head = createHead(name);
        const { values } = logitsOf(head, ep, w);
        const pred = ep.queryLabels.map((_, q) => {
          const row = Array.from(values.subarray(q * w, (q + 1) * w));
          return row.indexOf(Math.max(...row));
        });
        t.deepEqual(pred, ep.queryLabels, `${w}-way ${shot}-shot`);
        head.dispose();
      }
    });
  });
}

/** Float64 logits of ridge / svm for the finite-difference reference. */
const f64Logits: Record<string, (s: number[][], labels: number[], q: number[][], w: number) => number[]> = {
  ridge: (s, labels, q, w) => {
    const k = dotRows(s, s).map((r, i) => r.map((v, j) => v + (i === j ? 50 : 0)));
    const alpha = multiply(2, multiply(inv(k), oneHot(labels, w))) as number[][];
    return (multiply(dotRows(q, s), alpha) as number[][]).flat();
  },
  svm: (s, labels, q, w) => {
    const n = labels.length;
    const a = solveSvmCs(gram(s), labels, w, { tol: 1e-13 }).alpha;
    const alpha = Array.from({ length: n }, (_, i) => Array.from({ length: w }, (_, m) => a[i * w + m]!));
    return (multiply(dotRows(q, s), alpha) as number[][]).flat();
  },
};

for (const name of ['ridge', 'svm']) {
  test.serial(`${name}: float32 gradients wrt support and query are within 1e-3 of Float64 finite differences`, async (t) => {
    await withNoLeaks(t, () => {
      const w = 4;
      const ep = toyEpisode(60, w, 2, 2, 6, 1.5);
      // a scale on the points so that the svm has free and bound variables alike
      const sup = ep.support.map((r) => r.map((v) => 0.4 * v));
      const qry = ep.query.map((r) => r.map((v) => 0.4 * v));
      const r = normals(61)(qry.length * w);
      const loss64 = (s: number[][], q: number[][]) => f64Logits[name]!(s, ep.labels, q, w).reduce((acc, v, i) => acc + v * r[i]!, 0);
      const head = createHead(name, name === 'svm' ? { tol: 1e-10 } : {});
      const labels = tf.tensor1d(ep.labels, 'int32');
      const rT = tf.tensor2d(r, [qry.length, w]);
      const inputs = [tf.tensor2d(sup), tf.tensor2d(qry)];
      const [gs, gq] = tf.grads((s: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(head.logits(s as tf.Tensor2D, labels, q as tf.Tensor2D, w), rT)))(inputs);
      const h = 1e-5;
      const fd = (x: number[][], which: 'support' | 'query') =>
        x.flatMap((row, i) =>
          row.map((_, j) => {
            const bump = (delta: number) => x.map((rr, ii) => rr.map((v, jj) => (ii === i && jj === j ? v + delta : v)));
            const [pS, mS] = which === 'support' ? [bump(h), bump(-h)] : [sup, sup];
            const [pQ, mQ] = which === 'query' ? [bump(h), bump(-h)] : [qry, qry];
            return (loss64(pS, pQ) - loss64(mS, mQ)) / (2 * h);
          }),
        );
      const fdS = fd(sup, 'support');
      const fdQ = fd(qry, 'query');
      t.log(`support ${relError(gs!.dataSync(), fdS)}, query ${relError(gq!.dataSync(), fdQ)}`);
      t.true(relError(gs!.dataSync(), fdS) < 1e-3, `support grad rel error ${relError(gs!.dataSync(), fdS)}`);
      t.true(relError(gq!.dataSync(), fdQ) < 1e-3, `query grad rel error ${relError(gq!.dataSync(), fdQ)}`);
      tf.dispose([labels, rT, gs!, gq!, ...inputs]);
      head.dispose();
    });
  });
}

/** Episode i of a batched tensor (the leading dim dropped). */
const pick = <T extends tf.Tensor>(x: tf.Tensor, i: number) => tf.gather(x, i) as unknown as T;

for (const name of ['protonet', 'ridge', 'svm']) {
  test.serial(`${name}: batched logits over 3 episodes equal per-episode logits, gradients included`, async (t) => {
    await withNoLeaks(t, () => {
      const w = 4;
      const eps = [70, 71, 72].map((seed) => toyEpisode(seed, w, 2, 2, 6, 1.0));
      const head = createHead(name);
      const s = tf.tensor3d(eps.map((e) => e.support));
      const l = tf.tensor2d(eps.map((e) => e.labels), undefined, 'int32');
      const q = tf.tensor3d(eps.map((e) => e.query));
      const lossOf = (fn: (ss: tf.Tensor3D, qq: tf.Tensor3D) => tf.Tensor) => tf.grads((ss: tf.Tensor, qq: tf.Tensor) => tf.sum(tf.square(fn(ss as tf.Tensor3D, qq as tf.Tensor3D))))([s, q]);
      const batched = tf.tidy(() => batchLogits(head, s, l, q, w));
      t.deepEqual(batched.shape, [3, eps[0]!.query.length, w]);
      const loop = tf.tidy(() => tf.stack(eps.map((_, i) => tf.tidy(() => head.logits(pick<tf.Tensor2D>(s, i), pick<tf.Tensor1D>(l, i), pick<tf.Tensor2D>(q, i), w)))));
      t.true(relError(batched.dataSync(), loop.dataSync()) < 1e-5);
      const gB = lossOf((ss, qq) => batchLogits(head, ss, l, qq, w));
      const gL = lossOf((ss, qq) => tf.stack([0, 1, 2].map((i) => head.logits(pick<tf.Tensor2D>(ss, i), pick<tf.Tensor1D>(l, i), pick<tf.Tensor2D>(qq, i), w))));
      gB.forEach((g, i) => t.true(relError(g.dataSync(), gL[i]!.dataSync()) < 1e-4));
      tf.dispose([s, l, q, batched, loop, ...gB, ...gL]);
      head.dispose();
    });
  });
}

test.serial('batchLogits falls back to a loop for heads without a batched form', async (t) => {
  await withNoLeaks(t, () => {
    const proto = createHead('protonet');
    const plain: Head = { name: 'plain', variables: proto.variables, logits: proto.logits, dispose: proto.dispose };
    const eps = [80, 81].map((seed) => toyEpisode(seed, 3, 2, 1, 4, 1.0));
    tf.tidy(() => {
      const s = tf.tensor3d(eps.map((e) => e.support));
      const l = tf.tensor2d(eps.map((e) => e.labels), undefined, 'int32');
      const q = tf.tensor3d(eps.map((e) => e.query));
      t.true(relError(batchLogits(plain, s, l, q, 3).dataSync(), batchLogits(proto, s, l, q, 3).dataSync()) < 1e-6);
    });
    proto.dispose();
  });
});

test.serial('heads reject malformed episodes with one-line UsageErrors', async (t) => {
  await withNoLeaks(t, () => {
    const head = createHead('protonet');
    tf.tidy(() => {
      const s = tf.zeros([4, 3]) as tf.Tensor2D;
      const q = tf.zeros([2, 3]) as tf.Tensor2D;
      t.throws(() => head.logits(s, tf.tensor1d([0, 1, 0, 1]) as tf.Tensor1D, q, 2), { instanceOf: UsageError, message: /int32/ });
      t.throws(() => head.logits(s, tf.tensor1d([0, 1, 0, 2], 'int32'), q, 2), { instanceOf: UsageError, message: /label 2 is outside 0\.\.1/ });
      t.throws(() => head.logits(s, tf.tensor1d([0, 1, 0, 1], 'int32'), tf.zeros([2, 5]) as tf.Tensor2D, 2), { instanceOf: UsageError, message: /with the same d/ });
      t.throws(() => head.logits(s, tf.tensor1d([0, 0, 0, 0], 'int32'), q, 2), { instanceOf: UsageError, message: /class 1 has no support/ });
    });
    head.dispose();
  });
});

