import test from 'ava';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../../src/tf.js';
import { UsageError } from '../../src/errors.js';
import { noteWasmOutput, unwatchWasmModule, watchWasmModule, WasmHeapError } from '../../src/backend/wasm/heap.js';
import {
  TRAIN_FILES,
  TrainingDivergedError,
  disposeLoadedModel,
  loadModel,
  trainRun,
  type LoadedModel,
} from '../../src/train/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { colourSplit, tinyConfig, tinySplits, withTempDir } from './fixtures.js';

test.before(useCpuBackend);

/** Every number of a saved run: weights, BN state, head variables, optimizer moments, RNG states. */
function fingerprint(model: LoadedModel): Record<string, number[] | unknown> {
  const out: Record<string, number[] | unknown> = {};
  for (const [n, v] of Object.entries(model.backbone.trainable)) out[`w/${n}`] = Array.from(v.dataSync());
  for (const [n, v] of Object.entries(model.backbone.state)) out[`bn/${n}`] = Array.from(v.dataSync());
  model.head.variables.forEach((v, i) => (out[`head/${i}`] = Array.from(v.dataSync())));
  for (const [n, v] of Object.entries(model.optimizer)) out[`opt/${n}`] = v instanceof tf.Tensor ? Array.from(v.dataSync()) : v;
  for (const [n, v] of Object.entries(model.extra)) out[`extra/${n}`] = v;
  out.trainingCalls = model.backbone.trainingCalls;
  out.dropoutRng = model.backbone.rng.state();
  return out;
}

async function savedRun(dir: string): Promise<Record<string, unknown>> {
  const model = await loadModel(join(dir, TRAIN_FILES.last));
  try {
    return fingerprint(model);
  } finally {
    disposeLoadedModel(model);
  }
}

