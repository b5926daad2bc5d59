/**
 * Training and inference throughput (images/s) of Conv-4 and ResNet-12 on the native (oneDNN)
 * backend, the wasm backend and PyTorch CPU (benchmarks/torch_reference.py), back to back per
 * model and size in one run, with the ratios to PyTorch. Not a test. The load average is printed
 * at start and end: on a busy machine the absolute numbers mean little, the ratios a bit more.
 * Usage: npx tsx benchmarks/native.ts [--models conv4,resnet12] [--sizes 32,84] [--modes train,infer]
 *   [--backends native,wasm] [--batch 80] [--batch-resnet84 16] [--steps 3] [--warmup 1]
 *   [--threads 2] [--stat mean|median] [--rounds 1] [--torch auto|off] [--python python3] [--profile [--profile-steps 1]] [--bn-layer N,H,W,C] [--sgd-ab]
 * --stat: per-step times are averaged (mean, the default) or their median taken (median: one
 * stalled step of a noisy machine does not move it), on both sides alike.
 * --rounds N: the whole measurement N times, backends and PyTorch alternating per model and size;
 * then each cell's ratio per round with its median and lowest (the main table shows the last round).
 * Asserts that the tensor count is the same before and after every measurement.
 * --profile: after each native measurement, one more step with the wall and CPU time and the minor page
 * faults of every kernel (with --profile-steps N, N more steps and their means per step).
 * --bn-layer: only times one batch-norm layer, forward + backward, on native: the backbones'
 * batchNormTrain (tfjs ops) against the fused nativeBatchNormTrain.
 * --pipeline: only times the whole-class input pipeline for one batch of `--batch` 32x32 images
 * (uint8 views as the packed cache hands them, seeded random crop + flip, normalisation, the
 * tensor, the 4 rotation copies: src/transforms as src/train/classify-step.ts uses them) against
 * one training step of `--models` (first) on the 4x batch, native.
 * --isa-kernels N,H,W,C: only times the addon's element-wise kernels on one activation of that
 * shape, once per instruction-set build this CPU runs (JOINTSHOT_NATIVE_ISA's dispatch), the
 * builds interleaved round by round (`--steps` rounds of 10 calls, after `--warmup` rounds).
 * --sgd-ab: only compares, on native, src/train's Sgd with the fused update against its tfjs ops
 * (JOINTSHOT_NATIVE_FUSED_SGD=0), interleaved round by round in one process: per round and
 * variant one training step of `--models` (first) at `--sizes` (first), its update timed too,
 * and 10 updates alone (fixed gradients); `--steps` rounds after `--warmup` rounds.
 * Training steps use src/train's Sgd (Nesterov 0.9, weight decay 5e-4, lr 0.01) as training does;
 * on native its fused update unless JOINTSHOT_NATIVE_FUSED_SGD=0.
 * Other models: conv4, resnet12, resnet20/32/56, resnet18 (PyTorch's in torch_reference.py).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { NATIVE_BACKEND, nativeBatchNormTrain, nativeIsa, nativeKernelCounts, registerNativeBackend } from '../src/backend/native/index.js';
import { assertWasmHeapHealthy } from '../src/backend/wasm/index.js';
import { batchNormTrain, createBackbone, type Backbone } from '../src/backbones/index.js';
import type { Sgd } from '../src/train/index.js';
import { timeNativeKernels } from './lib/kernel-timer.js';
import { benchmarkTrainStep, createBenchmarkSgd } from './lib/train-step.js';
import { tf } from '../src/tf.js';
import { getLabelTransform, prepareImages, recipeAugmentation } from '../src/transforms/index.js';
import { createRng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'conv4,resnet12' },
    sizes: { type: 'string', default: '32,84' },
    modes: { type: 'string', default: 'train,infer' },
    backends: { type: 'string', default: 'native,wasm' },
    batch: { type: 'string', default: '80' },
    'batch-resnet84': { type: 'string', default: '16' },
    steps: { type: 'string', default: '3' },
    stat: { type: 'string', default: 'mean' },
    rounds: { type: 'string', default: '1' },
    'profile-steps': { type: 'string', default: '1' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    torch: { type: 'string', default: 'auto' },
    python: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'bn-layer': { type: 'string' },
    pipeline: { type: 'boolean', default: false },
    'isa-kernels': { type: 'string' },
    'sgd-ab': { type: 'boolean', default: false },
  },
});

const list = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean);
const steps = Number(values.steps);
const stat = values.stat!;
if (stat !== 'mean' && stat !== 'median') throw new Error(`--stat: expected mean or median, found '${stat}'`);
const warmup = Number(values.warmup);
const threads = Number(values.threads);
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

type Mode = 'train' | 'infer';
/** Images per second by `${model} ${size} ${mode}` and column (backend name or 'torch'). */
const results = new Map<string, Record<string, number | string>>();
const record = (key: string, column: string, value: number | string) => results.set(key, { ...results.get(key), [column]: value });

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Runs `body` warmup + steps times; wall and process CPU (all threads) ms per timed step: their
 * means, or with `--stat median` each one's median over the steps (robust to a stalled step).
 */
