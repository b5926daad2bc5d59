import test from 'ava';
import { UsageError } from '../../src/errors.js';
import {
  buildEmbeddingCache,
  defaultWorkers,
  embedSpec,
  evaluate,
  EvalPool,
  headSpec,
  scoreEpisodesFromCache,
  scoreEpisodesInWorkers,
  usedImages,
} from '../../src/eval/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { disposeModel, tinyManifest, tinyModel, tinySplit } from './fixtures.js';

test.before(useCpuBackend);
// Serial: withNoLeaks counts live tensors process-wide.

/** Byte-for-byte equality of two float arrays (NaN patterns included). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

test.serial('2 worker processes embed and score bit-identically to the calling thread (protonet, rotation M = 4)', async (t) => {
  const split = tinySplit();
  const manifest = tinyManifest(split, 12, 2, 3);
  const model = tinyModel('protonet', 'rotation');
  // A non-default scale checks that the workers receive the head's trained variables.
  model.head.variables[0]!.assign(model.head.variables[0]!.mul(-0.5));
  const shape = { height: split.height, width: split.width, channels: split.channels };
  const pool = await EvalPool.start({
    workers: 2,
    backend: 'cpu',
    copies: 4,
    head: headSpec(model.head, 'protonet', {}),
    embed: embedSpec(model.backbone, model.transform, model.normalization, shape),
  });
  try {
    await withNoLeaks(t, async () => {
      const used = usedImages(split.classes.length, manifest.episodes);
      // Batches of 3 images: several in flight on both workers, finishing in any order.
      const local = await buildEmbeddingCache(split, used, { ...model, batchSize: 3 });
      const remote = await buildEmbeddingCache(split, used, { ...model, batchSize: 3, embedder: { embed: (images) => pool.embed(images), inFlight: 4 } });
      local.chunks.forEach((chunk, c) => {
        t.deepEqual(remote.chunks[c]!.slotOf, chunk.slotOf);
        t.true(sameBits(remote.chunks[c]!.data, chunk.data), `class ${c}: embeddings bit-identical`);
      });
      const progress: number[] = [];
      const parallel = await pool.score(local, manifest.episodes, (done) => progress.push(done));
      t.deepEqual(parallel, scoreEpisodesFromCache(model, local, manifest.episodes));
      t.is(progress.at(-1), 12);
      // Not a trivial comparison: the episodes have both right and wrong answers.
      t.true(parallel.some((a) => a.single > 0) && parallel.some((a) => a.aggregated < 1));
    });
  } finally {
    await pool.stop();
    disposeModel(model);
  }
});

test.serial('a worker process scores ridge episodes exactly as the calling thread', async (t) => {
  const split = tinySplit();
  const manifest = tinyManifest(split, 6, 2, 3);
  for (const head of ['ridge']) {
    const model = tinyModel(head, 'rotation');
    model.head.variables[0]!.assign(model.head.variables[0]!.mul(-0.5));
    try {
      const cache = await buildEmbeddingCache(split, usedImages(split.classes.length, manifest.episodes), model);
      const parallel = await scoreEpisodesInWorkers(cache, manifest.episodes, { workers: 1, head: headSpec(model.head, head, {}), backend: 'cpu' });
      t.deepEqual(parallel, scoreEpisodesFromCache(model, cache, manifest.episodes), head);
    } finally {
      disposeModel(model);
    }
  }
});

test.serial('evaluate() with 2 workers gives the per-episode accuracies of the calling thread (svm)', async (t) => {
  const split = tinySplit();
  const manifest = tinyManifest(split, 10, 1, 3);
  const model = tinyModel('svm', 'rotation');
  try {
    const serial = await evaluate({ model, split, manifest });
    const parallel = await withNoLeaks(t, () => evaluate({ model, split, manifest, workers: 2 }));
    t.is(serial.timing.workers, 1);
    t.is(parallel.timing.workers, 2);
    t.deepEqual(parallel.accuracy, serial.accuracy);
    await t.throwsAsync(evaluate({ model, split, manifest, workers: 0 }), { instanceOf: UsageError, message: /--workers must be a positive integer/ });
  } finally {
    disposeModel(model);
  }
});

test.serial('a worker error reaches the caller as a one-line error and the pool still stops', async (t) => {
  const model = tinyModel('protonet', 'rotation');
  try {
    const error = await t.throwsAsync(
      EvalPool.start({ workers: 1, backend: 'cpu', copies: 4, head: { name: 'no-such-head', options: {}, variables: [] } }),
    );
    t.regex(error!.message, /no-such-head/);
    t.false(error!.message.includes('\n'));
  } finally {
    disposeModel(model);
  }
});

test('default workers: 2 over 100+ episodes on 2+ cores for every head, else 1', (t) => {
  for (const head of ['protonet', 'ridge', 'svm']) {
    t.is(defaultWorkers(head, 1000, 2), 2);
    t.is(defaultWorkers(head, 1000, 8), 2);
    t.is(defaultWorkers(head, 1000, 1), 1);
    t.is(defaultWorkers(head, 99, 2), 1);
  }
});
