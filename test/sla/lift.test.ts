import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { type Head, batchLogits, createHead, listHeads } from '../../src/heads/index.js';
import { aggregateJointLogits, jointCrossEntropy, jointLabelArray, liftHead, singleJointLogits } from '../../src/sla/index.js';
import { tf } from '../../src/tf.js';
import { getLabelTransform } from '../../src/transforms/index.js';
import { createRng } from '../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);
// Serial: withNoLeaks counts live tensors process-wide, so tests of this file must not interleave.

/** A small head of our own: logits = -||q - p_c||^2 with class-mean prototypes p_c. */
function prototypeHead(): Head & { disposed: boolean } {
  return {
    name: 'test-proto',
    variables: [],
    disposed: false,
    logits(support, supportLabels, query, nWay) {
      return tf.tidy(() => {
        const onehot = tf.oneHot(supportLabels.toInt(), nWay).toFloat();
        const protos = tf.matMul(onehot, support, true).div(onehot.sum(0).reshape([nWay, 1]));
        const diff = tf.sub(query.expandDims(1), protos.expandDims(0));
        return tf.neg(tf.square(diff).sum(2)) as tf.Tensor2D;
      });
    },
    dispose() {
      this.disposed = true;
    },
  };
}

function seeded(rows: number, cols: number, seed: string): tf.Tensor2D {
  const rng = createRng(seed);
  return tf.tensor2d(Array.from({ length: rows * cols }, () => rng() * 2 - 1), [rows, cols]);
}

test.serial('M = 1 lifting gives exactly the plain head (logits, joint logits, single and aggregated)', async (t) => {
  await withNoLeaks(t, () => {
    const head = prototypeHead();
    const lifted = liftHead(head, 1);
    t.is(lifted.name, 'test-proto');
    const support = seeded(6, 5, 's');
    const query = seeded(4, 5, 'q');
    const labels = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const plain = head.logits(support, labels, query, 3);
    const outs = tf.tidy(() => {
      const inf = lifted.infer(support, labels, query, 3);
      return [lifted.logits(support, labels, query, 3), lifted.jointLogits(support, labels, query, 3), inf.single, inf.aggregated];
    });
    for (const o of outs) t.deepEqual(o.arraySync(), plain.arraySync());
    tf.dispose([support, query, labels, plain, ...outs]);
  });
});

test.serial('lifting to M copies is the (N*M)-way problem on joint support labels', async (t) => {
  await withNoLeaks(t, () => {
    const head = prototypeHead();
    const M = 3;
    const lifted = liftHead(head, M);
    t.is(lifted.name, 'test-proto+sla3');
    t.is(lifted.copies, 3);
    const support = seeded(4 * M, 6, 's2');
    const query = seeded(5 * M, 6, 'q2');
    const labels = tf.tensor1d([1, 0, 1, 0], 'int32');
    tf.tidy(() => {
      const joint = lifted.jointLogits(support, labels, query, 2);
      t.deepEqual(joint.shape, [5 * M, 2 * M]);
      const direct = head.logits(support, tf.tensor1d(jointLabelArray([1, 0, 1, 0], M), 'int32'), query, 2 * M);
      t.deepEqual(joint.arraySync(), direct.arraySync());
      const inf = lifted.infer(support, labels, query, 2);
      t.deepEqual(inf.aggregated.arraySync(), aggregateJointLogits(direct, 2, M).arraySync());
      t.deepEqual(inf.single.arraySync(), singleJointLogits(direct, 2, M).arraySync());
      t.deepEqual(lifted.logits(support, labels, query, 2).arraySync(), inf.aggregated.arraySync());
    });
    const twoLabels = tf.tensor1d([0, 1], 'int32');
    t.throws(() => lifted.jointLogits(support, twoLabels, query, 2), { instanceOf: UsageError, message: /support has 12 rows, expected 2\*3 = 6/ });
    twoLabels.dispose();
    t.throws(() => liftHead(head, 0), { instanceOf: UsageError });
    lifted.dispose();
    t.true(head.disposed, 'disposing the lifted head disposes the base head');
    tf.dispose([support, query, labels]);
  });
});

test.serial('transforms and joint labels line up: a rotated copy of a support image is recognised as (class, rotation)', async (t) => {
  await withNoLeaks(t, () => {
    const rotation = getLabelTransform('rotation');
    const M = rotation.count;
    const rng = createRng('images');
    // 3 classes, one support image each (asymmetric 3x3x1 images); queries are copies of support 2 and 0
    const images = tf.tensor4d(Array.from({ length: 3 * 9 }, () => rng()), [3, 3, 3, 1]);
    const lifted = liftHead(prototypeHead(), M);
    tf.tidy(() => {
      const support = rotation.apply(images).reshape([3 * M, 9]) as tf.Tensor2D;
      const queryImages = tf.gather(images, [2, 0]);
      const query = rotation.apply(queryImages).reshape([2 * M, 9]) as tf.Tensor2D;
      const labels = tf.tensor1d([0, 1, 2], 'int32');
      const joint = lifted.jointLogits(support, labels, query, 3);
      const predicted = Array.from(joint.argMax(1).dataSync());
      t.deepEqual(predicted, [8, 9, 10, 11, 0, 1, 2, 3], 'row b*M + j predicts joint class y*M + j');
      const { single, aggregated } = lifted.infer(support, labels, query, 3);
      t.deepEqual(Array.from(aggregated.argMax(1).dataSync()), [2, 0]);
      t.deepEqual(Array.from(single.argMax(1).dataSync()), [2, 0]);
    });
    images.dispose();
  });
});

