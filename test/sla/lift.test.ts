import test from 'ava';
import { UsageError } from '../../src/errors.js';
import type { Head } from '../../src/heads/types.js';
import { aggregateJointLogits, jointLabelArray, liftHead, singleJointLogits } from '../../src/sla/index.js';
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
