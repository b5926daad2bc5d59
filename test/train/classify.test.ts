import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClassificationData, LabelledImages } from '../../src/data/classification-types.js';
import { UsageError } from '../../src/errors.js';
import { checkInferences, classifierLogits, ensembleLogits, scoreInferences } from '../../src/eval/classify.js';
import { tf } from '../../src/tf.js';
import { createClassifiers } from '../../src/objectives/classifier.js';
import { createBatchSchedule } from '../../src/train/batches.js';
import { TRAIN_FILES, disposeLoadedModel, loadModel, trainRun, type TrainConfig } from '../../src/train/index.js';
import { createRng } from '../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { tinyConfig, withTempDir } from './fixtures.js';

test.before(useCpuBackend);

/** Labelled 16x16 colour patches with seeded noise: `classes` classes, `perClass` images each. */
function patches(classes: number, perClass: number, seed: string): LabelledImages {
  const size = 16 * 16 * 3;
  const rng = createRng(seed);
  const pixels = new Uint8Array(classes * perClass * size);
  const labels = new Int32Array(classes * perClass);
  for (let c = 0; c < classes; c++) {
    const base = [(c * 97) % 256, (c * 53 + 80) % 256, (c * 31 + 160) % 256];
    for (let i = 0; i < perClass; i++) {
      const n = c * perClass + i;
      labels[n] = c;
      // a bright top-left quadrant makes the rotation recognisable
      for (let p = 0; p < size; p++) {
        const y = Math.floor(p / 48);
        const x = Math.floor((p % 48) / 3);
        pixels[n * size + p] = Math.min(255, base[p % 3]! + Math.floor(rng() * 40) + (y < 8 && x < 8 ? 60 : 0));
      }
    }
  }
  return { height: 16, width: 16, channels: 3, labels, image: (i) => pixels.subarray(i * size, (i + 1) * size) };
}

function toyData(withVal = false): ClassificationData {
  return {
    dataset: 'synthetic',
    classes: ['a', 'b', 'c', 'd'],
    train: patches(4, 12, 'train'),
    test: patches(4, 5, 'test'),
    ...(withVal ? { val: patches(4, 3, 'val') } : {}),
    description: 'toy colour patches',
    testHash: 'toy',
  };
}

function classifyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return tinyConfig({
    task: 'classify',
    objective: 'baseline',
    batchSize: 8,
    batchesPerEpoch: 3,
    epochs: 2,
    augmentation: { cropPadding: 2, horizontalFlip: true },
    weightDecay: 1e-4,
    nesterov: false,
    checkpointEvery: 100,
    ...overrides,
  });
}

async function fingerprint(dir: string): Promise<Record<string, unknown>> {
  const model = await loadModel(join(dir, TRAIN_FILES.last));
  try {
    const out: Record<string, unknown> = {};
    for (const [n, v] of Object.entries(model.backbone.trainable)) out[`w/${n}`] = Array.from(v.dataSync());
    for (const [n, v] of Object.entries(model.backbone.state)) out[`bn/${n}`] = Array.from(v.dataSync());
    for (const [n, v] of Object.entries(model.wholeClass!.classifiers.variables)) out[n] = Array.from(v.dataSync());
    for (const [n, v] of Object.entries(model.optimizer)) out[`opt/${n}`] = v instanceof tf.Tensor ? Array.from(v.dataSync()) : v;
    for (const [n, v] of Object.entries(model.extra)) out[`extra/${n}`] = v;
    return out;
  } finally {
    disposeLoadedModel(model);
  }
}