/** A small episode of embeddings: nWay classes x shot support copies and nQ query copies, M copies each. */
function episode(nWay: number, shot: number, nQ: number, M: number, d: number, seed: string) {
  const labels = Array.from({ length: nWay * shot }, (_, i) => i % nWay);
  return {
    support: seeded(nWay * shot * M, d, `${seed}-s`),
    labels: tf.tensor1d(labels, 'int32'),
    query: seeded(nQ * M, d, `${seed}-q`),
  };
}

function close(t: import('ava').ExecutionContext, a: tf.Tensor, b: tf.Tensor, tol: number, what: string): void {
  t.deepEqual(a.shape, b.shape, what);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  t.true(worst <= tol, `${what}: max difference ${worst}`);
}

test.serial('every registered head: M = 1 lifting is exactly the plain head, batched too', async (t) => {
  const names = listHeads();
  t.true(['protonet', 'ridge', 'svm'].every((n) => names.includes(n)), `registered: ${names.join(', ')}`);
  for (const name of names) {
    await withNoLeaks(t, () => {
      const head = createHead(name);
      const lifted = liftHead(head, 1);
      const { support, labels, query } = episode(3, 2, 4, 1, 8, name);
      tf.tidy(() => {
        const plain = head.logits(support, labels, query, 3).arraySync();
        const inf = lifted.infer(support, labels, query, 3);
        for (const [what, x] of [
          ['logits', lifted.logits(support, labels, query, 3)],
          ['jointLogits', lifted.jointLogits(support, labels, query, 3)],
          ['single', inf.single],
          ['aggregated', inf.aggregated],
        ] as const) {
          t.deepEqual(x.arraySync(), plain, `${name} ${what}`);
        }
        const s3 = tf.stack([support, support]) as tf.Tensor3D;
        const l2 = tf.stack([labels, labels]) as tf.Tensor2D;
        const q3 = tf.stack([query, query]) as tf.Tensor3D;
        t.deepEqual(lifted.logitsBatch(s3, l2, q3, 3).arraySync(), batchLogits(head, s3, l2, q3, 3).arraySync(), `${name} batch`);
      });
      lifted.dispose();
      tf.dispose([support, labels, query]);
    });
  }
});

test.serial('every registered head: lifted M = 2 is the plain head on joint labels; batch = per episode', async (t) => {
  const M = 2;
  for (const name of listHeads()) {
    await withNoLeaks(t, () => {
      const head = createHead(name);
      const lifted = liftHead(head, M);
      const a = episode(3, 2, 3, M, 8, `${name}-a`);
      const b = episode(3, 2, 3, M, 8, `${name}-b`);
      tf.tidy(() => {
        const jl = tf.tensor1d(jointLabelArray(a.labels.dataSync(), M), 'int32');
        const joint = lifted.jointLogits(a.support, a.labels, a.query, 3);
        t.deepEqual(joint.shape, [3 * M, 3 * M]);
        t.deepEqual(joint.arraySync(), head.logits(a.support, jl, a.query, 3 * M).arraySync(), `${name} joint`);
        const batch = lifted.inferBatch(
          tf.stack([a.support, b.support]) as tf.Tensor3D,
          tf.stack([a.labels, b.labels]) as tf.Tensor2D,
          tf.stack([a.query, b.query]) as tf.Tensor3D,
          3,
        );
        const perEpisode = [a, b].map((e) => lifted.infer(e.support, e.labels, e.query, 3));
        close(t, batch.aggregated, tf.stack(perEpisode.map((p) => p.aggregated)), 1e-4, `${name} batched aggregate`);
        close(t, batch.single, tf.stack(perEpisode.map((p) => p.single)), 1e-4, `${name} batched single`);
      });
      lifted.dispose();
      tf.dispose([a.support, a.labels, a.query, b.support, b.labels, b.query]);
    });
  }
});

test.serial('the SLA loss through lifted protonet and ridge has finite-difference gradients w.r.t. embeddings', async (t) => {
  const M = 2;
  for (const name of ['protonet', 'ridge']) {
    await withNoLeaks(t, () => {
      const lifted = liftHead(createHead(name), M);
      const e = episode(2, 1, 2, M, 3, `${name}-fd`);
      const queryLabels = tf.tensor1d([1, 0], 'int32');
      const loss = (s: tf.Tensor, q: tf.Tensor) =>
        jointCrossEntropy(lifted.jointLogits(s as tf.Tensor2D, e.labels, q as tf.Tensor2D, 2), queryLabels, M, { labelSmoothing: 0.1 });
      const [gs, gq] = tf.grads(loss)([e.support, e.query]);
      for (const [which, x, g] of [['support', e.support, gs!], ['query', e.query, gq!]] as const) {
        const base = Array.from(x.dataSync());
        const analytic = g.dataSync();
        for (let k = 0; k < base.length; k++) {
          const at = (delta: number) =>
            tf.tidy(() => {
              const v = [...base];
              v[k]! += delta;
              const moved = tf.tensor2d(v, x.shape);
              return (which === 'support' ? loss(moved, e.query) : loss(e.support, moved)).dataSync()[0]!;
            });
          const fd = (at(1e-2) - at(-1e-2)) / 2e-2;
          t.true(Math.abs(fd - analytic[k]!) < 2e-3 * Math.max(1, Math.abs(fd)), `${name} ${which}[${k}]: fd ${fd} vs ${analytic[k]}`);
        }
      }
      lifted.dispose();
      tf.dispose([gs!, gq!, e.support, e.labels, e.query, queryLabels]);
    });
  }
});
