/**
 * Evaluator costs, not a test. `heads`: ms per episode of the head phase (gather from the cache +
 * lifted head + argmax) for each head, M in {1, 4}, 1 and 5 shots, on random embeddings of size d.
 * `embed`: images/s of the cache-building pass (prepare + M copies + inference forward) for a
 * backbone on the synthetic test split. `cache-size`: allocates and fills the cache of ResNet-12 on
 * mini-ImageNet (20 classes x 600 images x 4 copies x 16,000 floats = 3.07 GB) to show it fits.
 * `cores`: a whole evaluate() of a trained model (`--model FILE`, synthetic test split) with the CPU
 * time of every thread sampled per phase (embedding pass, head phase): how many cores each phase
 * keeps busy, independent of other load on the machine (see threadCpuMeter).
 * Usage: npx tsx benchmarks/eval.ts [--backend wasm|cpu|native] [--part heads,embed,cache-size,cores] [--episodes 20]
 *   [--heads protonet,ridge,svm] [--dim 256] [--copies 1,4] [--shots 1,5]
 *   [--workers 1,2] (head phase on worker threads)
 *   [--backbone conv4|resnet12] [--channels 64 (conv4)] [--images 200] [--batch 32]
 *   cores: --model FILE (trained model; or a bare checkpoint with --heads H --transform T) [--shots 5] [--episodes 1000] [--workers W (default: the evaluator's)] [--data-dir DIR]
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { wasmHeapBytes } from '../src/backend/wasm/index.js';
import { createBackbone } from '../src/backbones/index.js';
import { syntheticSplit } from '../src/data/index.js';
import { makeManifest } from '../src/episodes/index.js';
import {
  buildEmbeddingCache,
  cacheFromChunks,
  defaultWorkers,
  evaluate,
  loadEvalModel,
  peekModelFile,
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
    workers: { type: 'string' },
    model: { type: 'string' },
    transform: { type: 'string', default: 'rotation' },
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
        for (const workers of list(values.workers ?? '1').map(Number)) {
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
const threadNames = new Map<number, string>();
const workerIndex = new Map<number, number>();
/**
 * A thread's label, remembered once seen: `main`, else its /proc comm (`node` for the backend's
 * OpenMP or wasm threads, `V8 DefaultWorke` for GC/compiler helpers...), prefixed `worker N:` in
 * the Nth child process.
 */
