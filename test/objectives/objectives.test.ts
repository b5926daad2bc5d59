import test from 'ava';
import { getObjective, objectiveNames, plainCrossEntropy, type ObjectiveOptions } from '../../src/objectives/index.js';
import { tf } from '../../src/tf.js';
import { createRng } from '../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);

const B = 3;
const N = 4;
const M = 2;
const labels = [2, 0, 3];

/** Hand-made logits [rows, cols] from a seeded generator (values in [-3, 3)). */
function logits(rows: number, cols: number, seed: string): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => 6 * rng() - 3));
}

/** Float64 log-softmax of a row. */
function logSoftmax(row: number[]): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  return row.map((v) => v - lse);
}

/** Float64 mean cross-entropy. */
function ce(rows: number[][], ys: number[]): number {
  return rows.reduce((s, row, i) => s - logSoftmax(row)[ys[i]!]!, 0) / rows.length;
}

const options = (overrides: Partial<ObjectiveOptions> = {}): ObjectiveOptions => ({
  copies: M,
  classes: N,
  largeLoss: false,
  temperature: 1,
  classLoss: plainCrossEntropy,
  ...overrides,
});

function evaluate(name: string, outputs: Record<string, number[][]>, opts: ObjectiveOptions): number {
  return tf.tidy(() => {
    const tensors = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, tf.tensor2d(v)]));
    return getObjective(name).loss(tensors, tf.tensor1d(labels, 'int32'), opts).dataSync()[0]!;
  });
}

const close = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('the five objectives of the reference code are registered, in its order', (t) => {
  t.deepEqual(objectiveNames(), ['baseline', 'da', 'mt', 'sla', 'sla+sd']);
  t.throws(() => getObjective('simclr'), { message: /unknown objective 'simclr': expected one of baseline, da, mt, sla, sla\+sd/ });
});

test('baseline: cross-entropy of the N-way classifier on the original images', async (t) => {
  await withNoLeaks(t, () => {
    const cls = logits(B, N, 'baseline');
    t.true(close(evaluate('baseline', { class: cls }, options({ copies: 1 })), ce(cls, labels)));
  });
});

test('da: the mean over all copies of CE against the class label', async (t) => {
  await withNoLeaks(t, () => {
    const cls = logits(B * M, N, 'da');
    const ys = labels.flatMap((y) => Array(M).fill(y) as number[]);
    t.true(close(evaluate('da', { class: cls }, options()), ce(cls, ys)));
  });
});

test('mt: class CE plus transformation CE (label j on row b*M + j), each a mean over copies', async (t) => {
  await withNoLeaks(t, () => {
    const cls = logits(B * M, N, 'mt-class');
    const tr = logits(B * M, M, 'mt-trans');
    const ys = labels.flatMap((y) => Array(M).fill(y) as number[]);
    const js = labels.flatMap(() => Array.from({ length: M }, (_, j) => j));
    t.true(close(evaluate('mt', { class: cls, transformation: tr }, options()), ce(cls, ys) + ce(tr, js)));
  });
});

test('sla: joint CE with labels y*M + j on rows b*M + j; largeLoss multiplies by M', async (t) => {
  await withNoLeaks(t, () => {
    const joint = logits(B * M, N * M, 'sla');
    const ys = labels.flatMap((y) => Array.from({ length: M }, (_, j) => y * M + j));
    t.true(close(evaluate('sla', { joint }, options()), ce(joint, ys)));
    t.true(close(evaluate('sla', { joint }, options({ largeLoss: true })), M * ce(joint, ys)));
  });
});

/** The reference's SD terms in float64: joint CE + CE(u on identity rows) + T^2 KL(softmax(agg/T) || softmax(u/T)). */
function sdReference(joint: number[][], single: number[][], T: number): number {
  const ys = labels.flatMap((y) => Array.from({ length: M }, (_, j) => y * M + j));
  const u = labels.map((_, b) => single[b * M]!);
  const agg = labels.map((_, b) => Array.from({ length: N }, (_, i) => joint.slice(b * M, b * M + M).reduce((s, row, j) => s + row[i * M + j]!, 0) / M));
  const kl =
    agg.reduce((s, a, b) => {
      const p = logSoftmax(a.map((v) => v / T));
      const q = logSoftmax(u[b]!.map((v) => v / T));
      return s + p.reduce((k, lp, i) => k + Math.exp(lp) * (lp - q[i]!), 0);
    }, 0) / B;
  return ce(joint, ys) + ce(u, labels) + T * T * kl;
}

