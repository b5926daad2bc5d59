import test from 'ava';
import { UsageError } from '../../../src/errors.js';
import { createClassifiers } from '../../../src/objectives/classifier.js';
import { getObjective } from '../../../src/objectives/registry.js';
import { jointClassLoss, plainCrossEntropy, sameClass } from '../../../src/objectives/losses.js';
import { ldamClassLoss, weightedClassLoss } from '../../../src/objectives/long-tail/losses.js';
import { classLossSchedule, drwStartStep, firstDecayEpoch, type LongTailSettings } from '../../../src/objectives/long-tail/schedule.js';
import { classBalancedWeights, ldamMargins } from '../../../src/objectives/long-tail/weights.js';
import type { ClassLoss } from '../../../src/objectives/types.js';
import { tf } from '../../../src/tf.js';
import { createRng } from '../../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../../helpers/tf.js';

test.before(useCpuBackend);

// Recorded with Debian's python3-torch 1.13 (float64): numpy CB weights and LDAM margins as in
// kaidic/LDAM-DRW cifar_train.py / losses.py, F.cross_entropy(weight=...), LDAMLoss.forward (s = 30).
const X = [
  [0.2, -0.4, 0.7, 0.1],
  [0.5, 0.3, -0.2, -0.6],
  [-0.1, 0.8, 0.05, 0.3],
  [0.4, 0.4, -0.5, 0.2],
  [0.0, -0.3, 0.6, -0.1],
];
const Y = [2, 0, 1, 0, 3];
const COUNTS = [500, 120, 30, 5];
const TORCH = {
  weights: [0.033631730739439175, 0.1375082023081908, 0.5475661794744594, 3.2812938874779105],
  margins: [0.15811388300841897, 0.2259005009024612, 0.3194715521231362, 0.5],
  weightedCe: 1.4717112906820793,
  ce: 1.1127634508332278,
  ldam: 8.201986654374958,
  ldamWeighted: 29.32778731507846,
};

const close = (a: number, b: number, tol = 1e-5) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

function lossOf(loss: ClassLoss, x: number[][], y: number[], classOf: (c: number) => number = sameClass): number {
  return tf.tidy(() => loss(tf.tensor2d(x), tf.tensor1d(y, 'int32'), classOf).dataSync()[0]!);
}

/** Float64 log-softmax of a row. */
function logSoftmax(row: number[]): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  return row.map((v) => v - lse);
}

/** Float64 reference: sum_r w_r * (-log p_r[y_r]) / sum_r w_r, after subtracting margin_r at y_r. */
function reference(x: number[][], y: number[], rowWeight: (r: number) => number, rowMargin: (r: number) => number): number {
  let num = 0;
  let den = 0;
  x.forEach((row, r) => {
    const shifted = row.map((v, c) => (c === y[r] ? v - rowMargin(r) : v));
    num += rowWeight(r) * -logSoftmax(shifted)[y[r]!]!;
    den += rowWeight(r);
  });
  return num / den;
}

test('class-balanced weights: (1 - beta) / (1 - beta^n_i) normalised to sum C (hand values and the recorded reference)', (t) => {
  // beta = 0.5, counts [1, 2]: raw 0.5/0.5 = 1 and 0.5/0.75 = 2/3; sum 5/3, times C = 2 -> 6/5 and 4/5
  const w = classBalancedWeights([1, 2], 0.5);
  t.true(close(w[0]!, 1.2, 1e-12) && close(w[1]!, 0.8, 1e-12), `${w}`);
  t.deepEqual(classBalancedWeights([7, 300, 2], 0), [1, 1, 1], 'beta 0: all ones (DRW before its switch)');
  classBalancedWeights(COUNTS, 0.9999).forEach((v, i) => t.true(close(v, TORCH.weights[i]!, 1e-12), `class ${i}: ${v}`));
  t.throws(() => classBalancedWeights([3, 0], 0.9), { message: /class 1 has 0 training images/ });
  t.throws(() => classBalancedWeights([3, 4], 1), { instanceOf: UsageError, message: /cbBeta must be in \[0, 1\)/ });
});

