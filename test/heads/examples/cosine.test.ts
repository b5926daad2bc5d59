import test from 'ava';
import { tf } from '../../../src/tf.js';
import { createHead, listHeads } from '../../../src/heads/index.js';
import { liftHead } from '../../../src/sla/lift.js';
import { jointLabelArray } from '../../../src/sla/joint-labels.js';
import { TRAIN_FILES, trainRun } from '../../../src/train/index.js';
import { evaluate } from '../../../src/eval/index.js';
import { loadEvalModel } from '../../../src/eval/load-model.js';
import { makeManifest } from '../../../src/episodes/index.js';
import { useCpuBackend, withNoLeaks } from '../../helpers/tf.js';
import { normals } from '../../solvers/problems.js';
import { tinyConfig, tinySplits, withTempDir } from '../../train/fixtures.js';
import { join } from 'node:path';

test.before(useCpuBackend);

/** Reference logits written from the definition in plain JS (Float64). */
function reference(support: number[][], labels: number[], query: number[][], nWay: number, temperature = 10): number[][] {
  const d = support[0]!.length;
  const protos = Array.from({ length: nWay }, (_, c) => {
    const rows = support.filter((_, i) => labels[i] === c);
    return Array.from({ length: d }, (_, k) => rows.reduce((s, r) => s + r[k]!, 0) / rows.length);
  });
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return query.map((q) => protos.map((p) => (temperature * q.reduce((s, x, k) => s + x * p[k]!, 0)) / (norm(q) * norm(p))));
}

function episode(seed: number, nWay: number, shot: number, queries: number, d: number) {
  const draw = normals(seed);
  const support = Array.from({ length: nWay * shot }, () => draw(d));
  const labels = Array.from({ length: nWay * shot }, (_, i) => i % nWay);
  const query = Array.from({ length: queries }, () => draw(d));
  return { support, labels, query };
}

test('cosine head: registered by name, logits equal the direct computation', async (t) => {
  t.true(listHeads().includes('cosine'));
  await withNoLeaks(t, () => {
    const head = createHead('cosine', { temperature: 5 });
    const e = episode(1, 3, 2, 4, 6);
    const got = tf.tidy(() => head.logits(tf.tensor2d(e.support), tf.tensor1d(e.labels, 'int32'), tf.tensor2d(e.query), 3).arraySync());
    const want = reference(e.support, e.labels, e.query, 3, 5);
    got.forEach((row, q) => row.forEach((v, c) => t.true(Math.abs(v - want[q]![c]!) < 1e-5, `${q},${c}: ${v} vs ${want[q]![c]}`)));
    t.throws(() => createHead('cosine', { temperature: 0 }), { message: /option 'temperature' must be > 0/ });
    t.throws(() => tf.tidy(() => head.logits(tf.tensor2d(e.support), tf.tensor1d(e.labels, 'int32'), tf.tensor2d(e.query), 4)), { message: /class 3 has no support example/ });
    head.dispose();
  });
});

test('cosine head: gradients wrt support and query match finite differences of the reference', async (t) => {
  await withNoLeaks(t, () => {
    const head = createHead('cosine');
    const e = episode(2, 2, 2, 3, 4);
    const weights = normals(9)(3 * 2);
    // A scalar of the logits: sum of logits * fixed weights.
    const f = (s: number[][], q: number[][]) => reference(s, e.labels, q, 2).flat().reduce((acc, v, i) => acc + v * weights[i]!, 0);
    const [gs, gq] = tf.tidy(() => {
      const w = tf.tensor2d(weights, [3, 2]);
      const g = tf.grads((s: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(head.logits(s as tf.Tensor2D, tf.tensor1d(e.labels, 'int32'), q as tf.Tensor2D, 2), w)));
      return g([tf.tensor2d(e.support), tf.tensor2d(e.query)]).map((x) => x.arraySync() as number[][]);
    });
    const h = 1e-6;
    for (const [which, x, g] of [['support', e.support, gs!], ['query', e.query, gq!]] as const) {
      x.forEach((row, i) =>
        row.forEach((_, k) => {
          const plus = x.map((r) => [...r]);
          const minus = x.map((r) => [...r]);
          plus[i]![k]! += h;
          minus[i]![k]! -= h;
          const fd = which === 'support' ? (f(plus, e.query) - f(minus, e.query)) / (2 * h) : (f(e.support, plus) - f(e.support, minus)) / (2 * h);
          t.true(Math.abs(fd - g[i]![k]!) < 1e-3 * Math.max(1, Math.abs(fd)), `${which}[${i}][${k}]: ${g[i]![k]} vs ${fd}`);
        }),
      );
    }
    head.dispose();
  });
});

test('cosine head works with SLA unchanged: lifted logits are the plain head on joint labels, aggregated = mean over copies', async (t) => {
  await withNoLeaks(t, () => {
    const M = 4;
    const lifted = liftHead(createHead('cosine'), M);
    // 3 support samples (one per class) x M copies, row b*M + j = copy j of sample b; 2 queries x M copies.
    const e = { labels: [0, 1, 2], query: episode(3, 1, 1, 2 * M, 5).query };
    const support = episode(4, 3 * M, 1, 0, 5).support;
    const joint = reference(support, Array.from(jointLabelArray(e.labels, M)), e.query, 3 * M);
    const got = tf.tidy(() => {
      const inf = lifted.infer(tf.tensor2d(support), tf.tensor1d(e.labels, 'int32'), tf.tensor2d(e.query), 3);
      return { single: inf.single.arraySync(), aggregated: inf.aggregated.arraySync() };
    });
    for (let q = 0; q < 2; q++) {
      for (let y = 0; y < 3; y++) {
        const mean = Array.from({ length: M }, (_, j) => joint[q * M + j]![y * M + j]!).reduce((s, v) => s + v, 0) / M;
        t.true(Math.abs(got.aggregated[q]![y]! - mean) < 1e-4, `aggregated ${q},${y}`);
        t.true(Math.abs(got.single[q]![y]! - joint[q * M]![y * M]!) < 1e-4, `single ${q},${y}`);
      }
    }
    lifted.dispose();
  });
});

test.serial('cosine head trains with rotation SLA and evaluates through the unchanged trainer and evaluator', async (t) => {
  const { train, val } = await tinySplits();
  await withTempDir(async (dir) => {
    await withNoLeaks(t, async () => {
      const summary = await trainRun({ config: tinyConfig({ head: 'cosine', transform: 'rotation' }), train, outDir: dir });
      t.is(summary.steps, 4);
      const loaded = await loadEvalModel(join(dir, TRAIN_FILES.best), { dataset: 'synthetic' });
      try {
        t.is(loaded.model.head.name, 'cosine');
        const results = await evaluate({ model: loaded.model, split: val, manifest: makeManifest(val, { ways: 3, shots: 1, queries: 2, count: 3, seed: 1 }) });
        t.is(results.model.copies, 4);
        t.is(results.accuracy.aggregated.length, 3);
      } finally {
        loaded.dispose();
      }
    });
  });
});
