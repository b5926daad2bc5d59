/**
 * Soak test of the episodic trainer: runs `trainRun` (src/train, the code `jointshot train` runs:
 * augmentation, M copies, backbone, lifted head, SGD, per-epoch validation through the evaluator,
 * checkpoints) for many small episodes, samples tf.memory().numTensors and the process RSS every
 * N episodes, and exits 1 when, after the warm-up,
 *   - the tensor count changes at all (every step and every validation must free what it made), or
 *   - RSS grows by more than --rss-bound-mib (median of the last 10% of samples minus the median
 *     of the first 10% after the warm-up; medians, because the V8 heap and malloc arenas breathe).
 * Why 64 MiB by default: it is the scale of that breathing (V8's young generation alone is 16-32
 * MiB; the native and wasm backends keep freed blocks for reuse), yet a leak of one step's input
 * batch (40 x 32x32x3 floats = 480 KiB) would add 4.2 GiB over the 9,000 episodes checked after a
 * 1,000-episode warm-up, and a leak of 8 KiB per episode (the raw pixels of two 32x32x3 images
 * kept alive) adds 70 MiB and fails. Short runs check less: 400 episodes after the warm-up only
 * catch leaks above ~160 KiB per episode by RSS (the tensor count is exact at any length).
 * Default run: 10,000 episodes of 5-way 1-shot 1 query on synthetic 32x32 glyphs, Conv-4,
 * protonet lifted by rotation (M = 4), 10 epochs with 5 validation episodes each.
 * --task classify: the same checks over whole-class steps instead (`--episodes` counts steps):
 * `--objective` (default sla: joint classifier over the rotation copies) with `--backbone`
 * (default resnet20) on `--classes` synthetic classes at `--size` (default 16) pixels, batches of
 * `--batch` images x 4 copies, crop + flip augmentation, the held-out val images scored after
 * every epoch, checkpoints. Each class's images: 3/4 train, then 1/8 val, 1/8 test.
 * Usage: npx tsx benchmarks/train-soak.ts [--episodes 10000] [--head protonet] [--transform rotation]
 *   [--backend native|wasm|cpu] [--sample-every 100] [--warmup 1000] [--rss-bound-mib 64]
 *   [--epochs 10] [--val-episodes 5] [--ways 5] [--shots 1] [--queries 1] [--out DIR (default: a temp dir, removed)]
 *   [--task episodic|classify] [--objective sla] [--backbone resnet20] [--batch 8] [--size 16] [--classes 10]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, wasmHeapBytes } from '../src/backend/index.js';
import { pickImages, poolOfSplits } from '../src/data/class-pool.js';
import type { ClassificationData } from '../src/data/classification-types.js';
import { createSyntheticDataset, syntheticSplit } from '../src/data/synthetic.js';
import { tf } from '../src/tf.js';
import { resolveTrainConfig, trainRun, type TrainProgress } from '../src/train/index.js';

const { values } = parseArgs({
  options: {
    episodes: { type: 'string', default: '10000' },
    head: { type: 'string', default: 'protonet' },
    transform: { type: 'string', default: 'rotation' },
    backend: { type: 'string' },
    'sample-every': { type: 'string', default: '100' },
    warmup: { type: 'string' },
    'rss-bound-mib': { type: 'string', default: '64' },
    epochs: { type: 'string', default: '10' },
    'val-episodes': { type: 'string', default: '5' },
    ways: { type: 'string', default: '5' },
    shots: { type: 'string', default: '1' },
    queries: { type: 'string', default: '1' },
    out: { type: 'string' },
    task: { type: 'string', default: 'episodic' },
    objective: { type: 'string', default: 'sla' },
    backbone: { type: 'string' },
    batch: { type: 'string', default: '8' },
    size: { type: 'string', default: '16' },
    classes: { type: 'string', default: '10' },
  },
});

const int = (name: string, text: string | undefined, min: number): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, found ${text}`);
  return n;
};
const episodes = int('episodes', values.episodes, 1);
const every = int('sample-every', values['sample-every'], 1);
const epochs = int('epochs', values.epochs, 1);
// Warm-up: 10% of the run (at least one epoch, so one validation and checkpoint happened), in whole samples.
const warmup = int('warmup', values.warmup ?? String(Math.ceil(Math.max(episodes / 10, episodes / epochs) / every) * every), 0);
const boundMiB = Number(values['rss-bound-mib']);
if (episodes % epochs !== 0) throw new Error(`--episodes ${episodes} must be a multiple of --epochs ${epochs}`);
if (warmup >= episodes) throw new Error(`--warmup ${warmup} leaves no episodes to check (of --episodes ${episodes})`);

if (values.task !== 'episodic' && values.task !== 'classify') throw new Error(`--task must be episodic or classify, found ${values.task}`);
const classify = values.task === 'classify';

/** Whole-class data from the synthetic glyphs: per class 3/4 train, 1/8 val, 1/8 test. */
async function wholeClassData(classes: number, size: number): Promise<ClassificationData> {
  const dataset = createSyntheticDataset({ classes: { train: classes, val: 1, test: 1 }, imagesPerClass: 64, size });
  const pool = poolOfSplits([await dataset.load('train', { dataDir: '' })]);
  const range = (from: number, to: number) => pool.counts.map(() => Array.from({ length: to - from }, (_, i) => from + i));
  return {
    dataset: 'synthetic',
    classes: pool.classes,
    train: pickImages(pool, range(0, 48)),
    val: pickImages(pool, range(48, 56)),
    test: pickImages(pool, range(56, 64)),
    description: `synthetic glyphs, ${classes} classes, ${size}x${size}, 48/8/8 per class`,
    testHash: 'soak',
  };
}