test('LDAM margins: proportional to n^(-1/4), the largest 0.5 (hand values and the recorded reference)', (t) => {
  t.deepEqual(ldamMargins([16, 1, 81], 0.5), [0.25, 0.5, 0.5 / 3]);
  ldamMargins(COUNTS, 0.5).forEach((v, i) => t.true(close(v, TORCH.margins[i]!, 1e-12), `class ${i}: ${v}`));
});

test("weighted cross-entropy divides by the batch's label weights, as PyTorch's cross_entropy(weight=...)", async (t) => {
  await withNoLeaks(t, () => {
    const cb = weightedClassLoss(TORCH.weights);
    t.true(close(lossOf(cb, X, Y), TORCH.weightedCe), `${lossOf(cb, X, Y)}`);
    t.true(close(lossOf(weightedClassLoss(null), X, Y), TORCH.ce));
    t.true(close(lossOf(plainCrossEntropy, X, Y), TORCH.ce));
    // not the batch-size mean: sum w_y CE / B differs from it
    const perBatchSize = reference(X, Y, (r) => TORCH.weights[Y[r]!]!, () => 0) * Y.reduce((s, y) => s + TORCH.weights[y]!, 0) / Y.length;
    t.false(close(lossOf(cb, X, Y), perBatchSize, 1e-3));
    // scaling every weight leaves it unchanged
    t.true(close(lossOf(weightedClassLoss(TORCH.weights.map((w) => 7 * w)), X, Y), TORCH.weightedCe));
  });
});

test('LDAM on scaled cosine logits equals the reference CE(s * (cos - Delta_y e_y)), plain and weighted', async (t) => {
  await withNoLeaks(t, () => {
    const scaled = X.map((row) => row.map((v) => 30 * v));
    t.true(close(lossOf(ldamClassLoss(TORCH.margins, 30, null), scaled, Y), TORCH.ldam), `${lossOf(ldamClassLoss(TORCH.margins, 30, null), scaled, Y)}`);
    t.true(close(lossOf(ldamClassLoss(TORCH.margins, 30, TORCH.weights), scaled, Y), TORCH.ldamWeighted));
  });
});

