import test from 'ava';
import { DataError, UsageError } from '../../src/errors.js';
import { makeManifest } from '../../src/episodes/index.js';
import {
  buildEmbeddingCache,
  embedEpisodeNaive,
  evaluate,
  gatherEpisode,
  scoreEpisode,
  usedImages,
  type EpisodeEmbeddings,
} from '../../src/eval/index.js';
import { liftHead } from '../../src/sla/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { disposeModel, tinyManifest, tinyModel, tinySplit } from './fixtures.js';

test.before(useCpuBackend);
// Serial: withNoLeaks counts live tensors process-wide.

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

for (const head of ['protonet', 'ridge', 'svm']) {
  test.serial(`cache path equals the naive per-episode path (${head}, rotation M = 4)`, async (t) => {
    const split = tinySplit();
    const manifest = tinyManifest(split, 2);
    const model = tinyModel(head, 'rotation');
    try {
      await withNoLeaks(t, async () => {
        const cache = await buildEmbeddingCache(split, usedImages(split.classes.length, manifest.episodes), model);
        t.is(cache.copies, 4);
        t.is(cache.dim, 8);
        const lifted = liftHead(model.head, 4);
        for (const episode of manifest.episodes) {
          const cached = gatherEpisode(cache, episode);
          const naive = embedEpisodeNaive(split, episode, model);
          t.deepEqual(cached.supportLabels, naive.supportLabels);
          t.deepEqual(cached.queryLabels, naive.queryLabels);
          t.true(maxAbsDiff(cached.support, naive.support) <= 1e-5, 'support embeddings agree');
          t.true(maxAbsDiff(cached.query, naive.query) <= 1e-5, 'query embeddings agree');
          t.deepEqual(scoreEpisode(lifted, cached), scoreEpisode(lifted, naive));
        }
      });
    } finally {
      disposeModel(model);
    }
  });
}

test.serial('a cache built with batch size 1 equals one built with a large batch', async (t) => {
  const split = tinySplit();
  const manifest = tinyManifest(split, 2);
  const model = tinyModel('protonet', 'rotation');
  try {
    const used = usedImages(split.classes.length, manifest.episodes);
    const small = await buildEmbeddingCache(split, used, { ...model, batchSize: 1 });
    const large = await buildEmbeddingCache(split, used, { ...model, batchSize: 50 });
    small.chunks.forEach((chunk, c) => t.true(maxAbsDiff(chunk.data, large.chunks[c]!.data) <= 1e-5, `class ${c}`));
  } finally {
    disposeModel(model);
  }
});

/** ProtoNet single/aggregated accuracy of one episode computed directly in JS from its embeddings. */
function protoNetReference(e: EpisodeEmbeddings): { single: number; aggregated: number } {
  const { dim: d, copies: M, ways } = e;
  const protos = new Float64Array(ways * M * d);
  const counts = new Float64Array(ways);
  e.supportLabels.forEach((y, b) => {
    counts[y]! += 1;
    for (let j = 0; j < M; j++) for (let k = 0; k < d; k++) protos[(y * M + j) * d + k]! += e.support[(b * M + j) * d + k]!;
  });
  for (let y = 0; y < ways; y++) for (let r = 0; r < M * d; r++) protos[y * M * d + r]! /= counts[y]!;
  const logit = (b: number, j: number, y: number) => {
    let dist = 0;
    for (let k = 0; k < d; k++) dist += (e.query[(b * M + j) * d + k]! - protos[(y * M + j) * d + k]!) ** 2;
    return -dist / d;
  };
  const argmax = (score: (y: number) => number) => {
    let best = 0;
    for (let y = 1; y < ways; y++) if (score(y) > score(best)) best = y;
    return best;
  };
  let single = 0;
  let aggregated = 0;
  e.queryLabels.forEach((label, b) => {
    if (argmax((y) => logit(b, 0, y)) === label) single++;
    const mean = (y: number) => Array.from({ length: M }, (_, j) => logit(b, j, y)).reduce((s, v) => s + v, 0) / M;
    if (argmax(mean) === label) aggregated++;
  });
  return { single: single / e.queryLabels.length, aggregated: aggregated / e.queryLabels.length };
}

test.serial('per-episode accuracies of evaluate() equal a direct ProtoNet computation', async (t) => {
  const split = tinySplit();
  const manifest = tinyManifest(split, 6, 1, 4);
  const model = tinyModel('protonet', 'rotation');
  try {
    const results = await withNoLeaks(t, () => evaluate({ model, split, manifest }));
    t.is(results.count, 6);
    t.is(results.model.copies, 4);
    t.is(results.manifest.sha256, manifest.sha256);
    manifest.episodes.forEach((episode, i) => {
      const expected = protoNetReference(embedEpisodeNaive(split, episode, model));
      t.is(results.accuracy.single[i], expected.single, `episode ${i} single`);
      t.is(results.accuracy.aggregated[i], expected.aggregated, `episode ${i} aggregated`);
    });
    // The reference must be able to tell the modes apart on these episodes (else the test is weak).
    t.true(results.accuracy.single.some((v) => v > 0) && results.accuracy.aggregated.some((v) => v < 1));
  } finally {
    disposeModel(model);
  }
});

test.serial('a plain model (transform none, M = 1): single equals aggregated', async (t) => {
  const split = tinySplit();
  const manifest = tinyManifest(split, 5);
  for (const head of ['protonet', 'ridge']) {
    const model = tinyModel(head, 'none');
    try {
      const results = await withNoLeaks(t, () => evaluate({ model, split, manifest }));
      t.is(results.model.copies, 1);
      t.deepEqual(results.accuracy.single, results.accuracy.aggregated);
    } finally {
      disposeModel(model);
    }
  }
});

test.serial('bad requests fail with one-line typed errors', async (t) => {
  const split = tinySplit();
  const svm = tinyModel('svm', 'none');
  try {
    const oneWay = makeManifest(split, { ways: 1, shots: 1, queries: 2, count: 2, seed: 0 });
    const e1 = await t.throwsAsync(evaluate({ model: svm, split, manifest: oneWay }), { instanceOf: UsageError });
    t.regex(e1!.message, /svm.*at least 2 ways.*--ways 1/);
    const other = makeManifest({ ...split, dataset: 'synthetic' }, { ways: 3, shots: 1, queries: 2, count: 2, seed: 0 });
    const e2 = await t.throwsAsync(evaluate({ model: svm, split, manifest: other }), { instanceOf: DataError });
    t.regex(e2!.message, /manifest is for dataset 'synthetic', not 'tiny-synthetic'/);
    const noQueries = makeManifest(split, { ways: 2, shots: 1, queries: 0, count: 2, seed: 0 });
    await t.throwsAsync(evaluate({ model: svm, split, manifest: noQueries }), { instanceOf: UsageError, message: /query/ });
    for (const error of [e1!, e2!]) t.false(error.message.includes('\n'));
  } finally {
    disposeModel(svm);
  }
});
