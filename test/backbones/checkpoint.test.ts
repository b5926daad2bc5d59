import test from 'ava';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../../src/tf.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import {
  createBackbone,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  readCheckpointHeader,
  saveCheckpoint,
  type CheckpointHeader,
} from '../../src/backbones/index.js';
import { DataError } from '../../src/errors.js';
import { createRng } from '../../src/util/rng.js';

test.before(useCpuBackend);

/** A checkpoint file made of `header` (possibly edited) and an existing blob. */
function encodeHeader(header: CheckpointHeader, blob: Uint8Array): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((12 + text.length) / 8) * 8;
  const file = new Uint8Array(start + blob.length);
  file.set(new TextEncoder().encode('JSHOTCK1'));
  new DataView(file.buffer).setUint32(8, text.length, true);
  file.set(text, 12);
  file.set(blob, start);
  return file;
}

function disposeAll(record: Record<string, unknown>): void {
  for (const v of Object.values(record)) if (v instanceof tf.Tensor) v.dispose();
}

test.serial('save then load gives identical embeddings, BN state, counters, optimizer and extra records', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-ckpt-'));
  try {
    await withNoLeaks(t, async () => {
      const backbone = createBackbone({ name: 'resnet12', widths: [3, 4, 5, 6], seed: 11 });
      const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 9) as tf.Tensor4D;
      tf.tidy(() => {
        backbone.embed(x, { training: true });
        backbone.embed(x, { training: true });
      });
      const momentum = tf.tensor2d([[1.5, -2], [3, 4]]);
      const mask = tf.tensor1d([1, 0, 1], 'bool');
      const labels = tf.tensor1d([3, 1], 'int32');
      const head = tf.tidy(() => tf.variable(tf.scalar(1.25)));
      const rngState = createRng(3).state();
      const path = join(dir, 'model.ckpt');
      await saveCheckpoint(path, {
        backbone,
        optimizer: { iterations: 12, 'accum/w': momentum, mask },
        extra: { step: 12, rng: rngState as never, 'head/scale': head, labels },
      });
      t.deepEqual(await readdir(dir), ['model.ckpt'], 'no temporary file left behind');
      const loaded = await loadCheckpoint(path);
      try {
        t.deepEqual(loaded.backbone.config, backbone.config);
        t.is(loaded.backbone.trainingCalls, 2);
        t.deepEqual(loaded.backbone.rng.state(), backbone.rng.state());
        tf.tidy(() => {
          t.deepEqual(Array.from(loaded.backbone.embed(x).dataSync()), Array.from(backbone.embed(x).dataSync()));
          for (const name of Object.keys(backbone.state)) {
            t.deepEqual(Array.from(loaded.backbone.state[name]!.dataSync()), Array.from(backbone.state[name]!.dataSync()));
          }
        });
        t.is(loaded.optimizer.iterations, 12);
        t.deepEqual((loaded.optimizer['accum/w'] as tf.Tensor).arraySync(), [[1.5, -2], [3, 4]]);
        t.is((loaded.optimizer.mask as tf.Tensor).dtype, 'bool');
        t.deepEqual(Array.from((loaded.optimizer.mask as tf.Tensor).dataSync()), [1, 0, 1]);
        t.deepEqual(loaded.extra.rng, rngState as never);
        t.is((loaded.extra['head/scale'] as tf.Tensor).dataSync()[0], 1.25);
        t.deepEqual(Array.from((loaded.extra.labels as tf.Tensor).dataSync()), [3, 1]);
        t.is(readCheckpointHeader(encodeCheckpoint({ backbone })).header.backbone.config.name, 'resnet12');
      } finally {
        loaded.backbone.dispose();
        disposeAll(loaded.optimizer);
        disposeAll(loaded.extra);
        backbone.dispose();
        x.dispose();
        tf.dispose([momentum, mask, labels]);
        head.dispose();
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.serial('corrupt, truncated or mismatched checkpoints raise DataError', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-ckpt-'));
  try {
    await withNoLeaks(t, async () => {
      const backbone = createBackbone({ name: 'conv4', channels: 2 });
      const bytes = encodeCheckpoint({ backbone });
      backbone.dispose();
      t.throws(() => decodeCheckpoint(bytes.slice(0, bytes.length - 8)), { instanceOf: DataError, message: /truncated/ });
      const wrongMagic = bytes.slice();
      wrongMagic[0] = 0;
      t.throws(() => decodeCheckpoint(wrongMagic), { instanceOf: DataError, message: /magic/ });
      // Same format, but the header claims another architecture: names must match.
      const { header, blobStart } = readCheckpointHeader(bytes);
      header.backbone.config = { name: 'resnet12', widths: 2, seed: 0 };
      t.throws(() => decodeCheckpoint(encodeHeader(header, bytes.subarray(blobStart))), {
        instanceOf: DataError,
        message: /names differ/,
      });
      header.backbone.config = { name: 'resnet12', widths: 2, colour: 'blue' };
      const badConfig = encodeHeader(header, bytes.subarray(blobStart));
      t.throws(() => decodeCheckpoint(badConfig, 'x.ckpt'), { instanceOf: DataError, message: /x\.ckpt: .*unknown option 'colour'/ });
      const path = join(dir, 'bad.ckpt');
      await writeFile(path, 'not a checkpoint');
      await t.throwsAsync(loadCheckpoint(path), { instanceOf: DataError, message: /bad\.ckpt/ });
      await t.throwsAsync(loadCheckpoint(join(dir, 'missing.ckpt')), { instanceOf: DataError });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
