/**
 * wasm backend kernels: stock tfjs-backend-wasm vs jointshot's, on 1 and 2 threads, plus a Conv-4
 * 32x32 training step. Not a test. Timings are medians after warm-up runs: wall-clock ms and
 * the process CPU ms of that run (all threads; on a busy machine wall > cpu / threads).
 * Usage: npx tsx benchmarks/wasm-kernels.ts [--threads 1,2] [--reps 3] [--batch 80] [--no-train]
 *   [--profile]   (top kernels of one jointshot training step)
 *   [--cases matmul,backprop]   (only kernel cases whose label contains one of these words;
 *   `--cases none --no-train` times just the module start)
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  assertWasmHeapHealthy,
  setupWasm,
  shutdownBackend,
  wasmBackendInfo,
  wasmHeapBytes,
} from '../src/backend/wasm/index.js';
import { stockKernel } from '../src/backend/wasm/kernels/kernel-utils.js';
import { createBackbone } from '../src/backbones/index.js';
import { tf } from '../src/tf.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    reps: { type: 'string', default: '3' },
    batch: { type: 'string', default: '80' },
    'no-train': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    cases: { type: 'string', default: '' },
  },
});
const reps = Number(values.reps);
const batch = Number(values.batch);

/** Wall-clock and process CPU time (all threads) of one run, in ms. */
interface Timing {
  wall: number;
  cpu: number;
}

/**
 * Median timing of `body` over `reps` runs after warm-up runs (a single run when warming up took
 * > 2 s); `prepare` (untimed) runs before each call and its result is handed to `body`.
 */
function timeMs<T>(body: (prepared: T) => void, prepare: () => T = () => undefined as T): Timing {
  // Warm-up: up to 3 runs (JS loops need a few calls before V8 optimises them), at most ~2 s.
  let warm = 0;
  for (let i = 0; i < 3 && warm < 2000; i++) {
    const w0 = performance.now();
    body(prepare());
    warm += performance.now() - w0;
  }
  const runs = warm > 2000 ? 1 : reps;
  const times: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    const prepared = prepare();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    body(prepared);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    times.push({ wall, cpu: (c.user + c.system) / 1000 });
  }
  times.sort((a, b) => a.wall - b.wall);
  return times[Math.floor(times.length / 2)]!;
}

type Inputs = Record<string, tf.Tensor>;

/**
 * Times one kernel implementation called directly on the backend (no autograd, no registry).
 * With `fresh`, every run gets new input tensors (XNNPACK caches packed weights per tensor).
 */
function timeKernel(
  config: tf.KernelConfig | undefined,
  c: KernelCase,
  inputs: Inputs,
): Timing | undefined {
  if (!config) return undefined;
  const backend = tf.backend() as BackendWasm;
  let previous: Inputs | undefined;
  const timing = timeMs(
    (run: Inputs) => {
      const out = config.kernelFunc({ inputs: run as tf.NamedTensorInfoMap, backend, attrs: c.attrs as tf.NamedAttrMap });
      for (const info of Array.isArray(out) ? out : [out]) backend.disposeData(info.dataId);
    },
    () => {
      if (!c.fresh) return inputs;
      if (previous) Object.values(previous).forEach((t) => t.dispose());
      previous = c.inputs();
      return previous;
    },
  );
  if (previous) Object.values(previous).forEach((t) => t.dispose());
  return timing;
}

interface KernelCase {
  label: string;
  kernel: string;
  inputs: () => Inputs;
  attrs: Record<string, unknown>;
  /** New inputs for every run (as in training, where activations are new tensors each step). */
  fresh?: boolean;
}

