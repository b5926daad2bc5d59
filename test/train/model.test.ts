import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.js';
import { createBackbone, saveCheckpoint } from '../../src/backbones/index.js';
import { createHead } from '../../src/heads/index.js';
import { getLabelTransform, normalizationFor } from '../../src/transforms/index.js';
import { DataError, UsageError } from '../../src/errors.js';
import { disposeLoadedModel, loadModel, saveModel, type TrainedModel } from '../../src/train/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'jointshot-model-'));
}

function tinyModel(): TrainedModel {
  const backbone = createBackbone({ name: 'conv4', channels: [3, 4, 5, 6], seed: 5 });
  const head = createHead('ridge', { lambda: 7 });
  tf.tidy(() => head.variables[0]!.assign(tf.scalar(2.5)));
  return {
    backbone,
    head,
    headName: 'ridge',
    headOptions: { lambda: 7 },
    transform: getLabelTransform('rotation'),
    dataset: 'synthetic',
    normalization: normalizationFor('synthetic'),
    imageSize: { height: 16, width: 16, channels: 3 },
    info: { note: 'test' },
  };
}

test.serial('saveModel/loadModel round trip: same embeddings, BN state, head variables, metadata and state', async (t) => {
  const dir = await tempDir();
  try {
    await withNoLeaks(t, async () => {
      const model = tinyModel();
      const x = tf.randomUniform([3, 16, 16, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
      tf.tidy(() => model.backbone.embed(x, { training: true })).dispose(); // moves the BN running stats
      const momentum = tf.tensor1d([1, 2, 3]);
      const path = join(dir, 'model.jsm');
      await saveModel(path, model, { optimizer: { 'm/0': momentum }, extra: { step: 42 } });
      t.deepEqual(await readdir(dir), ['model.jsm'], 'atomic write leaves no temporary file');
      const loaded = await loadModel(path);
      try {
        t.is(loaded.headName, 'ridge');
        t.deepEqual(loaded.headOptions, { lambda: 7 });
        t.is(loaded.transform.name, 'rotation');
        t.is(loaded.dataset, 'synthetic');
        t.deepEqual(loaded.normalization, { mean: [...model.normalization.mean], std: [...model.normalization.std] });
        t.deepEqual(loaded.imageSize, { height: 16, width: 16, channels: 3 });
        t.deepEqual(loaded.info, { note: 'test' });
        t.deepEqual(loaded.extra, { step: 42 }, 'only the caller\'s extra entries come back');
        t.deepEqual(Array.from((loaded.optimizer['m/0'] as tf.Tensor).dataSync()), [1, 2, 3]);
        t.is(loaded.head.variables[0]!.dataSync()[0], 2.5);
        t.is(loaded.backbone.trainingCalls, 1);
        for (const [name, v] of Object.entries(model.backbone.state)) {
          t.deepEqual(Array.from(loaded.backbone.state[name]!.dataSync()), Array.from(v.dataSync()), name);
        }
        const [a, b] = tf.tidy(() => [model.backbone.embed(x).dataSync(), loaded.backbone.embed(x).dataSync()]);
        t.deepEqual(Array.from(b!), Array.from(a!));
      } finally {
        disposeLoadedModel(loaded);
        model.backbone.dispose();
        model.head.dispose();
        momentum.dispose();
        x.dispose();
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.serial('loadModel refuses a plain backbone checkpoint with a one-line DataError and leaks nothing', async (t) => {
  const dir = await tempDir();
  try {
    await withNoLeaks(t, async () => {
      const backbone = createBackbone({ name: 'conv4', channels: 2, seed: 1 });
      const path = join(dir, 'plain.ckpt');
      await saveCheckpoint(path, { backbone });
      backbone.dispose();
      const error = await t.throwsAsync(loadModel(path), { instanceOf: DataError });
      t.regex(error!.message, /not a trained model/);
      t.false(error!.message.includes('\n'));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.serial('saveModel rejects extra keys in the reserved model/ namespace', async (t) => {
  await withNoLeaks(t, async () => {
    const model = tinyModel();
    try {
      await t.throwsAsync(saveModel(join(tmpdir(), 'never.jsm'), model, { extra: { 'model/x': 1 } }), { instanceOf: UsageError });
    } finally {
      model.backbone.dispose();
      model.head.dispose();
    }
  });
});
