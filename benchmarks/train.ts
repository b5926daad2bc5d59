/**
 * Training throughput of the episodic trainer's step (episodes -> augmentation -> copies ->
 * backbone -> lifted head -> joint CE -> gradients -> SGD), on the synthetic split. Reports wall
 * and process-CPU time per step, images/s (copies included) and the wasm heap size afterwards
 * (it never shrinks, so it is the peak). Not a test. The machine may be shared: compare the CPU
 * figures, and say so when quoting wall times.
 * Usage: npx tsx benchmarks/train.ts [--backend wasm] [--backbone conv4] [--transform none]
 *   [--ways 5] [--shots 5] [--queries 6] [--episodes 2] [--micro-batch 0] [--steps 3] [--warmup 1]
 *   [--bn-grouping pass|episode|support-query]
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { assertWasmHeapHealthy, wasmHeapBytes } from '../src/backend/wasm/index.js';
import { createBackbone } from '../src/backbones/index.js';
import { syntheticSplit } from '../src/data/synthetic.js';
import { createEpisodeSampler } from '../src/episodes/index.js';
import { createHead } from '../src/heads/index.js';
import { liftHead } from '../src/sla/index.js';
import { getLabelTransform, normalizationFor, recipeAugmentation } from '../src/transforms/index.js';
import { microBatchForBudget, Sgd, stepGradients, type StepContext } from '../src/train/index.js';
import { tf } from '../src/tf.js';
import { createRng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    backbone: { type: 'string', default: 'conv4' },
    head: { type: 'string', default: 'protonet' },
    transform: { type: 'string', default: 'none' },
    ways: { type: 'string', default: '5' },
    shots: { type: 'string', default: '5' },
    queries: { type: 'string', default: '6' },
    episodes: { type: 'string', default: '2' },
    'micro-batch': { type: 'string', default: '0' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    'bn-grouping': { type: 'string', default: 'pass' },
  },
});

const info = await initBackend(values.backend);
const split = syntheticSplit('train');
const backbone = createBackbone({ name: values.backbone!, seed: 0 });
const transform = getLabelTransform(values.transform!);
const head = liftHead(createHead(values.head!), transform.count);
const params: Record<string, tf.Variable> = { ...backbone.trainable };
head.variables.forEach((v, i) => (params[`head/${i}`] = v));
const microBatch = Number(values['micro-batch']) || microBatchForBudget(backbone.config, split.height, split.width, 3072);
const ctx: StepContext = {
  split,
  backbone,
  head,
  transform,
  normalization: normalizationFor('synthetic'),
  augmentation: recipeAugmentation(split.height),
  augmentRng: createRng('bench:augment'),
  labelSmoothing: 0,
  microBatch,
  bnGrouping: values['bn-grouping'] as StepContext['bnGrouping'],
  params,
};
const sgd = new Sgd(params, { momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
const sampler = createEpisodeSampler(split.classes.map((c) => c.count), { ways: Number(values.ways), shots: Number(values.shots), queries: Number(values.queries) });
const episodeRng = createRng('bench:episodes');

function step(): number {
  const episodes = Array.from({ length: Number(values.episodes) }, () => sampler(episodeRng));
  const result = stepGradients(ctx, episodes);
  sgd.step(result.grads, 0.01);
  for (const g of Object.values(result.grads)) g.dispose();
  assertWasmHeapHealthy();
  return result.images;
}

for (let i = 0; i < Number(values.warmup); i++) step();
const steps = Number(values.steps);
const c0 = process.cpuUsage();
const t0 = performance.now();
let images = 0;
for (let i = 0; i < steps; i++) images += step();
const wall = (performance.now() - t0) / 1000;
const cpu = (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1e6;
console.log(
  JSON.stringify({
    backend: `${info.name} (${info.threads} threads)`,
    backbone: values.backbone,
    size: split.height,
    transform: transform.name,
    episode: `${values.ways}-way ${values.shots}-shot ${values.queries}q x ${values.episodes}`,
    microBatch,
    bnGrouping: ctx.bnGrouping,
    imagesPerStep: images / steps,
    wallSecondsPerStep: +(wall / steps).toFixed(3),
    cpuSecondsPerStep: +(cpu / steps).toFixed(3),
    imagesPerSecondWall: +(images / wall).toFixed(1),
    heapMiB: Math.round(wasmHeapBytes() / 2 ** 20),
    tensors: tf.memory().numTensors,
  }),
);
process.exit(0);