const rand = (shape: number[]) => tf.randomUniform(shape, -1, 1, 'float32', 7);
const conv = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
const CASES: KernelCase[] = [
  { label: 'matmul 1024^3', kernel: 'BatchMatMul', inputs: () => ({ a: rand([1, 1024, 1024]), b: rand([1, 1024, 1024]) }), attrs: { transposeA: false, transposeB: false } },
  { label: 'matmul 1024^3 b^T', kernel: 'BatchMatMul', inputs: () => ({ a: rand([1, 1024, 1024]), b: rand([1, 1024, 1024]) }), attrs: { transposeA: false, transposeB: true } },
  { label: 'matmul 8 x 100^3', kernel: 'BatchMatMul', inputs: () => ({ a: rand([8, 100, 100]), b: rand([8, 100, 100]) }), attrs: { transposeA: false, transposeB: false } },
  { label: 'matmul 8 x 100x1600 . (100x1600)^T', kernel: 'BatchMatMul', inputs: () => ({ a: rand([8, 100, 1600]), b: rand([8, 100, 1600]) }), attrs: { transposeA: false, transposeB: true } },
  {
    label: `column sums ones[1,M] x X[M,64], M=${batch}*32*32`,
    kernel: 'BatchMatMul',
    inputs: () => ({ a: tf.ones([1, batch * 1024]), b: rand([batch * 1024, 64]) }),
    attrs: { transposeA: false, transposeB: false },
    fresh: true,
  },
  { label: `conv2d fwd ${batch}x32x32x64, 3x3x64x64`, kernel: 'Conv2D', inputs: () => ({ x: rand([batch, 32, 32, 64]), filter: rand([3, 3, 64, 64]) }), attrs: conv },
  {
    label: `conv2d backprop-input ${batch}x32x32x64`,
    kernel: 'Conv2DBackpropInput',
    inputs: () => ({ dy: rand([batch, 32, 32, 64]), filter: rand([3, 3, 64, 64]) }),
    attrs: { ...conv, inputShape: [batch, 32, 32, 64] },
  },
  {
    label: `conv2d backprop-filter ${batch}x32x32x64`,
    kernel: 'Conv2DBackpropFilter',
    inputs: () => ({ x: rand([batch, 32, 32, 64]), dy: rand([batch, 32, 32, 64]) }),
    attrs: { ...conv, filterShape: [3, 3, 64, 64] },
  },
  {
    label: `conv2d backprop-filter ${batch}x32x32x64 stride 2`,
    kernel: 'Conv2DBackpropFilter',
    inputs: () => ({ x: rand([batch, 32, 32, 64]), dy: rand([batch, 16, 16, 64]) }),
    attrs: { ...conv, strides: [2, 2], filterShape: [3, 3, 64, 64] },
  },
  {
    label: `max-pool 2x2 gradient ${batch}x32x32x64`,
    kernel: 'MaxPoolGrad',
    inputs: () => {
      const input = rand([batch, 32, 32, 64]);
      return { input, output: tf.maxPool(input as tf.Tensor4D, 2, 2, 'valid'), dy: rand([batch, 16, 16, 64]) };
    },
    attrs: { filterSize: [2, 2], strides: [2, 2], pad: 'valid', dimRoundingMode: undefined },
  },
  ...[
    [16, 84, 64],
    [16, 42, 160],
  ].flatMap(([n, side, c]) => [
    {
      label: `ResNet-12 layer conv2d fwd ${n}x${side}x${side}x${c}`,
      kernel: 'Conv2D',
      inputs: () => ({ x: rand([n!, side!, side!, c!]), filter: rand([3, 3, c!, c!]) }),
      attrs: conv,
      fresh: true,
    },
    {
      label: `ResNet-12 layer backprop-input ${n}x${side}x${side}x${c}`,
      kernel: 'Conv2DBackpropInput',
      inputs: () => ({ dy: rand([n!, side!, side!, c!]), filter: rand([3, 3, c!, c!]) }),
      attrs: { ...conv, inputShape: [n, side, side, c] },
    },
    {
      label: `ResNet-12 layer backprop-filter ${n}x${side}x${side}x${c}`,
      kernel: 'Conv2DBackpropFilter',
      inputs: () => ({ x: rand([n!, side!, side!, c!]), dy: rand([n!, side!, side!, c!]) }),
      attrs: { ...conv, filterShape: [3, 3, c, c] },
    },
  ]),
];

