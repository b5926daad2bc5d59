/**
 * Evaluator costs, not a test. `heads`: ms per episode of the head phase (gather from the cache +
 * lifted head + argmax) for each head, M in {1, 4}, 1 and 5 shots, on random embeddings of size d.
 * `embed`: images/s of the cache-building pass (prepare + M copies + inference forward) for a
 * backbone on the synthetic test split. `cache-size`: allocates and fills the cache of ResNet-12 on
 * mini-ImageNet (20 classes x 600 images x 4 copies x 16,000 floats = 3.07 GB) to show it fits.
 * Usage: npx tsx benchmarks/eval.ts [--backend wasm|cpu] [--part heads,embed,cache-size] [--episodes 20]
 *   [--heads protonet,ridge,svm] [--dim 256] [--copies 1,4] [--shots 1,5]
 *   [--workers 1,2] (head phase on worker threads)
 *   [--backbone conv4|resnet12] [--channels 64 (conv4)] [--images 200] [--batch 32]
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { wasmHeapBytes } from '../src/backend/wasm/index.js';
import { createBackbone } from '../src/backbones/index.js';
import { syntheticSplit } from '../src/data/index.js';
import { makeManifest } from '../src/episodes/index.js';
import {
  buildEmbeddingCache,
  cacheFromChunks,
  headSpec,
  scoreEpisodesFromCache,
  scoreEpisodesInWorkers,
  type ClassChunk,
} from '../src/eval/index.js';
import { createHead } from '../src/heads/index.js';
import { getLabelTransform, normalizationFor } from '../src/transforms/index.js';
import { createRng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    part: { type: 'string', default: 'heads,embed' },
    episodes: { type: 'string', default: '20' },
    heads: { type: 'string', default: 'protonet,ridge,svm' },
    dim: { type: 'string', default: '256' },
    copies: { type: 'string', default: '1,4' },
    shots: { type: 'string', default: '1,5' },
    backbone: { type: 'string', default: 'conv4' },
    channels: { type: 'string', default: '64' },
    images: { type: 'string', default: '200' },
    batch: { type: 'string', default: '32' },
    workers: { type: 'string', default: '1' },
  },
});
const list = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean);
const info = await initBackend(values.backend);
console.log(`backend ${info.name}, ${info.threads} thread(s)${info.note ? ` (${info.note})` : ''}`);
const parts = list(values.part);

if (parts.includes('heads')) {
  const dim = Number(values.dim);
  const count = Number(values.episodes);
  const classes = 20;
  const images = 40;
  const rng = createRng('bench-eval');
  const description = {
    dataset: 'random',
    split: 'test' as const,
    classes: Array.from({ length: classes }, (_, c) => ({ name: `c${c}`, count: images })),
  };
  console.log(`head phase, d = ${dim}, 5-way, 15 queries, ${count} episodes (ms per episode)`);
  for (const M of list(values.copies).map(Number)) {
    // A random cache: every class's images hold random embeddings around a class mean.
    const chunks: ClassChunk[] = Array.from({ length: classes }, () => {
      const data = new Float32Array(new SharedArrayBuffer(images * M * dim * 4));
      const mean = Float32Array.from({ length: dim }, () => rng() * 2 - 1);
      for (let i = 0; i < data.length; i++) data[i] = 0.3 * mean[i % dim]! + rng() * 2 - 1;
      return { slotOf: Int32Array.from({ length: images }, (_, i) => i), data };
    });
    const cache = cacheFromChunks(chunks, dim, M);
    for (const shots of list(values.shots).map(Number)) {
      const manifest = makeManifest(description, { ways: 5, shots, queries: 15, count, seed: 1 });
      for (const name of list(values.heads)) {
        const head = createHead(name);
        const model = { backbone: undefined as never, head, transform: undefined as never, normalization: undefined as never };
        scoreEpisodesFromCache(model, cache, manifest.episodes.slice(0, 2));
        for (const workers of list(values.workers).map(Number)) {
          const t0 = performance.now();
          const accuracies =
            workers === 1
              ? scoreEpisodesFromCache(model, cache, manifest.episodes)
              : await scoreEpisodesInWorkers(cache, manifest.episodes, { workers, head: headSpec(head, name, {}), backend: info.name });
          const ms = (performance.now() - t0) / count;
          const mean = accuracies.reduce((s, a) => s + a.aggregated, 0) / count;
          console.log(
            `  M=${M} ${shots}-shot ${name.padEnd(8)} workers=${workers} ${ms.toFixed(1).padStart(8)} ms  (aggregated acc ${(100 * mean).toFixed(1)}%)`,
          );
        }
        head.dispose();
      }
    }
  }
}

if (parts.includes('embed')) {
  const config = values.backbone === 'conv4' ? { channels: Number(values.channels) } : {};
  const backbone = createBackbone({ name: values.backbone, ...config, seed: 0 });
  const split = syntheticSplit('test');
  const perClass = Math.ceil(Number(values.images) / split.classes.length);
  const used = split.classes.map(() => new Set(Array.from({ length: perClass }, (_, i) => i)));
  for (const M of list(values.copies).map(Number)) {
    const transform = getLabelTransform(M === 1 ? 'none' : 'rotation');
    const t0 = performance.now();
    const cache = await buildEmbeddingCache(split, used, {
      backbone,
      transform,
      normalization: normalizationFor('synthetic'),
      batchSize: Math.max(1, Math.floor(Number(values.batch) / M)),
    });
    const seconds = (performance.now() - t0) / 1000;
    const n = perClass * split.classes.length * M;
    console.log(
      `embed ${values.backbone} ${split.height}x${split.width} M=${M}: ${n} transformed images in ${seconds.toFixed(1)} s = ${(n / seconds).toFixed(0)} img/s, ` +
        `cache ${(cache.bytes / 2 ** 20).toFixed(1)} MiB, wasm heap ${(wasmHeapBytes() / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  backbone.dispose();
}
if (parts.includes('cache-size')) {
  const [classes, images, M, d] = [20, 600, 4, 16000];
  const t0 = performance.now();
  const chunks: ClassChunk[] = Array.from({ length: classes }, (_, c) => {
    const data = new Float32Array(new SharedArrayBuffer(images * M * d * 4));
    data.fill(c);
    return { slotOf: Int32Array.from({ length: images }, (_, i) => i), data };
  });
  const cache = cacheFromChunks(chunks, d, M);
  const ok = cache.rows(19, 599).every((v) => v === 19);
  const memory = process.memoryUsage();
  console.log(
    `cache ${(cache.bytes / 1e9).toFixed(2)} GB in ${classes} chunks of ${(chunks[0]!.data.byteLength / 1e6).toFixed(1)} MB, ` +
      `rss ${(memory.rss / 1e9).toFixed(2)} GB, V8 external ${(memory.external / 1e9).toFixed(2)} GB, ` +
      `rows readable: ${ok}, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
process.exit(0);
