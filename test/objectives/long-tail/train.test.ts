import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClassificationData, LabelledImages } from '../../../src/data/classification-types.js';
import { classifierLogits, scoreInferences } from '../../../src/eval/classify.js';
import { evaluateWholeClass } from '../../../src/eval/classify-run.js';
import { renderClassificationReport } from '../../../src/eval/classify-results.js';
import { tf } from '../../../src/tf.js';
import { TRAIN_FILES, disposeLoadedModel, loadModel, trainRun, type TrainConfig } from '../../../src/train/index.js';
import { createRng } from '../../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../../helpers/tf.js';
import { tinyConfig, withTempDir } from '../../train/fixtures.js';

test.before(useCpuBackend);

/** 16x16 images: class c a flat colour (c * 60 in one channel) plus seeded noise; `counts[c]` images of class c. */
function flatColours(counts: readonly number[], seed: string): LabelledImages {
  const size = 16 * 16 * 3;
  const total = counts.reduce((s, n) => s + n, 0);
  const rng = createRng(seed);
  const pixels = new Uint8Array(total * size);
  const labels = new Int32Array(total);
  let i = 0;
  counts.forEach((n, c) => {
    for (let k = 0; k < n; k++, i++) {
      labels[i] = c;
      for (let p = 0; p < size; p++) pixels[i * size + p] = Math.floor(rng() * 50) + (p % 3 === c % 3 ? 40 + 50 * c : 0);
    }
  });
  return { height: 16, width: 16, channels: 3, labels, image: (j) => pixels.subarray(j * size, (j + 1) * size) };
}

const data: ClassificationData = {
  dataset: 'synthetic',
  classes: ['a', 'b', 'c', 'd'],
  train: flatColours([16, 8, 4, 2], 'lt-train'),
  test: flatColours([3, 3, 3, 3], 'lt-test'),
  description: 'toy long-tailed colours',
  testHash: 'toy-lt',
};

const config = (overrides: Partial<TrainConfig>): TrainConfig =>
  tinyConfig({
    task: 'classify',
    batchSize: 6,
    batchesPerEpoch: 3,
    epochs: 2,
    lrSchedule: [{ epoch: 1, lr: 0.05 }, { epoch: 2, lr: 0.005 }],
    augmentation: 'none',
    logEvery: 1,
    checkpointEvery: 100,
    ...overrides,
  });

const losses = async (dir: string): Promise<number[]> =>
  (await readFile(join(dir, TRAIN_FILES.log), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.event === 'step').map((r) => r.loss as number);

const runs: [string, Partial<TrainConfig>, number | null][] = [
  ['CB-RW', { loss: 'cb' }, null],
  ['LDAM-DRW', { loss: 'ldam', drw: true }, 30],
  ['CB-RW + SDA+SD', { loss: 'cb', objective: 'sla+sd', transform: 'rotation' }, null],
  ['LDAM-DRW + SDA+SD', { loss: 'ldam', drw: true, objective: 'sla+sd', transform: 'rotation', ldamScale: 10 }, 10],
];

for (const [name, overrides, scale] of runs) {
  test.serial(`${name}: a tiny run trains, keeps the tensor count, saves its classifier kind, and evaluates`, async (t) => {
    await withTempDir(async (dir) => {
      await withNoLeaks(t, () => trainRun({ config: config(overrides), data, outDir: dir }));
      const values = await losses(dir);
      t.is(values.length, 6);
      t.true(values.every(Number.isFinite), `${values}`);
      const model = await loadModel(join(dir, TRAIN_FILES.best));
      try {
        t.is(model.wholeClass!.classifiers.cosineScale, scale);
        t.is(Object.keys(model.wholeClass!.classifiers.variables).some((n) => n.endsWith('/bias')), scale === null);
        await withNoLeaks(t, () => {
          const logits = classifierLogits(model, data.test);
          const scored = scoreInferences(logits.logits, logits.labels, logits.classes);
          t.true(Object.values(scored).every((r) => r.accuracy >= 0 && r.accuracy <= 100));
          if (scale !== null) t.true(Array.from(logits.logits.single!).every((v) => Math.abs(v) <= scale + 1e-3), 'cosine logits within +-s');
        });
      } finally {
        disposeLoadedModel(model);
      }
    });
  });
}

test.serial('DRW: a CB-DRW run matches the plain-CE run step for step until the first lr decay (step 4), then differs', async (t) => {
  await withTempDir(async (root) => {
    await trainRun({ config: config({ loss: 'ce' }), data, outDir: join(root, 'ce') });
    await trainRun({ config: config({ loss: 'cb', drw: true }), data, outDir: join(root, 'drw') });
    const plain = await losses(join(root, 'ce'));
    const drw = await losses(join(root, 'drw'));
    t.deepEqual(drw.slice(0, 3), plain.slice(0, 3), 'steps 1-3: plain weights, identical numbers');
    t.not(drw[3], plain[3], 'step 4 (epoch 2, the lr decay): class-balanced weights');
  });
});

test('bad long-tail settings are refused with one line before any work', async (t) => {
  await withTempDir(async (dir) => {
    await t.throwsAsync(trainRun({ config: config({ loss: 'cb', drw: true, lrSchedule: [{ epoch: 1, lr: 0.1 }] }), data, outDir: dir }), { message: /never decays, so set drwEpoch/ });
    t.throws(() => config({ loss: 'ce', drw: true }), { message: /--drw defers the class-balanced weights/ });
    t.throws(() => config({ imbalance: 0.5 }), { message: /imbalance must be a number >= 1/ });
  });
});

test('long-tail keys are refused on episodic runs', (t) => {
  t.throws(() => tinyConfig({ loss: 'cb' }), { message: /--loss and --imbalance apply to whole-class training/ });
  t.throws(() => tinyConfig({ imbalance: 100 }), { message: /add --task classify/ });
});

test.serial('eval-class results carry per-class accuracy by frequency group of the training set the model saw', async (t) => {
  await withTempDir(async (dir) => {
    await trainRun({ config: config({ loss: 'ldam', drw: true, epochs: 2, batchesPerEpoch: 1 }), data, outDir: dir });
    const { results } = await withNoLeaks(t, () => evaluateWholeClass([join(dir, TRAIN_FILES.best)], { dataDir: '', data }));
    const f = results.frequency!;
    t.deepEqual(f.trainCounts, [16, 8, 4, 2]);
    // n_max 16 < 500: thresholds scaled by 16/500 -> many > 3.2, few < 0.64
    t.deepEqual(f.classes, { many: 3, medium: 1, few: 0 });
    const single = results.inferences.single!;
    const perClass = [0, 1, 2, 3].map((c) => {
      const rows = Array.from(data.test.labels.keys()).filter((i) => data.test.labels[i] === c);
      return (100 * rows.reduce((s, i) => s + single.correct[i]!, 0)) / rows.length;
    });
    t.true(Math.abs(f.accuracy.single!.many! - (perClass[0]! + perClass[1]! + perClass[2]!) / 3) < 1e-9);
    t.is(f.accuracy.single!.medium, perClass[3]!);
    t.is(f.accuracy.single!.few, null);
    t.regex(renderClassificationReport(results), /\| single \| [\d.]+ \| [\d.]+ \| - \|/);
  });
});
