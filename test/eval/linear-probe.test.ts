import test from 'ava';
import { createBackbone } from '../../src/backbones/index.js';
import { createSyntheticDataset } from '../../src/data/synthetic.js';
import { chooseImages, linearProbe, probeModel, type ProbeData, type ProbeResult } from '../../src/eval/linear-probe.js';
import { createHead } from '../../src/heads/index.js';
import { getLabelTransform, normalizationFor } from '../../src/transforms/index.js';
import { createRng } from '../../src/util/rng.js';
import { gaussian } from '../solvers/problems.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);

/** `count` points per class around well-separated class means in `dim` dimensions. */
function clusters(seed: number, classes: number, count: number, dim: number, spread: number): ProbeData {
  const rng = createRng(seed);
  const means = Array.from({ length: classes }, (_, c) => Array.from({ length: dim }, (_, t) => (t % classes === c ? 3 : 0) + 10));
  const x = new Float32Array(classes * count * dim);
  const y = new Int32Array(classes * count);
  for (let r = 0; r < classes * count; r++) {
    y[r] = r % classes;
    for (let t = 0; t < dim; t++) x[r * dim + t] = means[y[r]!]![t]! + spread * gaussian(rng);
  }
  return { x, y, dim };
}

/** The probe's objective recomputed in Float64 from its returned weights. */
function objectiveOf(p: ProbeResult, data: ProbeData, lambda: number): number {
  const { dim } = data;
  const C = p.classes;
  let ce = 0;
  for (let r = 0; r < data.y.length; r++) {
    const z = Array.from({ length: C }, (_, c) => {
      let s = p.bias[c]!;
      for (let t = 0; t < dim; t++) s += ((data.x[r * dim + t]! - p.mean[t]!) / p.std[t]!) * p.weights[t * C + c]!;
      return s;
    });
    const max = Math.max(...z);
    ce += max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0)) - z[data.y[r]!]!;
  }
  return ce / data.y.length + (lambda / 2) * p.weights.reduce((s, v) => s + v * v, 0);
}

test('the probe reads separable classes, not shuffled labels, and reports its own objective', async (t) => {
  await withNoLeaks(t, () => {
    const train = clusters(1, 3, 40, 6, 1);
    const testSet = clusters(2, 3, 40, 6, 1);
    const fit = linearProbe(train, testSet, 3, { steps: 200 });
    t.true(fit.testAccuracy > 0.9, `separable: ${fit.testAccuracy}`);
    t.true(Math.abs(fit.objective - objectiveOf(fit, train, 1e-4)) < 1e-4, `objective ${fit.objective} vs ${objectiveOf(fit, train, 1e-4)}`);
    const rng = createRng(3);
    const shuffled = { ...train, y: train.y.map(() => Math.floor(rng() * 3)) };
    const blind = linearProbe(shuffled, testSet, 3, { steps: 200 });
    t.true(blind.testAccuracy < 0.6, `shuffled labels: ${blind.testAccuracy}`);
    t.is(fit.trainCount, 120);
    t.is(fit.testCount, 120);
  });
});

test('chooseImages: seeded, distinct, capped at the class size', (t) => {
  const a = chooseImages([10, 3], 5, 7);
  t.deepEqual(a, chooseImages([10, 3], 5, 7));
  t.is(a[0]!.length, 5);
  t.is(new Set(a[0]).size, 5);
  t.deepEqual([...a[1]!].sort(), [0, 1, 2]);
});

test('probeModel on a tiny synthetic model: both probes, plain (rotation probed) and SLA, deterministic', async (t) => {
  const data = createSyntheticDataset({ classes: { train: 4, val: 2, test: 3 }, imagesPerClass: 8, size: 16 });
  const base = await data.load('train', { dataDir: '' });
  const novel = await data.load('test', { dataDir: '' });
  await withNoLeaks(t, async () => {
    const backbone = createBackbone({ name: 'conv4', channels: 4, seed: 1 });
    const head = createHead('protonet');
    try {
      for (const transform of ['none', 'rotation'] as const) {
        const model = { backbone, head, transform: getLabelTransform(transform), normalization: normalizationFor('synthetic') };
        const options = { imagesPerClass: 6, steps: 50 };
        const report = await probeModel(model, base, novel, options);
        t.is(report.transform, 'rotation');
        t.is(report.copies, 4);
        t.is(report.transformation.trainCount, 4 * 6 * 4);
        t.is(report.transformation.testCount, 3 * 6 * 4);
        t.is(report.class.trainCount, 3 * 3);
        t.is(report.class.testCount, 3 * 3);
        for (const r of [report.transformation, report.class]) t.true(r.testAccuracy >= 0 && r.testAccuracy <= 1 && Number.isFinite(r.objective));
        const again = await probeModel(model, base, novel, options);
        t.is(again.transformation.testAccuracy, report.transformation.testAccuracy);
        t.is(again.class.testAccuracy, report.class.testAccuracy);
      }
    } finally {
      backbone.dispose();
      head.dispose();
    }
  });
});