test.serial('a resumed run ends with exactly the weights, moments and RNG states of an uninterrupted one', async (t) => {
  const { train, val } = await tinySplits();
  // ResNet-12 (dropout + DropBlock use the backbone's RNG), rotation copies, recipe augmentation, and a
  // micro-batch small enough that every episode is split (two-pass path).
  const config = tinyConfig({
    backbone: 'resnet12',
    backboneOptions: { widths: 2, dropBlockRampCalls: 4 },
    transform: 'rotation',
    ways: 2,
    shots: 1,
    queries: 1,
    episodesPerBatch: 1,
    microBatch: 8,
    checkpointEvery: 100,
    validation: { episodes: 2, ways: 2, shots: 1, queries: 1 },
  });
  await withTempDir(async (root) => {
    await withNoLeaks(t, async () => {
      const whole = join(root, 'whole');
      const parts = join(root, 'parts');
      const full = await trainRun({ config, train, val, outDir: whole });
      t.is(full.steps, 4);
      t.false(full.stopped);
      const controller = new AbortController();
      const first = await trainRun({ config, train, val, outDir: parts, signal: controller.signal, onStep: (s) => s === 1 && controller.abort() });
      t.true(first.stopped);
      t.is(first.steps, 1);
      const rest = await trainRun({ config, train, val, outDir: parts, resume: true });
      t.is(rest.steps, 4);
      t.deepEqual(await savedRun(parts), await savedRun(whole));
      const log = (await readFile(join(parts, TRAIN_FILES.log), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      t.deepEqual(log.filter((r) => r.event === 'step').map((r) => r.step), [1, 2, 3, 4]);
      t.is(log.filter((r) => r.event === 'validation').length, 2);
      t.deepEqual((await readdir(parts)).sort(), Object.values(TRAIN_FILES).sort());
    });
  });
});

test.serial('the loss goes down on a toy problem', async (t) => {
  const train = colourSplit();
  const config = tinyConfig({
    backboneOptions: { channels: 4 },
    augmentation: 'none',
    ways: 3,
    shots: 1,
    queries: 2,
    episodesPerBatch: 1,
    batchesPerEpoch: 16,
    epochs: 1,
    lrSchedule: [{ epoch: 1, lr: 0.1 }],
    checkpointEvery: 1000,
  });
  await withTempDir(async (dir) => {
    await trainRun({ config, train, outDir: dir });
    const steps = (await readFile(join(dir, TRAIN_FILES.log), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.event === 'step');
    const mean = (rows: { loss: number }[]) => rows.reduce((s, r) => s + r.loss, 0) / rows.length;
    const early = mean(steps.slice(0, 4));
    const late = mean(steps.slice(-4));
    t.true(late < 0.5 * early, `mean loss of the first 4 steps ${early.toFixed(3)}, of the last 4 ${late.toFixed(3)}`);
  });
});

test.serial('the tensor count is the same before and after 100 training steps', async (t) => {
  const { train } = await tinySplits();
  const config = tinyConfig({
    backboneOptions: { channels: 1 },
    episodesPerBatch: 2,
    batchesPerEpoch: 100,
    epochs: 1,
    ways: 2,
    shots: 1,
    queries: 1,
    microBatch: 4, // support-query groups of 4 images: two passes per step, each replayed
    augmentation: 'none',
    checkpointEvery: 1000,
  });
  await withTempDir(async (dir) => {
    const counts: number[] = [];
    await withNoLeaks(t, () => trainRun({ config, train, outDir: dir, onStep: () => counts.push(tf.memory().numTensors) }));
    t.is(counts.length, 100);
    t.is(new Set(counts).size, 1, 'live tensors constant from step to step');
  });
});

test.serial('a non-finite loss stops with a one-line error and keeps the last good checkpoint', async (t) => {
  const { train } = await tinySplits();
  const config = tinyConfig({ lrSchedule: [{ epoch: 1, lr: 0.05 }, { epoch: 2, lr: 1e30 }], checkpointEvery: 1 });
  await withTempDir(async (dir) => {
    await withNoLeaks(t, async () => {
      const error = await t.throwsAsync(trainRun({ config, train, outDir: dir }), { instanceOf: TrainingDivergedError });
      t.regex(error!.message, /diverged at step \d+ .*last good checkpoint is .*last\.jsm/);
      t.false(error!.message.includes('\n'));
      const saved = await loadModel(join(dir, TRAIN_FILES.last));
      try {
        const step = saved.extra['train/step'] as number;
        t.true(step >= 2, `checkpoint of step ${step}`);
        for (const v of saved.backbone.variables) t.true(Array.from(v.dataSync()).every(Number.isFinite));
      } finally {
        disposeLoadedModel(saved);
      }
    });
  });
});

test.serial('bad combinations fail before training with one-line usage errors', async (t) => {
  const { train, val } = await tinySplits();
  const cases: [string, Parameters<typeof tinyConfig>[0], RegExp][] = [
    ['svm with one way', { head: 'svm', ways: 1 }, /svm.*at least 2 ways/],
    ['shots + queries larger than a class', { shots: 10, queries: 5 }, /15 images per class/],
    ['unknown head', { head: 'knn' }, /unknown head 'knn'/],
    ['unknown transform', { transform: 'spin' }, /unknown transformation set 'spin'/],
    ['unknown backbone', { backbone: 'vgg' }, /unknown backbone 'vgg'/],
    ['more ways than classes', { ways: 7 }, /7-way episodes need 7 classes/],
    ['images at another size than imageSize', { imageSize: 32 }, /holds 16x16 images but the config asks for imageSize 32: prepare it with --size 32/],
  ];
  await withTempDir(async (dir) => {
    for (const [name, overrides, pattern] of cases) {
      const error = await t.throwsAsync(trainRun({ config: tinyConfig(overrides), train, val, outDir: dir }), { instanceOf: UsageError }, name);
      t.regex(error!.message, pattern, name);
    }
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const notDir = await t.throwsAsync(trainRun({ config: tinyConfig(), train, outDir: join(file, 'out') }), { instanceOf: UsageError });
    t.regex(notDir!.message, /cannot be created or written/);
    const noVal = await t.throwsAsync(trainRun({ config: tinyConfig({ validation: { episodes: 3, ways: 3, shots: 1, queries: 2 } }), train, outDir: dir }));
    t.regex(noVal!.message, /validation needs the val split/);
  });
});

test.serial('a finished run refuses a second start and a changed config on resume', async (t) => {
  const { train } = await tinySplits();
  const config = tinyConfig({ epochs: 1, batchesPerEpoch: 1 });
  await withTempDir(async (dir) => {
    await trainRun({ config, train, outDir: dir });
    await t.throwsAsync(trainRun({ config, train, outDir: dir }), { instanceOf: UsageError, message: /already holds a training run.*--resume/ });
    await t.throwsAsync(trainRun({ config: { ...config, shots: 1 }, train, outDir: dir, resume: true }), {
      instanceOf: UsageError,
      message: /different shots/,
    });
    const again = await trainRun({ config, train, outDir: dir, resume: true });
    t.is(again.steps, 1, 'resuming a finished run does nothing more');
  });
});

test.serial('a wasm heap failure reported during a run stops it with a one-line error and keeps the last good checkpoint', async (t) => {
  const { train } = await tinySplits();
  const config = tinyConfig({ checkpointEvery: 1 });
  // A stand-in wasm module so that the heap guard is active on the cpu backend.
  const fake = { _malloc: () => 8, _free: () => {}, HEAPU8: new Uint8Array(64) };
  watchWasmModule(fake as never);
  try {
    await withTempDir(async (dir) => {
      await withNoLeaks(t, async () => {
        const error = await t.throwsAsync(
          trainRun({ config, train, outDir: dir, onStep: (s) => s === 1 && noteWasmOutput('XNN status for conv2d is not successful. Got status 6') }),
          { instanceOf: WasmHeapError },
        );
        t.regex(error!.message, /status 6 \(out of memory\)/);
        const saved = await loadModel(join(dir, TRAIN_FILES.last));
        t.is(saved.extra['train/step'], 1, 'the checkpoint of the last good step is kept');
        disposeLoadedModel(saved);
      });
    });
  } finally {
    unwatchWasmModule(fake as never);
  }
});