function time(body: () => void): { ms: number; cpuMs: number } {
  for (let i = 0; i < warmup; i++) body();
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    body();
    const used = process.cpuUsage(cpu);
    walls.push(Number(process.hrtime.bigint() - start) / 1e6);
    cpus.push((used.user + used.system) / 1000);
  }
  if (stat === 'median') return { ms: median(walls), cpuMs: median(cpus) };
  return { ms: walls.reduce((a, b) => a + b, 0) / steps, cpuMs: cpus.reduce((a, b) => a + b, 0) / steps };
}

/** One benchmark training step (benchmarks/lib/train-step.ts); returns the wall and CPU ms of its Sgd update. */
function trainStep(backbone: Backbone, x: tf.Tensor4D, sgd: Sgd): { ms: number; cpuMs: number } {
  let update = { ms: 0, cpuMs: 0 };
  benchmarkTrainStep(backbone, x, sgd, (run) => {
    const wall = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    run();
    const used = process.cpuUsage(cpu);
    update = { ms: Number(process.hrtime.bigint() - wall) / 1e6, cpuMs: (used.user + used.system) / 1000 };
  });
  return update;
}

async function activate(backend: string): Promise<boolean> {
  if (backend === NATIVE_BACKEND) {
    const probe = registerNativeBackend(threads);
    if (!probe.available) {
      console.log(`native: not available (${probe.detail})`);
      return false;
    }
    await tf.setBackend(NATIVE_BACKEND);
    const isa = nativeIsa()!;
    console.log(`native: ${probe.detail}, ${threads} thread(s), element-wise loops ${isa.active} (this CPU: ${isa.available.join(', ')}; JOINTSHOT_NATIVE_ISA caps it)`);
    return true;
  }
  process.env.JOINTSHOT_WASM_THREADS ??= String(threads);
  const info = await initBackend(backend);
  console.log(`${info.name}: ${info.threads} thread(s)${info.note ? ` (${info.note})` : ''}`);
  return true;
}