test('joint N*M labels take their class weight and margin (classOf = floor(c / M)); the u head its own class', async (t) => {
  await withNoLeaks(t, () => {
    // N = 2, M = 2: joint columns (class, copy) = 0:(0,0) 1:(0,1) 2:(1,0) 3:(1,1); two images labelled [1, 0]
    const joint = [
      [0.3, -0.2, 0.5, 0.1],
      [0.0, 0.4, -0.3, 0.2],
      [0.6, 0.1, -0.1, -0.4],
      [-0.2, 0.3, 0.2, 0.5],
    ];
    const labels = [1, 0];
    const jointY = [2, 3, 0, 1]; // y*M + j, rows b*M + j
    const w = [0.25, 1.75];
    const d = [0.1, 0.4];
    const s = 10;
    const classOfRow = (r: number) => Math.floor(jointY[r]! / 2);
    const cbWant = reference(joint, jointY, (r) => w[classOfRow(r)]!, () => 0);
    const ldamWant = reference(joint, jointY, (r) => w[classOfRow(r)]!, (r) => s * d[classOfRow(r)]!);
    // hand check of the layout: rows of image 0 (class 1) carry weight 1.75, rows of image 1 weight 0.25
    t.true(close(cbWant, (1.75 * (-logSoftmax(joint[0]!)[2]! - logSoftmax(joint[1]!)[3]!) + 0.25 * (-logSoftmax(joint[2]!)[0]! - logSoftmax(joint[3]!)[1]!)) / 4, 1e-12));
    const got = (loss: ClassLoss) => tf.tidy(() => jointClassLoss(tf.tensor2d(joint), tf.tensor1d(labels, 'int32'), 2, loss).dataSync()[0]!);
    t.true(close(got(weightedClassLoss(w)), cbWant), `${got(weightedClassLoss(w))} vs ${cbWant}`);
    t.true(close(got(ldamClassLoss(d, s, w)), ldamWant), `${got(ldamClassLoss(d, s, w))} vs ${ldamWant}`);

    // sla+sd: joint term + u term with the same class loss + the unweighted T^2 KL (agg detached)
    const u = [
      [0.2, -0.1],
      [0.9, 0.3],
      [-0.5, 0.4],
      [0.1, 0.1],
    ]; // rows b*M + j; u is read on the identity rows 0 and 2
    const uRows = [u[0]!, u[2]!];
    const uWant = reference(uRows, labels, (r) => w[labels[r]!]!, (r) => s * d[labels[r]!]!);
    const agg = [0, 1].map((b) => [0, 1].map((c) => (joint[b * 2]![c * 2]! + joint[b * 2 + 1]![c * 2 + 1]!) / 2));
    const kl = [0, 1].reduce((sum, b) => {
      const pt = logSoftmax(agg[b]!);
      const ps = logSoftmax(uRows[b]!);
      return sum + pt.reduce((k, lt, c) => k + Math.exp(lt) * (lt - ps[c]!), 0);
    }, 0) / 2;
    const total = tf.tidy(() =>
      getObjective('sla+sd')
        .loss({ joint: tf.tensor2d(joint), single: tf.tensor2d(u) }, tf.tensor1d(labels, 'int32'), {
          copies: 2,
          classes: 2,
          largeLoss: false,
          temperature: 1,
          classLoss: ldamClassLoss(d, s, w),
        })
        .dataSync()[0]!,
    );
    t.true(close(total, ldamWant + uWant + kl), `${total} vs ${ldamWant + uWant + kl}`);
  });
});

/** Central finite differences (float32 tensors, float64 arithmetic on the results). */
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

for (const [name, loss, scale] of [
  ['CB-weighted CE', weightedClassLoss(TORCH.weights), 1],
  ['LDAM (s = 30, weighted)', ldamClassLoss(TORCH.margins, 30, TORCH.weights), 30],
] as const) {
  test(`${name}: the gradient w.r.t. the logits matches finite differences`, async (t) => {
    await withNoLeaks(t, () => {
      const x = X.map((row) => row.map((v) => v * scale));
      const numeric = finiteDifference((v) => lossOf(loss, v, Y), x);
      const analytic = tf.tidy(() => {
        const y = tf.tensor1d(Y, 'int32');
        return tf.grad((v: tf.Tensor) => loss(v as tf.Tensor2D, y, sameClass))(tf.tensor2d(x)).arraySync() as number[][];
      });
      const worst = Math.max(...analytic.flatMap((row, r) => row.map((g, c) => Math.abs(g - numeric[r]![c]!))));
      t.true(worst < 2e-3, `max |analytic - numeric| = ${worst}`);
    });
  });
}