function threadName(tid: number, owner: number): string {
  if (tid === process.pid) return 'main';
  if (!threadNames.has(tid)) {
    let comm = 'ended';
    try {
      comm = readFileSync(`/proc/${owner}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      // ended before it was named
    }
    if (owner !== process.pid && !workerIndex.has(owner)) workerIndex.set(owner, workerIndex.size + 1);
    const prefix = owner === process.pid ? '' : `worker ${workerIndex.get(owner)}: `;
    threadNames.set(tid, `${prefix}${tid === owner ? 'main' : comm}`);
  }
  return threadNames.get(tid)!;
}

/**
 * Per-thread CPU time of this process AND of its child processes (the evaluator's workers),
 * including threads that end between two readings: a sampler thread records every thread's latest
 * ticks (user + sys, 1/100 s) every 50 ms in shared memory, and looks for new children every
 * second. Per phase, sum / max over threads says how many cores the phase kept busy; other jobs on the
 * machine change the wall time, not where our CPU time goes.
 */
function threadCpuMeter(): { read(): Map<number, number>; owner(tid: number): number; stop(): Promise<number> } {
  // [0] = the sampler's own tid, then (tid, ticks, owning process) triples.
  const table = new Int32Array(new SharedArrayBuffer(4 * 3 * 1024));
  const sampler = new Worker(
    `const { workerData } = require('node:worker_threads');
     const fs = require('node:fs');
     const table = new Int32Array(workerData.table);
     const root = workerData.pid;
     Atomics.store(table, 0, Number(fs.readlinkSync('/proc/thread-self').split('/').pop()));
     const slots = new Map();
     let processes = [root];
     let tick = 0;
     const read = (path) => { try { return fs.readFileSync(path, 'utf8'); } catch { return undefined; } };
     const children = () => {
       const found = [root];
       for (const pid of fs.readdirSync('/proc')) {
         if (!/^[0-9]+$/.test(pid)) continue;
         const stat = read('/proc/' + pid + '/stat');
         if (stat && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === root) found.push(Number(pid));
       }
       return found;
     };
     const sample = () => {
       if (tick++ % 20 === 0) processes = children();
       for (const pid of processes) {
         let tids = [];
         try { tids = fs.readdirSync('/proc/' + pid + '/task'); } catch { continue; }
         for (const tid of tids) {
           const stat = read('/proc/' + pid + '/task/' + tid + '/stat');
           if (!stat) continue;
           const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
           let slot = slots.get(tid);
           if (slot === undefined) {
             if (slots.size >= table.length / 3 - 1) continue;
             slot = 1 + slots.size;
             slots.set(tid, slot);
             Atomics.store(table, 3 * slot, Number(tid));
             Atomics.store(table, 3 * slot + 2, pid);
           }
           Atomics.store(table, 3 * slot + 1, Number(f[11]) + Number(f[12]));
         }
       }
     };
     sample();
     setInterval(sample, 50);`,
    { eval: true, workerData: { table: table.buffer, pid: process.pid } },
  );
  const owners = new Map<number, number>();
  return {
    read() {
      const ticks = new Map<number, number>();
      for (let slot = 1; slot < table.length / 3; slot++) {
        const tid = Atomics.load(table, 3 * slot);
        if (tid === 0) break;
        ticks.set(tid, Atomics.load(table, 3 * slot + 1));
        owners.set(tid, Atomics.load(table, 3 * slot + 2));
      }
      ticks.delete(Atomics.load(table, 0));
      for (const tid of ticks.keys()) threadName(tid, owners.get(tid)!);
      return ticks;
    },
    owner: (tid) => owners.get(tid) ?? process.pid,
    stop: () => sampler.terminate(),
  };
}

/** CPU seconds per thread between two readings, and how many cores that kept busy. */
function phaseCpu(before: Map<number, number>, after: Map<number, number>, wallSeconds: number, owner: (tid: number) => number) {
  const seconds = [...after].map(([tid, t]) => ({ tid, s: (t - (before.get(tid) ?? 0)) / 100 })).filter((x) => x.s > 0);
  const total = seconds.reduce((sum, x) => sum + x.s, 0);
  const busiest = Math.max(0, ...seconds.map((x) => x.s));
  return {
    wallSeconds: +wallSeconds.toFixed(2),
    cpuSeconds: +total.toFixed(2),
    cpuPerWall: +(total / wallSeconds).toFixed(2),
    mainThreadSeconds: +((after.get(process.pid) ?? 0) - (before.get(process.pid) ?? 0)) / 100,
    busiestThreadSeconds: busiest,
    coresBusy: +(total / Math.max(busiest, 0.01)).toFixed(2),
    byName: Object.fromEntries(
      [...seconds.reduce((m, x) => m.set(threadName(x.tid, owner(x.tid)), (m.get(threadName(x.tid, owner(x.tid))) ?? 0) + x.s), new Map<string, number>())].map(([n, v]) => [n, +v.toFixed(2)]),
    ),
  };
}

if (parts.includes('cores')) {
  if (!values.model) throw new Error('--part cores needs --model FILE (e.g. jointshot train --preset quick --transform rotation --out DIR: DIR/best.jsm)');
  const split = syntheticSplit('test');
  const count = Number(values.episodes);
  const shots = Number(list(values.shots)[0]);
  const manifest = makeManifest(split, { ways: 5, shots, queries: 15, count, seed: 0 });
  // A trained model brings its head and transformation; a bare backbone checkpoint takes --heads (first) and --transform.
  const bare = (await peekModelFile(values.model)).kind === 'backbone-checkpoint';
  const loaded = await loadEvalModel(values.model, { dataset: 'synthetic', ...(bare ? { head: list(values.heads)[0]!, transform: values.transform } : {}) });
  const head = loaded.model.head.name;
  const meter = threadCpuMeter();
  for (const w of values.workers ? list(values.workers).map(Number) : [defaultWorkers(head, count)]) {
    const marks: { at: number; ticks: Map<number, number> }[] = [{ at: performance.now(), ticks: meter.read() }];
    const results = await evaluate({
      model: loaded.model,
      split,
      manifest,
      backend: { name: info.name, threads: info.threads },
      workers: w,
      onProgress: (phase, done, total) => {
        if (phase === 'embed' && done === total && marks.length === 1) marks.push({ at: performance.now(), ticks: meter.read() });
      },
    });
    marks.push({ at: performance.now(), ticks: meter.read() });
    const phase = (i: number) => phaseCpu(marks[i]!.ticks, marks[i + 1]!.ticks, (marks[i + 1]!.at - marks[i]!.at) / 1000, meter.owner);
    const mean = (v: number[]) => (100 * v.reduce((s, x) => s + x, 0)) / v.length;
    console.log(
      JSON.stringify({
        backend: `${info.name} (${info.threads} threads)`,
        head,
        episodes: `${count} x 5-way ${shots}-shot 15 queries, M = ${results.model.copies}`,
        workers: results.timing.workers,
        embed: phase(0),
        episodesPhase: phase(1),
        whole: phaseCpu(marks[0]!.ticks, marks[2]!.ticks, (marks[2]!.at - marks[0]!.at) / 1000, meter.owner),
        accuracy: { single: +mean(results.accuracy.single).toFixed(2), aggregated: +mean(results.accuracy.aggregated).toFixed(2) },
      }),
    );
  }
  await meter.stop();
  loaded.dispose();
}
process.exit(0);
