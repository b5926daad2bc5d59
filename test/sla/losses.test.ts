import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { crossEntropy, detach, jointCrossEntropy, jointLabelArray, selfDistillationLoss } from '../../src/sla/index.js';
import { tf } from '../../src/tf.js';
import { createRng } from '../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);
// Serial: withNoLeaks counts live tensors process-wide, so tests of this file must not interleave.

const logSoftmax = (row: number[]): number[] => {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
};

/** Hand CE with MetaOptNet smoothing: target 1 - eps on y, eps / (K - 1) elsewhere; mean over rows. */
function ceReference(L: number[][], y: number[], eps = 0): number {
  return (
    L.reduce((sum, row, r) => {
      const K = row.length;
      const lp = logSoftmax(row);
      return sum - lp.reduce((s, v, k) => s + (k === y[r] ? 1 - eps : eps / (K - 1)) * v, 0);
    }, 0) / L.length
  );
}

/** Student logits u and aggregate logits for the self-distillation tests. */
const U = [
  [0.5, -1, 2],
  [1, 0.2, -0.3],
];
const A = [
  [1, 0, 1.5],
  [-0.5, 2, 0],
];

const scalar = (x: tf.Scalar): number => {
  const v = x.dataSync()[0]!;
  x.dispose();
  return v;
};

test.serial('cross-entropy with and without label smoothing matches a hand computation', async (t) => {
  await withNoLeaks(t, () => {
    const L = [
      [1, 2, 3],
      [1, 1, 1],
    ];
    const logits = tf.tensor2d(L);
    const y = tf.tensor1d([2, 0], 'int32');
    const plainHand = (Math.log(Math.E + Math.E ** 2 + Math.E ** 3) - 3 + Math.log(3)) / 2;
    t.true(Math.abs(scalar(crossEntropy(logits, y)) - plainHand) < 1e-6);
    // eps = 0.1, K = 3: targets 0.9 / 0.05 / 0.05
    const lp0 = logSoftmax(L[0]!);
    const smoothHand = (-(0.05 * lp0[0]! + 0.05 * lp0[1]! + 0.9 * lp0[2]!) + Math.log(3)) / 2;
    t.true(Math.abs(scalar(crossEntropy(logits, y, { labelSmoothing: 0.1 })) - smoothHand) < 1e-6);
    t.true(Math.abs(smoothHand - ceReference(L, [2, 0], 0.1)) < 1e-12);
    t.throws(() => crossEntropy(logits, y, { labelSmoothing: 1 }), { instanceOf: UsageError });
    tf.dispose([logits, y]);
  });
});

test.serial('joint cross-entropy is the mean over copies of the per-copy CE on joint labels', async (t) => {
  await withNoLeaks(t, () => {
    const rng = createRng('jce');
    const nQ = 3;
    const nWay = 2;
    const M = 4;
    const L = Array.from({ length: nQ * M }, () => Array.from({ length: nWay * M }, () => rng() * 6 - 3));
    const labels = [1, 0, 1];
    const joint = Array.from(jointLabelArray(labels, M));
    let perCopy = 0;
    for (let j = 0; j < M; j++) {
      const rows = labels.map((_, b) => b * M + j);
      perCopy += ceReference(rows.map((r) => L[r]!), rows.map((r) => joint[r]!), 0.1) / M;
    }
    const logits = tf.tensor2d(L);
    const y = tf.tensor1d(labels, 'int32');
    t.true(Math.abs(scalar(jointCrossEntropy(logits, y, M, { labelSmoothing: 0.1 })) - perCopy) < 1e-5);
    t.throws(() => jointCrossEntropy(logits, y, 3), { instanceOf: UsageError, message: /12 rows.*3 labels x M=3/ });
    tf.dispose([logits, y]);
  });
});

test.serial('self-distillation loss matches CE(u,y) + T^2 KL(softmax(agg/T) || softmax(u/T)) by hand', async (t) => {
  await withNoLeaks(t, () => {
    const y = [2, 1];
    const T = 2;
    const kl =
      U.reduce((sum, row, r) => {
        const lq = logSoftmax(row.map((v) => v / T));
        const lp = logSoftmax(A[r]!.map((v) => v / T));
        return sum + lp.reduce((s, v, k) => s + Math.exp(v) * (v - lq[k]!), 0);
      }, 0) / U.length;
    const hand = ceReference(U, y) + T * T * kl;
    const u = tf.tensor2d(U);
    const a = tf.tensor2d(A);
    const labels = tf.tensor1d(y, 'int32');
    t.true(Math.abs(scalar(selfDistillationLoss(u, a, labels, { temperature: T })) - hand) < 1e-5);
    t.throws(() => selfDistillationLoss(u, a, labels, { temperature: 0 }), { instanceOf: UsageError });
    tf.dispose([u, a, labels]);
  });
});

test.serial('self-distillation: no gradient reaches the aggregate; the student gradient matches finite differences', async (t) => {
  await withNoLeaks(t, () => {
    const u = tf.tensor2d(U);
    const a = tf.tensor2d(A);
    const labels = tf.tensor1d([2, 1], 'int32');
    const loss = (uu: tf.Tensor, aa: tf.Tensor) => selfDistillationLoss(uu as tf.Tensor2D, aa as tf.Tensor2D, labels, { temperature: 2 });
    const [gu, ga] = tf.grads(loss)([u, a]);
    t.deepEqual(Array.from(ga!.dataSync()), [0, 0, 0, 0, 0, 0]);
    const analytic = gu!.dataSync();
    const h = 1e-2;
    for (let k = 0; k < 6; k++) {
      const shifted = (delta: number) =>
        tf.tidy(() => {
          const flat = U.flat();
          flat[k]! += delta;
          return loss(tf.tensor2d(flat, [2, 3]), a).dataSync()[0]!;
        });
      const fd = (shifted(h) - shifted(-h)) / (2 * h);
      t.true(Math.abs(fd - analytic[k]!) < 2e-3, `k=${k}: fd ${fd} vs ${analytic[k]}`);
    }
    tf.dispose([u, a, labels, gu!, ga!]);
  });
});

test.serial('joint cross-entropy gradient matches finite differences', async (t) => {
  await withNoLeaks(t, () => {
    const rng = createRng('jce-grad');
    const flat = Array.from({ length: 4 * 4 }, () => rng() * 2 - 1);
    const y = tf.tensor1d([1, 0], 'int32');
    const f = (x: tf.Tensor) => jointCrossEntropy(x as tf.Tensor2D, y, 2, { labelSmoothing: 0.1 });
    const x = tf.tensor2d(flat, [4, 4]);
    const g = tf.grad(f)(x);
    const analytic = g.dataSync();
    const h = 1e-2;
    for (let k = 0; k < flat.length; k++) {
      const at = (delta: number) =>
        tf.tidy(() => {
          const v = [...flat];
          v[k]! += delta;
          return f(tf.tensor2d(v, [4, 4])).dataSync()[0]!;
        });
      const fd = (at(h) - at(-h)) / (2 * h);
      t.true(Math.abs(fd - analytic[k]!) < 1e-3, `k=${k}`);
    }
    tf.dispose([x, g, y]);
  });
});

test.serial('detach passes values through and blocks gradients', async (t) => {
  await withNoLeaks(t, () => {
    const x = tf.tensor1d([1, 2, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.add(detach(v).mul(v), v).sum())(x);
    // d/dx [stop(x) x + x] = stop(x) + 1
    t.deepEqual(Array.from(g.dataSync()), [2, 3, 4]);
    tf.dispose([x, g]);
  });
});