const fmt = (t: Timing | undefined) => (t === undefined ? 'missing' : `${t.wall.toFixed(1)} ms (cpu ${t.cpu.toFixed(0)})`);

/** One Conv-4 training step (forward, loss, backward, SGD) per call; ms per step. */
async function conv4StepMs(): Promise<Timing> {
  const backbone = createBackbone({ name: 'conv4', seed: 1 });
  const x = tf.randomUniform([batch, 32, 32, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  const optimizer = tf.train.momentum(0.01, 0.9, true);
  const step = () => {
    const loss = optimizer.minimize(() => backbone.embed(x, { training: true }).square().mean() as tf.Scalar, true, backbone.variables);
    loss?.dataSync();
    loss?.dispose();
  };
  if (values.profile) {
    step();
    const profile = await tf.profile(step);
    const byKernel = new Map<string, number>();
    for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
    const top = [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 8);
    console.log(`  profile (one step): ${top.map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(', ')} (ms)`);
  }
  const timing = timeMs(() => step());
  assertWasmHeapHealthy();
  optimizer.dispose();
  x.dispose();
  backbone.dispose();
  return timing;
}

/** Runs `body` with the stock wasm kernels for `names` registered instead of jointshot's. */
async function withStock<T>(names: string[], body: () => Promise<T>): Promise<T> {
  const ours = names.map((n) => tf.getKernel(n, 'wasm')!);
  const swap = (configs: tf.KernelConfig[]) => {
    for (const c of configs) {
      tf.unregisterKernel(c.kernelName, 'wasm');
      tf.registerKernel(c);
    }
  };
  swap(names.map((n) => stockKernel(n)));
  try {
    return await body();
  } finally {
    swap(ours);
  }
}

console.log(`wasm kernels benchmark (${new Date().toISOString()}), batch ${batch}, median of ${reps} after up to 3 warm-ups, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const threads of values.threads!.split(',').map(Number)) {
  shutdownBackend();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await setupWasm({ threads });
  await tf.setBackend('wasm');
  const used = process.cpuUsage(c0);
  const start: Timing = { wall: performance.now() - t0, cpu: (used.user + used.system) / 1000 };
  const info = wasmBackendInfo()!;
  console.log(`\n## ${info.threads} thread(s)${info.threaded ? ' (threaded-simd build)' : ''}${info.fallbackReason ? ` fallback: ${info.fallbackReason}` : ''}`);
  console.log(`  ${'module start (setupWasm + setBackend)'.padEnd(50)} ${fmt(start)}`);
  const wanted = values.cases!.split(',').filter(Boolean);
  for (const c of CASES.filter((k) => wanted.length === 0 || wanted.some((w) => k.label.includes(w)))) {
    const inputs = c.inputs();
    const stock = c.kernel === 'Conv2DBackpropFilter' ? undefined : timeKernel(stockKernel(c.kernel), c, inputs);
    const ours = timeKernel(tf.getKernel(c.kernel, 'wasm'), c, inputs);
    Object.values(inputs).forEach((t) => t.dispose());
    console.log(`  ${c.label.padEnd(50)} stock ${fmt(stock).padStart(22)}   jointshot ${fmt(ours).padStart(22)}`);
  }
  if (!values['no-train']) {
    const before = await withStock(['Conv2DBackpropInput', 'BatchMatMul'], conv4StepMs);
    console.log(`  Conv-4 32x32 train step, batch ${batch}, stock kernels + our backprop-filter: ${fmt(before)}`);
    const after = await conv4StepMs();
    console.log(`  Conv-4 32x32 train step, batch ${batch}, jointshot kernels:                    ${fmt(after)}, ${((batch * 1000) / after.wall).toFixed(1)} img/s`);
  }
  console.log(`  wasm heap ${(wasmHeapBytes() / 1024 ** 3).toFixed(2)} GiB`);
}
shutdownBackend();
