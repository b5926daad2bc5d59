import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { aggregateJointLogits, jointLabelArray, jointLabels, singleJointLogits } from '../../src/sla/index.js';
import { tf } from '../../src/tf.js';
import { createRng } from '../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);
// Serial: withNoLeaks counts live tensors process-wide, so tests of this file must not interleave.

test.serial('jointLabels: query-major copies, class-major labels y*M + j', async (t) => {
  await withNoLeaks(t, () => {
    const labels = tf.tensor1d([2, 0, 1], 'int32');
    const joint = jointLabels(labels, 3);
    t.is(joint.dtype, 'int32');
    t.deepEqual(Array.from(joint.dataSync()), [6, 7, 8, 0, 1, 2, 3, 4, 5]);
    t.deepEqual(Array.from(jointLabelArray([2, 0, 1], 3)), [6, 7, 8, 0, 1, 2, 3, 4, 5]);
    t.deepEqual(Array.from(jointLabelArray([4, 1], 1)), [4, 1]);
    t.throws(() => jointLabelArray([1], 0), { instanceOf: UsageError });
    joint.dispose();
    labels.dispose();
  });
});

/** Direct reference: s[b][i] = 1/M sum_j L[b*M + j][i*M + j]. */
function aggregateReference(L: number[][], nWay: number, M: number): number[][] {
  const nQ = L.length / M;
  return Array.from({ length: nQ }, (_, b) =>
    Array.from({ length: nWay }, (_, i) => {
      let s = 0;
      for (let j = 0; j < M; j++) s += L[b * M + j]![i * M + j]!;
      return s / M;
    }),
  );
}

test.serial('aggregation and single inference on hand-made logits', async (t) => {
  await withNoLeaks(t, () => {
    // nQ = 2, nWay = 3, M = 2; L[r][c] = 10 r + c
    const L = Array.from({ length: 4 }, (_, r) => Array.from({ length: 6 }, (_, c) => 10 * r + c));
    const logits = tf.tensor2d(L);
    const agg = aggregateJointLogits(logits, 3, 2);
    // s[0][i] = (L[0][2i] + L[1][2i+1]) / 2 = (2i + 10 + 2i + 1) / 2 = 2i + 5.5
    t.deepEqual(agg.arraySync(), [
      [5.5, 7.5, 9.5],
      [25.5, 27.5, 29.5],
    ]);
    const single = singleJointLogits(logits, 3, 2);
    t.deepEqual(single.arraySync(), [
      [0, 2, 4],
      [20, 22, 24],
    ]);
    tf.dispose([logits, agg, single]);
  });
});

test.serial('aggregation equals the direct reference on seeded logits (nQ=5, nWay=4, M=4), M=1 is the identity', async (t) => {
  await withNoLeaks(t, () => {
    const rng = createRng('agg');
    const L = Array.from({ length: 20 }, () => Array.from({ length: 16 }, () => rng() * 10 - 5));
    const logits = tf.tensor2d(L);
    const agg = aggregateJointLogits(logits, 4, 4);
    const ref = aggregateReference(L, 4, 4);
    (agg.arraySync() as number[][]).forEach((row, b) =>
      row.forEach((v, i) => t.true(Math.abs(v - ref[b]![i]!) < 1e-5, `b=${b} i=${i}`)),
    );
    const single = singleJointLogits(logits, 4, 4);
    (single.arraySync() as number[][]).forEach((row, b) =>
      row.forEach((v, i) => t.is(v, Math.fround(L[b * 4]![i * 4]!))),
    );
    const plain = tf.tensor2d([[1, 2], [3, 4]]);
    const same = aggregateJointLogits(plain, 2, 1);
    const sameSingle = singleJointLogits(plain, 2, 1);
    t.deepEqual(same.arraySync(), [[1, 2], [3, 4]]);
    t.deepEqual(sameSingle.arraySync(), [[1, 2], [3, 4]]);
    tf.dispose([logits, agg, single, plain, same, sameSingle]);
  });
});

test.serial('aggregation is differentiable: gradient 1/M on the used entries, 0 elsewhere', async (t) => {
  await withNoLeaks(t, () => {
    const logits = tf.tensor2d(Array.from({ length: 4 }, () => [0, 1, 2, 3, 4, 5]));
    const g = tf.grad((x: tf.Tensor) => aggregateJointLogits(x as tf.Tensor2D, 3, 2).sum())(logits);
    t.deepEqual(g.arraySync(), [
      [0.5, 0, 0.5, 0, 0.5, 0],
      [0, 0.5, 0, 0.5, 0, 0.5],
      [0.5, 0, 0.5, 0, 0.5, 0],
      [0, 0.5, 0, 0.5, 0, 0.5],
    ]);
    tf.dispose([logits, g]);
  });
});

test.serial('shape errors name the expected layout', async (t) => {
  await withNoLeaks(t, () => {
    const bad = tf.zeros([6, 5]) as tf.Tensor2D;
    const err = t.throws(() => aggregateJointLogits(bad, 3, 2), { instanceOf: UsageError });
    t.regex(err!.message, /expected joint logits \[\(B,\) nQ\*2, 3\*2\].*found \[6,5\]/);
    t.throws(() => singleJointLogits(bad, 5, 4), { instanceOf: UsageError });
    bad.dispose();
  });
});

test.serial('a leading episode dimension gives the per-episode results stacked', async (t) => {
  await withNoLeaks(t, () => {
    const rng = createRng('batch');
    const L = Array.from({ length: 2 * 6 }, () => Array.from({ length: 9 }, () => rng()));
    tf.tidy(() => {
      const batch = tf.tensor3d([L.slice(0, 6), L.slice(6)]);
      const episodes = [tf.tensor2d(L.slice(0, 6)), tf.tensor2d(L.slice(6))];
      t.deepEqual(aggregateJointLogits(batch, 3, 3).arraySync(), episodes.map((e) => aggregateJointLogits(e, 3, 3).arraySync()));
      t.deepEqual(singleJointLogits(batch, 3, 3).arraySync(), episodes.map((e) => singleJointLogits(e, 3, 3).arraySync()));
      const labels = tf.tensor2d([[1, 0], [0, 2]], [2, 2], 'int32');
      t.deepEqual(jointLabels(labels, 2).arraySync(), [[2, 3, 0, 1], [0, 1, 4, 5]]);
    });
  });
});