/** One backend on one model and size, every mode; errors (e.g. the wasm heap cap) are recorded. */
async function measureBackend(backend: string, model: string, size: number, batch: number): Promise<void> {
  if (!(await activate(backend))) return;
  const backbone = createBackbone({ name: model, seed: 1 });
  const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const sgd = createBenchmarkSgd(backbone);
  try {
    for (const mode of list(values.modes!) as Mode[]) {
      const key = `${model} ${size} ${mode}`;
      try {
        const before = tf.memory().numTensors;
        const { ms, cpuMs } = mode === 'train' ? time(() => trainStep(backbone, x, sgd)) : time(() => tf.tidy(() => void backbone.embed(x).dataSync()));
        if (backend === 'wasm') assertWasmHeapHealthy();
        // Sgd made its momentum buffers when it was created.
        const grown = tf.memory().numTensors - before;
        if (grown !== 0) throw new Error(`tensor count changed by ${grown} over the measurement`);
        record(key, backend, (batch * 1000) / ms);
        record(key, `${backend} cpu`, (batch * 1000) / cpuMs);
        if (values.profile && backend === NATIVE_BACKEND) {
          profileKernels(`${key} profile`, mode === 'train' ? () => trainStep(backbone, x, sgd) : () => tf.tidy(() => void backbone.embed(x).dataSync()));
        }
        console.log(`${backend} ${key} batch ${batch}: ${ms.toFixed(0)} ms/step (CPU ${cpuMs.toFixed(0)} ms), ${((batch * 1000) / ms).toFixed(1)} img/s (load ${load()})`);
      } catch (error) {
        record(key, backend, `failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
        console.log(`${backend} ${key}: failed (${String(error).split('\n')[0]})`);
      }
    }
  } finally {
    sgd.dispose();
    x.dispose();
    backbone.dispose();
  }
}

/**
 * Runs `body` once with every native kernel wrapped to sum its wall and process CPU time; prints
 * the top ones, the time outside kernels, and the calls that fell back to the cpu kernels.
 */
function profileKernels(label: string, body: () => void): void {
  const spent = new Map<string, { ms: number; cpuMs: number; faults: number; calls: number }>();
  const restore = timeNativeKernels(() => true, (name, _args, sample) => {
    const entry = spent.get(name) ?? { ms: 0, cpuMs: 0, faults: 0, calls: 0 };
    entry.ms += sample.ms;
    entry.cpuMs += sample.cpuMs;
    entry.faults += sample.faults;
    entry.calls++;
    spent.set(name, entry);
  });
  const countsBefore = nativeKernelCounts();
  const wall = process.hrtime.bigint();
  const start = process.cpuUsage();
  const faults = process.resourceUsage().minorPageFault;
  const steps = profileSteps;
  try {
    for (let i = 0; i < steps; i++) body();
  } finally {
    restore();
  }
  const used = process.cpuUsage(start);
  const totalFaults = (process.resourceUsage().minorPageFault - faults) / steps;
  const totalMs = Number(process.hrtime.bigint() - wall) / 1e6 / steps;
  const totalCpu = (used.user + used.system) / 1000 / steps;
  for (const entry of spent.values()) {
    entry.ms /= steps;
    entry.cpuMs /= steps;
    entry.faults /= steps;
    entry.calls /= steps;
  }
  const inKernels = [...spent.values()].reduce((a, e) => ({ ms: a.ms + e.ms, cpuMs: a.cpuMs + e.cpuMs }), { ms: 0, cpuMs: 0 });
  const top = [...spent].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20);
  console.log(`  ${label}${steps > 1 ? ` (per step, mean of ${steps})` : ''}: ${totalMs.toFixed(0)} ms wall, ${totalCpu.toFixed(0)} ms CPU (${(used.system / 1000 / steps).toFixed(0)} in the kernel), ${totalFaults.toFixed(0)} minor page faults; outside kernels ` +
    `${(totalMs - inKernels.ms).toFixed(0)} ms wall (${(totalCpu - inKernels.cpuMs).toFixed(0)} CPU); by kernel, wall (CPU) [calls, page faults]: ` +
    top.map(([name, e]) => `${name} ${e.ms.toFixed(steps > 1 ? 1 : 0)} (${e.cpuMs.toFixed(steps > 1 ? 1 : 0)}) [${e.calls}, ${e.faults.toFixed(0)}]`).join(', '));
  const countsAfter = nativeKernelCounts();
  const fellBack = Object.entries(countsAfter)
    .map(([k, v]) => [k, v.fallback - (countsBefore[k]?.fallback ?? 0)] as const)
    .filter(([, n]) => n > 0);
  if (fellBack.length > 0) console.log(`  ${label}: fell back to cpu: ${fellBack.map(([k, n]) => `${k} ${n}`).join(', ')}`);
}

/** One batch-norm layer, forward + backward, on native: tfjs ops vs the fused kernels. */
async function benchmarkBatchNorm(shape: [number, number, number, number]): Promise<void> {
  if (!(await activate(NATIVE_BACKEND))) return;
  const x = tf.randomNormal(shape) as tf.Tensor4D;
  const dy = tf.randomNormal(shape);
  const gamma = tf.ones([shape[3]!]) as tf.Tensor1D;
  const beta = tf.zeros([shape[3]!]) as tf.Tensor1D;
  for (const [name, bn] of [['batchNormTrain (tfjs ops)', batchNormTrain], ['nativeBatchNormTrain (fused)', nativeBatchNormTrain]] as const) {
    const run = () => tf.tidy(() => {
      tf.grads((a, g, b) => bn(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D))([x, gamma, beta], dy).forEach((t) => t.dataSync());
    });
    const { ms, cpuMs } = time(run);
    console.log(`[${shape.join(',')}] ${name}: ${ms.toFixed(0)} ms, CPU ${cpuMs.toFixed(0)} ms forward+backward (load ${load()})`);
  }
  tf.dispose([x, dy, gamma, beta]);
}

/** The element-wise kernels on one activation, per instruction-set build, interleaved round by round. */
async function benchmarkIsaKernels(shape: [number, number, number, number]): Promise<void> {
  if (!(await activate(NATIVE_BACKEND))) return;
  const start = nativeIsa()!.active;
  const x = tf.randomNormal(shape, 0, 1, 'float32', 3) as tf.Tensor4D;
  const y = tf.randomNormal(shape, 0, 1, 'float32', 4) as tf.Tensor4D;
  const channel = tf.randomUniform([shape[3]], 0.5, 1.5, 'float32', 5) as tf.Tensor1D;
  const kernels: Array<[string, () => tf.Tensor | tf.Tensor[]]> = [
    ['Multiply', () => x.mul(y)],
    ['Add (per-channel)', () => x.add(channel)],
    ['LeakyRelu', () => tf.leakyRelu(x, 0.1)],
    ['Step', () => tf.step(x, 0.1)],
    ['Greater', () => tf.greater(x, y)],
    ['FusedBatchNorm', () => tf.batchNorm4d(x, channel, channel, channel, channel)],
    ['Mean [1,2]', () => x.mean([1, 2])],
    ['Sum [0,1,2]', () => x.sum([0, 1, 2])],
    ['batch norm train fwd+bwd', () => tf.grads((a, g, b) => nativeBatchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D))([x, channel, channel], y)],
  ];
  const spent = new Map<string, number>();
  const calls = 10;
  for (let round = 0; round < warmup + steps; round++) {
    for (const isa of nativeIsa()!.available) {
      nativeIsa(isa);
      for (const [name, run] of kernels) {
        const before = process.cpuUsage();
        for (let i = 0; i < calls; i++) tf.dispose(run());
        const used = process.cpuUsage(before);
        if (round >= warmup) spent.set(`${name}|${isa}`, (spent.get(`${name}|${isa}`) ?? 0) + (used.user + used.system) / 1000 / calls / steps);
      }
    }
  }
  nativeIsa(start);
  tf.dispose([x, y, channel]);
  const isas = nativeIsa()!.available;
  console.log(`\nCPU ms per call on [${shape.join(',')}] (${steps} rounds of ${calls} calls, builds interleaved; load ${load()})`);
  console.log(`| kernel | ${isas.join(' | ')} | ${isas.slice(1).map((i) => `${i}/${isas[0]}`).join(' | ')} |`);
  console.log(`|---|${isas.map(() => '---|').join('')}${isas.slice(1).map(() => '---|').join('')}`);
  for (const [name] of kernels) {
    const ms = isas.map((i) => spent.get(`${name}|${i}`)!);
    console.log(`| ${name} | ${ms.map((m) => m.toFixed(2)).join(' | ')} | ${ms.slice(1).map((m) => (m / ms[0]!).toFixed(2)).join(' | ')} |`);
  }
}

/** Sgd's fused native update vs its tfjs ops, interleaved: whole training steps and the update alone. */
async function benchmarkSgd(model: string, size: number, batch: number): Promise<void> {
  if (!(await activate(NATIVE_BACKEND))) return;
  const backbone = createBackbone({ name: model, seed: 1 });
  const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const sgd = createBenchmarkSgd(backbone);
  const grads = tf.tidy(() => Object.fromEntries(Object.entries(backbone.trainable).map(([name, v], i) => [name, tf.randomNormal(v.shape, 0, 1e-3, 'float32', 10 + i)])));
  const variants = [['tfjs ops', '0'], ['fused', '1']] as const;
  const spent = new Map<string, { ms: number; cpuMs: number }>();
  const add = (key: string, ms: number, cpuMs: number) => {
    const entry = spent.get(key) ?? { ms: 0, cpuMs: 0 };
    entry.ms += ms / steps;
    entry.cpuMs += cpuMs / steps;
    spent.set(key, entry);
  };
  const since = (wall: bigint, cpu: NodeJS.CpuUsage, count: number) => {
    const used = process.cpuUsage(cpu);
    return [Number(process.hrtime.bigint() - wall) / 1e6 / count, (used.user + used.system) / 1000 / count] as const;
  };
  const before = tf.memory().numTensors;
  const saved = process.env.JOINTSHOT_NATIVE_FUSED_SGD;
  const updates = 10;
  try {
    for (let round = 0; round < warmup + steps; round++) {
      for (const [name, flag] of variants) {
        process.env.JOINTSHOT_NATIVE_FUSED_SGD = flag;
        let wall = process.hrtime.bigint();
        let cpu = process.cpuUsage();
        const inStep = trainStep(backbone, x, sgd);
        const step = since(wall, cpu, 1);
        wall = process.hrtime.bigint();
        cpu = process.cpuUsage();
        for (let i = 0; i < updates; i++) sgd.step(grads, 0.01);
        const alone = since(wall, cpu, updates);
        if (round < warmup) continue;
        add(`step|${name}`, ...step);
        add(`in-step|${name}`, inStep.ms, inStep.cpuMs);
        add(`alone|${name}`, ...alone);
      }
    }
  } finally {
    if (saved === undefined) delete process.env.JOINTSHOT_NATIVE_FUSED_SGD;
    else process.env.JOINTSHOT_NATIVE_FUSED_SGD = saved;
  }
  const grown = tf.memory().numTensors - before;
  if (grown !== 0) throw new Error(`tensor count changed by ${grown} over the measurement`);
  const count = Object.keys(backbone.trainable).length;
  tf.dispose([x, ...Object.values(grads)]);
  sgd.dispose();
  backbone.dispose();
  console.log(`\n${model} ${size}x${size} batch ${batch}, ${count} parameters: ms per call, wall (CPU); ${steps} rounds after ${warmup}, variants interleaved (load ${load()})`);
  console.log('| | tfjs ops | fused | fused / ops, wall (CPU) |');
  console.log('|---|---|---|---|');
  const rows = [['training step', 'step'], ['its Sgd.step', 'in-step'], [`Sgd.step alone (x${updates}, fixed gradients)`, 'alone']] as const;
  for (const [label, key] of rows) {
    const [ops, fused] = variants.map(([name]) => spent.get(`${key}|${name}`)!);
    console.log(`| ${label} | ${ops!.ms.toFixed(1)} (${ops!.cpuMs.toFixed(1)}) | ${fused!.ms.toFixed(1)} (${fused!.cpuMs.toFixed(1)}) | ${(fused!.ms / ops!.ms).toFixed(2)} (${(fused!.cpuMs / ops!.cpuMs).toFixed(2)}) |`);
  }
}

/**
 * glibc settings for the PyTorch process equal to what the native backend sets for itself with
 * mallopt (native/src/buffer-pool.cc, keepFreedMemory): freed blocks stay in the process. Without
 * them every PyTorch step maps fresh pages for its activations, and where first-touch page faults
 * are slow (this VM from 2026-12-04 on) its steps took 5-20x longer (docs/performance.md).
 * Variables the caller set win.
 */
const TORCH_MALLOC = { MALLOC_MMAP_THRESHOLD_: String(512 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30) };

/** The PyTorch reference for one model and size, or why it is missing. */
function measureTorch(model: string, size: number): void {
  if (values.torch === 'off') return;
  const candidates = values.python ? [values.python] : ['python3', '/usr/bin/python3'];
  const script = new URL('./torch_reference.py', import.meta.url).pathname;
  const args = [script, '--models', model, '--sizes', String(size), '--modes', values.modes!, '--batch', values.batch!,
    '--batch-resnet84', values['batch-resnet84']!, '--steps', String(steps), '--warmup', String(warmup), '--threads', String(threads), '--stat', stat];
  for (const python of candidates) {
    const run = spawnSync(python, args, { encoding: 'utf8', env: { ...TORCH_MALLOC, ...process.env } });
    const lines = (run.stdout ?? '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    if (lines.length === 0 || lines[0]!.torch === null) continue;
    for (const line of lines) {
      const key = `${line.model} ${line.size} ${line.mode}`;
      record(key, 'torch', line.images_per_s as number);
      record(key, 'torch cpu', ((line.batch as number) * 1000) / (line.cpu_ms as number));
      console.log(`torch ${line.torch} ${key} batch ${line.batch}: ${line.ms} ms/step (CPU ${line.cpu_ms} ms), ${line.images_per_s} img/s (load ${load()})`);
    }
    return;
  }
  console.log(`torch: not available from ${candidates.join(', ')} (column skipped)`);
}

/** Input pipeline of one whole-class batch vs one training step on its 4 copies (native). */
async function benchmarkPipeline(model: string, batch: number): Promise<void> {
  if (!(await activate(NATIVE_BACKEND))) return;
  const side = 32;
  const rng = createRng(7);
  const cache = new Uint8Array(batch * 8 * side * side * 3).map(() => Math.floor(rng() * 256));
  const rotation = getLabelTransform('rotation');
  const normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
  const augmentation = recipeAugmentation(side);
  let offset = 0;
  const prepare = () => tf.tidy(() => {
    const images = Array.from({ length: batch }, (_, i) => cache.subarray(((offset + i) % (batch * 8)) * side * side * 3, ((offset + i) % (batch * 8) + 1) * side * side * 3));
    offset += batch;
    const pixels = prepareImages(images, { shape: { height: side, width: side, channels: 3 }, normalization, augmentation, rng });
    return rotation.apply(tf.tensor4d(pixels, [batch, side, side, 3]));
  });
  const input = time(() => prepare().dispose());
  const backbone = createBackbone({ name: model, seed: 1 });
  const x = prepare();
  const sgd = createBenchmarkSgd(backbone);
  const step = time(() => trainStep(backbone, x, sgd));
  console.log(`input pipeline, ${batch} images x ${rotation.count} copies (${x.shape.join('x')}): ${input.ms.toFixed(1)} ms wall (CPU ${input.cpuMs.toFixed(1)} ms)`);
  console.log(`${model} training step on it: ${step.ms.toFixed(0)} ms wall (CPU ${step.cpuMs.toFixed(0)} ms): pipeline / step = ${(input.cpuMs / step.cpuMs).toFixed(4)} by CPU, ${(input.ms / step.ms).toFixed(4)} by wall (load ${load()})`);
  tf.dispose([x]);
  sgd.dispose();
  backbone.dispose();
}

/**
 * With --rounds N: each backend's ratio to PyTorch per cell and round (by wall, by CPU in
 * brackets), with the median and the lowest over the rounds. The rounds alternate the backends and
 * PyTorch per model and size, so that a slow spell of the machine lands on both sides.
 */
function printRoundRatios(): void {
  for (const backend of backends) {
    console.log(`\n${backend}/torch per round, by wall (by CPU); median and lowest over ${rounds} rounds`);
    console.log(`| model size mode | ${perRound.map((_, r) => `round ${r + 1}`).join(' | ')} | median | lowest |`);
    console.log(`|---|${perRound.map(() => '---|').join('')}---|---|`);
    for (const key of results.keys()) {
      const pairs = perRound.map((round) => {
        const row = round.get(key) ?? {};
        const [a, b, ac, bc] = [row[backend], row.torch, row[`${backend} cpu`], row['torch cpu']];
        return typeof a === 'number' && typeof b === 'number' && typeof ac === 'number' && typeof bc === 'number' ? [a / b, ac / bc] as const : undefined;
      });
      const got = pairs.filter((p) => p !== undefined) as Array<readonly [number, number]>;
      const show = (w: number, c: number) => `${w.toFixed(2)}x (${c.toFixed(2)}x)`;
      const summary = got.length === 0 ? ['-', '-']
        : [show(median(got.map((p) => p[0])), median(got.map((p) => p[1]))), show(Math.min(...got.map((p) => p[0])), Math.min(...got.map((p) => p[1])))];
      console.log(`| ${key} | ${pairs.map((p) => (p ? show(p[0], p[1]) : '-')).join(' | ')} | ${summary.join(' | ')} |`);
    }
  }
}

/** A whole-number option >= 1, or a one-line message and exit 2. */
function countOption(name: 'rounds' | 'profile-steps'): number {
  const n = Number(values[name]);
  if (Number.isInteger(n) && n >= 1) return n;
  console.error(`--${name}: expected a whole number >= 1, found '${values[name]}'`);
  process.exit(2);
}
const rounds = countOption('rounds');
const profileSteps = countOption('profile-steps');

console.log(`load average at start: ${load()} (${os.availableParallelism()} cores)`);
if (values.pipeline) {
  await benchmarkPipeline(list(values.models!)[0]!, Number(values.batch));
  process.exit(0);
}
if (values['isa-kernels']) {
  await benchmarkIsaKernels(list(values['isa-kernels']).map(Number) as [number, number, number, number]);
  process.exit(0);
}
if (values['sgd-ab']) {
  const model = list(values.models!)[0]!;
  const size = list(values.sizes!).map(Number)[0]!;
  await benchmarkSgd(model, size, Number(model === 'resnet12' && size >= 84 ? values['batch-resnet84'] : values.batch));
  process.exit(0);
}
if (values['bn-layer']) {
  await benchmarkBatchNorm(list(values['bn-layer']).map(Number) as [number, number, number, number]);
  process.exit(0);
}
const backends = list(values.backends!);
const perRound: Array<Map<string, Record<string, number | string>>> = [];
for (let round = 0; round < rounds; round++) {
  if (rounds > 1) console.log(`round ${round + 1} of ${rounds} (load ${load()})`);
  for (const model of list(values.models!)) {
    for (const size of list(values.sizes!).map(Number)) {
      const batch = Number(model === 'resnet12' && size >= 84 ? values['batch-resnet84'] : values.batch);
      for (const backend of backends) await measureBackend(backend, model, size, batch);
      measureTorch(model, size);
    }
  }
  perRound.push(new Map([...results].map(([key, row]) => [key, { ...row }])));
}
console.log(`load average at end: ${load()}`);

const format = (v: number | string | undefined) => (typeof v === 'number' ? v.toFixed(1) : v ?? '-');
const ratio = (a: number | string | undefined, b: number | string | undefined) =>
  typeof a === 'number' && typeof b === 'number' ? `${(a / b).toFixed(2)}x` : '-';
console.log('\nimages/s by wall time; in brackets, images per CPU-second (all threads: steadier under load)');
console.log(`| model size mode | ${backends.join(' | ')} | torch | ${backends.map((b) => `${b}/torch`).join(' | ')} |`);
console.log(`|---|${backends.map(() => '---|').join('')}---|${backends.map(() => '---|').join('')}`);
const cell = (row: Record<string, number | string>, column: string) =>
  typeof row[column] === 'number' ? `${format(row[column])} (${format(row[`${column} cpu`])})` : format(row[column]);
for (const [key, row] of results) {
  const ratios = backends.map((b) => `${ratio(row[b], row.torch)} (${ratio(row[`${b} cpu`], row['torch cpu'])})`);
  console.log(`| ${key} | ${backends.map((b) => cell(row, b)).join(' | ')} | ${cell(row, 'torch')} | ${ratios.join(' | ')} |`);
}
if (rounds > 1) printRoundRatios();
const fallbacks = Object.entries(nativeKernelCounts()).filter(([, c]) => c.fallback > 0);
if (fallbacks.length > 0) console.log(`\nnative kernels that fell back to cpu: ${fallbacks.map(([k, c]) => `${k} ${c.fallback}/${c.native + c.fallback}`).join(', ')}`);
process.exit(0);