test('cosine classifier: logits = s * cos(f, w), no bias; LDAM gradient w.r.t. its kernel matches finite differences', async (t) => {
  await withNoLeaks(t, () => {
    const rng = createRng('cosine');
    const f = Array.from({ length: 3 }, () => Array.from({ length: 5 }, () => 2 * rng() - 1));
    const classifiers = createClassifiers({ class: 4 }, 5, createRng('cosine-init'), 30);
    try {
      t.deepEqual(Object.keys(classifiers.variables), ['classifier/class/kernel']);
      const kernel = classifiers.variables['classifier/class/kernel']!;
      const w = kernel.arraySync() as number[][];
      const out = tf.tidy(() => classifiers.apply(tf.tensor2d(f)).class!.arraySync());
      const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      for (let r = 0; r < 3; r++) {
        for (let c = 0; c < 4; c++) {
          const col = w.map((row) => row[c]!);
          const cos = f[r]!.reduce((s, x, i) => s + x * col[i]!, 0) / (norm(f[r]!) * norm(col));
          t.true(close(out[r]![c]!, 30 * cos, 1e-4), `(${r}, ${c})`);
        }
      }
      const loss = ldamClassLoss([0.2, 0.3, 0.4, 0.5], 30, null);
      const y = [1, 3, 0];
      const at = (v: number[][]) => tf.tidy(() => {
        const cls = createClassifiers({ class: 4 }, 5, null, 30);
        cls.variables['classifier/class/kernel']!.assign(tf.tensor2d(v));
        const value = loss(cls.apply(tf.tensor2d(f)).class!, tf.tensor1d(y, 'int32'), sameClass).dataSync()[0]!;
        cls.dispose();
        return value;
      });
      const numeric = finiteDifference(at, w, 1e-3);
      const analytic = tf.tidy(() => {
        const g = tf.variableGrads(() => loss(classifiers.apply(tf.tensor2d(f)).class!, tf.tensor1d(y, 'int32'), sameClass), [kernel]);
        return Object.values(g.grads)[0]!.arraySync() as number[][];
      });
      const worst = Math.max(...analytic.flatMap((row, r) => row.map((g, c) => Math.abs(g - numeric[r]![c]!))));
      t.true(worst < 2e-2, `max |analytic - numeric| = ${worst}`);
    } finally {
      classifiers.dispose();
    }
  });
});

const settings = (overrides: Partial<LongTailSettings> = {}): LongTailSettings => ({ loss: 'cb', drw: true, cbBeta: 0.9999, ldamMaxMargin: 0.5, ldamScale: 30, drwEpoch: 0, ...overrides });

test("DRW switches to the class-balanced weights exactly at the first step of the first lr decay (the reference's epoch 160 of 200)", async (t) => {
  const reference = [1, 2, 3, 4, 5].map((e) => ({ epoch: e, lr: 0.02 * e })).concat([{ epoch: 161, lr: 0.001 }, { epoch: 181, lr: 0.00001 }]);
  t.is(firstDecayEpoch(reference), 161, 'after the warm-up, the first stage below the one before');
  t.is(drwStartStep(settings(), reference, 97, 200), 160 * 97);
  t.is(drwStartStep(settings({ drwEpoch: 3 }), reference, 10, 200), 20);
  t.throws(() => drwStartStep(settings(), [{ epoch: 1, lr: 0.1 }], 10, 5), { instanceOf: UsageError, message: /never decays/ });
  t.throws(() => drwStartStep(settings({ drwEpoch: 9 }), reference, 10, 5), { message: /after the last epoch/ });
  await withNoLeaks(t, () => {
    for (const loss of ['cb', 'ldam'] as const) {
      const at = classLossSchedule(settings({ loss }), COUNTS, 1600);
      const x = loss === 'ldam' ? X.map((row) => row.map((v) => 30 * v)) : X;
      const [plain, weighted] = loss === 'ldam' ? [TORCH.ldam, TORCH.ldamWeighted] : [TORCH.ce, TORCH.weightedCe];
      t.true(close(lossOf(at(0), x, Y), plain), `${loss} step 0`);
      t.true(close(lossOf(at(1599), x, Y), plain), `${loss} step 1599: still plain`);
      t.true(close(lossOf(at(1600), x, Y), weighted), `${loss} step 1600: weighted`);
      const always = classLossSchedule(settings({ loss, drw: false }), COUNTS, 1600);
      t.true(close(lossOf(always(0), x, Y), loss === 'cb' ? weighted : plain), `${loss} without DRW at step 0`);
    }
  });
  t.throws(() => classLossSchedule(settings({ loss: 'ce' }), COUNTS, 0), { instanceOf: UsageError, message: /--drw defers the class-balanced weights/ });
});
