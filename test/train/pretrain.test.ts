import test from 'ava';
import { join } from 'node:path';
import { loadClassificationData } from '../../src/data/classification.js';
import { registerDataset } from '../../src/data/registry.js';
import { createSyntheticDataset } from '../../src/data/synthetic.js';
import { makeManifest } from '../../src/episodes/manifest.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { loadEvalModel } from '../../src/eval/load-model.js';
import { summarizeAccuracies } from '../../src/eval/report.js';
import { UsageError } from '../../src/errors.js';
import { classificationOptionsOf, disposeLoadedModel, loadModel, TRAIN_FILES, trainRun } from '../../src/train/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { tinyConfig, withTempDir } from './fixtures.js';

test.before(async () => {
  await useCpuBackend();
  // A tiny `pretrain-toy` dataset: 6 base, 5 val, 5 novel classes of 12 16x16 glyphs.
  registerDataset(createSyntheticDataset({ name: 'pretrain-toy', classes: { train: 6, val: 5, test: 5 }, imagesPerClass: 12, size: 16 }));
});

const pretrainConfig = (objective: string, transform: string) =>
  tinyConfig({
    dataset: 'pretrain-toy',
    task: 'classify',
    classSplits: ['train'],
    testPerClass: 2,
    objective,
    transform,
    batchSize: 8,
    batchesPerEpoch: 3,
    epochs: 1,
    augmentation: 'none',
  });

test.serial('pretrain on the base classes, then evaluate on novel-class episodes with every head, plain and lifted', async (t) => {
  await withTempDir(async (dir) => {
    const config = pretrainConfig('sla', 'rotation');
    const data = await loadClassificationData('pretrain-toy', classificationOptionsOf(config, ''));
    t.is(data.classes.length, 6, 'only the base (train-split) classes');
    t.is(data.train.labels.length, 6 * 10);
    await trainRun({ config, data, outDir: dir });
    const novel = await createSyntheticDataset({ name: 'pretrain-toy', classes: { train: 6, val: 5, test: 5 }, imagesPerClass: 12, size: 16 }).load('test', { dataDir: '' });
    const manifest = makeManifest(novel, { ways: 3, shots: 1, queries: 2, count: 4, seed: 5 });
    for (const head of ['protonet', 'ridge', 'svm']) {
      for (const transform of ['none', 'rotation']) {
        await withNoLeaks(t, async () => {
          const loaded = await loadEvalModel(join(dir, TRAIN_FILES.best), { head, transform, dataset: 'pretrain-toy' });
          try {
            t.is(loaded.model.head.name, head);
            t.is(loaded.model.transform.name, transform);
            const results = await evaluate({ model: loaded.model, split: novel, manifest });
            const single = summarizeAccuracies(results.accuracy.single);
            const aggregated = summarizeAccuracies(results.accuracy.aggregated);
            t.true(single.mean >= 0 && single.mean <= 100 && aggregated.mean >= 0 && aggregated.mean <= 100, `${head}/${transform}`);
            t.is(results.count, 4);
          } finally {
            loaded.dispose();
          }
        });
      }
    }
  });
});

test.serial('train --init starts episodic training from the pretrained backbone', async (t) => {
  await withTempDir(async (dir) => {
    const pre = join(dir, 'pre');
    const config = pretrainConfig('baseline', 'none');
    const data = await loadClassificationData('pretrain-toy', classificationOptionsOf(config, ''));
    await trainRun({ config, data, outDir: pre });
    const train = await createSyntheticDataset({ name: 'pretrain-toy', classes: { train: 6, val: 5, test: 5 }, imagesPerClass: 12, size: 16 }).load('train', { dataDir: '' });
    // lr 0 and no weight decay: the fine-tuned weights must be exactly the pretrained ones
    const fine = tinyConfig({ dataset: 'pretrain-toy', init: join(pre, TRAIN_FILES.best), lrSchedule: [{ epoch: 1, lr: 0 }], weightDecay: 0, epochs: 1, batchesPerEpoch: 1 });
    await trainRun({ config: fine, train, outDir: join(dir, 'fine') });
    const a = await loadModel(join(pre, TRAIN_FILES.best));
    const b = await loadModel(join(dir, 'fine', TRAIN_FILES.best));
    try {
      for (const [name, v] of Object.entries(a.backbone.trainable)) t.deepEqual(Array.from(b.backbone.trainable[name]!.dataSync()), Array.from(v.dataSync()), name);
      t.is(b.wholeClass, undefined, 'the fine-tuned model is episodic');
    } finally {
      disposeLoadedModel(a);
      disposeLoadedModel(b);
    }
    const wrong = tinyConfig({ dataset: 'pretrain-toy', backbone: 'resnet12', init: join(pre, TRAIN_FILES.best) });
    const error = await t.throwsAsync(trainRun({ config: wrong, train, outDir: join(dir, 'wrong') }), { instanceOf: UsageError });
    t.regex(error!.message, /--init .* holds a conv4 backbone but the run trains resnet12: pass --backbone conv4/);
    const missing = tinyConfig({ dataset: 'pretrain-toy', init: join(dir, 'nope.jsm') });
    await t.throwsAsync(trainRun({ config: missing, train, outDir: join(dir, 'missing') }), { instanceOf: UsageError, message: /--init: no model file/ });
  });
});