const info = await initBackend(values.backend);
const data = classify ? await wholeClassData(int('classes', values.classes, 2), int('size', values.size, 8)) : undefined;
const config = resolveTrainConfig({
  dataset: 'synthetic',
  backbone: values.backbone ?? (classify ? 'resnet20' : 'conv4'),
  ...(classify
    ? {
        task: 'classify' as const,
        objective: values.objective!,
        batchSize: int('batch', values.batch, 1),
        imageSize: 0,
        augmentation: { cropPadding: 2, horizontalFlip: true },
        weightDecay: 5e-4,
      }
    : {}),
  head: values.head!,
  transform: values.transform!,
  ways: int('ways', values.ways, 1),
  shots: int('shots', values.shots, 1),
  queries: int('queries', values.queries, 1),
  episodesPerBatch: 1,
  batchesPerEpoch: episodes / epochs,
  epochs,
  // A learning-rate drop halfway, so that the schedule changes during the run too.
  lrSchedule: [{ epoch: 1, lr: 0.01 }, ...(epochs > 1 ? [{ epoch: Math.floor(epochs / 2) + 1, lr: 0.001 }] : [])],
  validation: { episodes: classify ? 0 : int('val-episodes', values['val-episodes'], 0), ways: 5, shots: 1, queries: 3 },
  checkpointEvery: Math.max(1, Math.floor(episodes / epochs / 2)),
  logEvery: every,
});

interface Sample {
  episode: number;
  tensors: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  wasmHeapMiB: number;
}
const MiB = 2 ** 20;
const samples: Sample[] = [];
let lastLoss = NaN;
let lastValidation = '';
const progress: TrainProgress = {
  step: (r) => (lastLoss = r.loss),
  validation: (r) => (lastValidation = `epoch ${r.epoch} val ${r.accuracy.toFixed(1)}%`),
  note: () => {},
  end: () => {},
};
const sample = (episode: number) => {
  const memory = process.memoryUsage();
  const s: Sample = {
    episode,
    tensors: tf.memory().numTensors,
    rssMiB: +(memory.rss / MiB).toFixed(1),
    heapUsedMiB: +(memory.heapUsed / MiB).toFixed(1),
    externalMiB: +(memory.external / MiB).toFixed(1),
    wasmHeapMiB: info.name === 'wasm' ? +(wasmHeapBytes() / MiB).toFixed(0) : 0,
  };
  samples.push(s);
  console.log(JSON.stringify({ ...s, loss: +lastLoss.toFixed(4), ...(lastValidation ? { last: lastValidation } : {}) }));
};

const outDir = values.out ?? (await mkdtemp(join(tmpdir(), 'jointshot-soak-')));
const what = classify
  ? `${episodes} whole-class steps of ${config.batchSize} images, ${config.backbone} + ${config.objective} (transform ${config.transform}) on ${data!.description}; ` +
    `${epochs} epochs, each scored on the ${data!.val!.labels.length} val images`
  : `${episodes} episodes of ${config.ways}-way ${config.shots}-shot ${config.queries} queries, ${config.backbone} + ${config.head} ` +
    `(transform ${config.transform}) on synthetic 32x32; ${epochs} epochs with ${config.validation.episodes} validation episodes each`;
console.log(
  `soak: ${what}; backend ${info.name} (${info.threads} threads); sample every ${every}, warm-up ${warmup}, ` +
    `RSS bound ${boundMiB} MiB; run folder ${outDir}`,
);
const started = performance.now();
try {
  await trainRun({
    config,
    ...(classify ? { data } : { train: syntheticSplit('train'), val: syntheticSplit('val') }),
    outDir,
    progress,
    backend: { name: info.name, threads: info.threads },
    onStep: (step) => {
      if (step % every === 0) sample(step);
    },
  });
} finally {
  if (values.out === undefined) await rm(outDir, { recursive: true, force: true });
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
// After the warm-up's last step AND its epoch-end validation (which runs after that step's sample).
const checked = samples.filter((s) => s.episode > warmup);
const tenth = Math.max(1, Math.floor(checked.length / 10));
const rssStart = median(checked.slice(0, tenth).map((s) => s.rssMiB));
const rssEnd = median(checked.slice(-tenth).map((s) => s.rssMiB));
const tensorCounts = [...new Set(checked.map((s) => s.tensors))];
const failures: string[] = [];
if (tensorCounts.length > 1) {
  const first = checked.find((s) => s.tensors !== checked[0]!.tensors)!;
  failures.push(`tensor count changed after the warm-up: ${checked[0]!.tensors} at episode ${checked[0]!.episode}, ${first.tensors} at episode ${first.episode}`);
}
if (rssEnd - rssStart > boundMiB) failures.push(`RSS grew by ${(rssEnd - rssStart).toFixed(1)} MiB after the warm-up (bound ${boundMiB} MiB)`);
console.log(
  JSON.stringify({
    result: failures.length === 0 ? 'pass' : 'fail',
    task: values.task,
    episodes,
    seconds: +((performance.now() - started) / 1000).toFixed(0),
    warmup,
    samplesChecked: checked.length,
    tensors: tensorCounts,
    rssMiB: { warmupEnd: rssStart, end: rssEnd, growth: +(rssEnd - rssStart).toFixed(1), bound: boundMiB, max: Math.max(...checked.map((s) => s.rssMiB)) },
    failures,
  }),
);
process.exit(failures.length === 0 ? 0 : 1);