test('sla+sd: joint CE + CE(u, y) + T^2 KL(agg || u), u read on the identity copy', async (t) => {
  await withNoLeaks(t, () => {
    const joint = logits(B * M, N * M, 'sd-joint');
    const single = logits(B * M, N, 'sd-single');
    for (const T of [1, 2.5]) t.true(close(evaluate('sla+sd', { joint, single }, options({ temperature: T })), sdReference(joint, single, T)), `T=${T}`);
  });
});

test('sla+sd: the teacher is detached, so the gradient reaching the joint classifier is that of the joint CE alone', async (t) => {
  await withNoLeaks(t, () => {
    const joint = tf.tensor2d(logits(B * M, N * M, 'sd-grad-joint'));
    const single = tf.tensor2d(logits(B * M, N, 'sd-grad-single'));
    const y = tf.tensor1d(labels, 'int32');
    const sd = getObjective('sla+sd');
    const sla = getObjective('sla');
    const gSd = tf.tidy(() => tf.grad((j: tf.Tensor) => sd.loss({ joint: j as tf.Tensor2D, single }, y, options()))(joint));
    const gSla = tf.tidy(() => tf.grad((j: tf.Tensor) => sla.loss({ joint: j as tf.Tensor2D }, y, options()))(joint));
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(gSd, gSla))).dataSync()[0]!);
    t.true(diff < 1e-7, `max difference ${diff}`);
    tf.dispose([joint, single, y, gSd, gSla]);
  });
});

/** Central finite differences of f at x (float32 tensors; float64 arithmetic on the results). */
function finiteDifference(f: (x: number[][]) => number, x: number[][], eps = 1e-2): number[][] {
  return x.map((row, r) =>
    row.map((_, c) => {
      const plus = x.map((rr) => [...rr]);
      const minus = x.map((rr) => [...rr]);
      plus[r]![c]! += eps;
      minus[r]![c]! -= eps;
      return (f(plus) - f(minus)) / (2 * eps);
    }),
  );
}

const objectivesByClassifier: [string, string, number][] = [
  ['baseline', 'class', N],
  ['da', 'class', N],
  ['mt', 'class', N],
  ['mt', 'transformation', M],
  ['sla', 'joint', N * M],
  ['sla+sd', 'single', N],
];

for (const [name, classifier, width] of objectivesByClassifier) {
  test(`${name}: the gradient w.r.t. the ${classifier} logits matches finite differences`, async (t) => {
    await withNoLeaks(t, () => {
      const rows = name === 'baseline' ? B : B * M;
      const opts = options(name === 'baseline' ? { copies: 1 } : { temperature: 2 });
      const fixed: Record<string, number[][]> = {};
      for (const [other, w] of Object.entries(getObjective(name).classifiers(N, M))) if (other !== classifier) fixed[other] = logits(rows, w, `${name}-${other}`);
      const x = logits(rows, width, `${name}-${classifier}-fd`);
      const f = (v: number[][]) => evaluate(name, { ...fixed, [classifier]: v }, opts);
      const numeric = finiteDifference(f, x);
      const analytic = tf.tidy(() => {
        const y = tf.tensor1d(labels, 'int32');
        const others = Object.fromEntries(Object.entries(fixed).map(([k, v]) => [k, tf.tensor2d(v)]));
        return tf.grad((v: tf.Tensor) => getObjective(name).loss({ ...others, [classifier]: v as tf.Tensor2D }, y, opts))(tf.tensor2d(x)).arraySync() as number[][];
      });
      const worst = Math.max(...analytic.flatMap((row, r) => row.map((g, c) => Math.abs(g - numeric[r]![c]!))));
      t.true(worst < 2e-3, `max |analytic - numeric| = ${worst}`);
    });
  });
}

test('read-outs: single = identity row at identity columns, aggregated = mean of each copy at its own column, sd = u on the identity row', async (t) => {
  await withNoLeaks(t, () => {
    const joint = logits(B * M, N * M, 'readout-joint');
    const single = logits(B * M, N, 'readout-single');
    const sd = getObjective('sla+sd');
    const [s, a, u] = tf.tidy(() => {
      const outputs = { joint: tf.tensor2d(joint), single: tf.tensor2d(single) };
      return ['single', 'aggregated', 'sd'].map((n) => sd.inferences[n]!(outputs, M, N).arraySync() as number[][]);
    });
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < N; i++) {
        t.true(close(s![b]![i]!, joint[b * M]![i * M]!));
        const mean = Array.from({ length: M }, (_, j) => joint[b * M + j]![i * M + j]!).reduce((x, y) => x + y, 0) / M;
        t.true(close(a![b]![i]!, mean));
        t.true(close(u![b]![i]!, single[b * M]![i]!));
      }
    }
    t.deepEqual(Object.keys(getObjective('baseline').inferences), ['single']);
    t.deepEqual(Object.keys(getObjective('sla').inferences), ['single', 'aggregated']);
  });
});