test.serial('a resumed sla+sd run ends with exactly the weights, classifiers, moments and RNG states of an uninterrupted one', async (t) => {
  const data = toyData(true);
  const config = classifyConfig({ objective: 'sla+sd', transform: 'rotation', temperature: 2 });
  await withTempDir(async (root) => {
    const whole = join(root, 'whole');
    const parts = join(root, 'parts');
    const full = await trainRun({ config, data, outDir: whole });
    t.is(full.steps, 6);
    const controller = new AbortController();
    const first = await trainRun({ config, data, outDir: parts, signal: controller.signal, onStep: (s) => s === 2 && controller.abort() });
    t.is(first.steps, 2);
    const rest = await trainRun({ config, data, outDir: parts, resume: true });
    t.is(rest.steps, 6);
    t.deepEqual(await fingerprint(parts), await fingerprint(whole));
    const log = (await readFile(join(parts, TRAIN_FILES.log), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    t.is(log.filter((r) => r.event === 'validation').length, 2, 'validated on the held-out val set after each epoch');
    const best = await loadModel(join(whole, TRAIN_FILES.best));
    try {
      t.is(best.wholeClass!.objective, 'sla+sd');
      t.deepEqual(best.wholeClass!.classifiers.sizes, { joint: 16, single: 4 });
      t.deepEqual(checkInferences(best), ['single', 'aggregated', 'sd']);
    } finally {
      disposeLoadedModel(best);
    }
  });
});

test.serial('the tensor count is the same before and after 100 whole-class steps (sla, two passes per step)', async (t) => {
  const data = toyData();
  const config = classifyConfig({ objective: 'sla', transform: 'rotation', backboneOptions: { channels: 1 }, batchSize: 4, microBatch: 8, batchesPerEpoch: 100, epochs: 1 });
  await withTempDir(async (dir) => {
    const counts: number[] = [];
    const summary = await withNoLeaks(t, () => trainRun({ config, data, outDir: dir, onStep: () => counts.push(tf.memory().numTensors) }));
    t.is(summary.microBatch, 8);
    t.is(counts.length, 100);
    t.is(new Set(counts).size, 1, 'live tensors constant from step to step');
  });
});

test.serial('the baseline loss goes down and its test accuracy beats chance on separable patches', async (t) => {
  const data = toyData();
  const config = classifyConfig({ augmentation: 'none', batchesPerEpoch: 30, epochs: 1, lrSchedule: [{ epoch: 1, lr: 0.05 }] });
  await withTempDir(async (dir) => {
    await trainRun({ config, data, outDir: dir });
    const steps = (await readFile(join(dir, TRAIN_FILES.log), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.event === 'step');
    const mean = (rows: { loss: number }[]) => rows.reduce((s, r) => s + r.loss, 0) / rows.length;
    t.true(mean(steps.slice(-5)) < 0.5 * mean(steps.slice(0, 5)));
    const model = await loadModel(join(dir, TRAIN_FILES.best));
    try {
      await withNoLeaks(t, () => {
        const logits = classifierLogits(model, data.test, { inferences: ['single', 'ten-crop'], batchSize: 7 });
        const scored = scoreInferences(logits.logits, logits.labels, logits.classes);
        t.true(scored.single!.accuracy > 50, `single ${scored.single!.accuracy}%`);
        t.true(scored['ten-crop']!.accuracy > 50, `ten-crop ${scored['ten-crop']!.accuracy}%`);
        t.is(logits.tenCropPadding, 2);
      });
    } finally {
      disposeLoadedModel(model);
    }
  });
});

test.serial('bad combinations are refused with one line before any work', async (t) => {
  const data = toyData();
  const cases: [Partial<TrainConfig>, RegExp][] = [
    [{ objective: 'mt' }, /objective 'mt' needs a transformation set with M > 1 copies: add --transform rotation/],
    [{ objective: 'baseline', transform: 'rotation' }, /objective 'baseline' trains on the original images only: drop --transform rotation/],
    [{ objective: 'nope' }, /unknown objective 'nope'/],
    [{ batchSize: 1000 }, /batchSize 1000 is larger than the training set \(48 images\)/],
    [{ objective: 'sla', transform: 'rotation', classifierLrScale: { transformation: 0.1 } }, /classifierLrScale names 'transformation', which objective 'sla' does not have \(its classifiers: joint\)/],
  ];
  await withTempDir(async (dir) => {
    for (const [overrides, message] of cases) {
      const error = await t.throwsAsync(trainRun({ config: classifyConfig(overrides), data, outDir: join(dir, 'x') }), { instanceOf: UsageError });
      t.regex(error!.message, message);
      t.false(error!.message.includes('\n'));
    }
  });
});

test.serial('classifierLrScale: mt\'s transformation head at a tiny rate barely moves while the class head trains as before', async (t) => {
  const data = toyData();
  await withTempDir(async (dir) => {
    const moved: Record<string, number> = {};
    for (const [name, scale] of [['plain', undefined], ['slow', 1e-6]] as const) {
      const config = classifyConfig({ objective: 'mt', transform: 'rotation', epochs: 1, ...(scale ? { classifierLrScale: { transformation: scale } } : {}) });
      await trainRun({ config, data, outDir: join(dir, name) });
      const model = await loadModel(join(dir, name, TRAIN_FILES.last));
      // the trainer's seeded initialisation of the classifiers, made again
      const { classifiers } = model.wholeClass!;
      const dim = classifiers.variables['classifier/class/kernel']!.shape[0]!;
      const fresh = createClassifiers(classifiers.sizes, dim, createRng(`${config.seed}:classifiers`));
      try {
        for (const head of ['transformation', 'class']) {
          const key = `classifier/${head}/kernel`;
          moved[`${name}/${head}`] = tf.tidy(() => classifiers.variables[key]!.sub(fresh.variables[key]!).abs().max().dataSync()[0]!);
        }
      } finally {
        fresh.dispose();
        disposeLoadedModel(model);
      }
    }
    t.true(moved['plain/transformation']! > 1e-3, `plain transformation head moved ${moved['plain/transformation']}`);
    t.true(moved['slow/transformation']! < 1e-6 * 100 * moved['plain/transformation']!, `slow transformation head moved ${moved['slow/transformation']}`);
    t.true(moved['slow/class']! > 1e-3, `class head still trains: ${moved['slow/class']}`);
  });
});

test.serial('sd and aggregated inference are refused on models without their classifiers', async (t) => {
  const data = toyData();
  await withTempDir(async (dir) => {
    await trainRun({ config: classifyConfig({ objective: 'sla', transform: 'rotation', batchesPerEpoch: 1, epochs: 1 }), data, outDir: join(dir, 'sla') });
    await trainRun({ config: classifyConfig({ batchesPerEpoch: 1, epochs: 1 }), data, outDir: join(dir, 'base') });
    const sla = await loadModel(join(dir, 'sla', TRAIN_FILES.best));
    const base = await loadModel(join(dir, 'base', TRAIN_FILES.best));
    try {
      t.throws(() => checkInferences(sla, ['sd']), { message: /inference 'sd' is not offered by this sla model \(`sd` needs a model trained with objective sla\+sd\)/ });
      t.throws(() => checkInferences(base, ['aggregated']), { message: /`aggregated` needs a joint classifier/ });
      t.deepEqual(checkInferences(base), ['single']);
    } finally {
      disposeLoadedModel(sla);
      disposeLoadedModel(base);
    }
  });
});

test('the batch schedule is a seeded permutation per pass, identical for the same seed', (t) => {
  const a = createBatchSchedule(10, 3, 7);
  const b = createBatchSchedule(10, 3, 7);
  const pass = [0, 1, 2].flatMap((s) => a(s));
  t.is(new Set(pass).size, 9, 'no image twice within a pass (the last partial batch is dropped)');
  t.deepEqual([0, 1, 2, 3, 4, 5].map((s) => b(s)), [0, 1, 2, 3, 4, 5].map((s) => a(s)));
  t.notDeepEqual(a(3), a(0));
  t.notDeepEqual(createBatchSchedule(10, 3, 8)(0), a(0));
  t.throws(() => createBatchSchedule(2, 3, 0), { message: /batchSize 3 is larger than the training set \(2 images\)/ });
});

test('an ensemble averages softmax probabilities', (t) => {
  const a = Float32Array.from([2, 0, 0, 0]); // two images, two classes
  const b = Float32Array.from([0, 1, 0, 5]);
  const p = ensembleLogits([a, b], 2);
  const s = (x: number, y: number) => Math.exp(x) / (Math.exp(x) + Math.exp(y));
  t.true(Math.abs(p[0]! - (s(2, 0) + s(0, 1)) / 2) < 1e-6);
  t.true(Math.abs(p[3]! - (0.5 + s(5, 0)) / 2) < 1e-6);
  const scored = scoreInferences({ e: p }, Int32Array.from([0, 1]), 2);
  t.is(scored.e!.accuracy, 100);
});
