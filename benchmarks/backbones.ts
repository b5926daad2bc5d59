/**
 * Embedding throughput (images/s) of the backbones: training (forward + backward + SGD step,
 * training-mode BN and dropout) and inference, per backend and input size. Not a test.
 * Usage: npx tsx benchmarks/backbones.ts [--backend wasm|cpu|tensorflow] [--models conv4,resnet12]
 *   [--sizes 32,84] [--modes train,infer] [--batch 16] [--batch-resnet84 4] [--steps 3] [--warmup 1]
 *   [--widths 64,160,320,640] [--layers 16,32,32,64] [--profile]
 * --layers N,H,W,C times instead the forward+backward of one batch-norm and LeakyReLU layer on an
 * [N,H,W,C] input: our custom gradients against tfjs's own (tf.moments BN, tf.leakyRelu). The 2x2
 * max-pool has no custom gradient since issue 12 (benchmarks/maxpool-ties.ts times the change).
 * --profile adds, per configuration, the kernels taking most time in one training step (tf.profile).
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { assertWasmHeapHealthy, wasmHeapBytes } from '../src/backend/wasm/index.js';
import { batchNormTrain, createBackbone, leakyRelu, type Backbone, type BackboneConfig } from '../src/backbones/index.js';
import { tf } from '../src/tf.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    models: { type: 'string', default: 'conv4,resnet12' },
    sizes: { type: 'string', default: '32,84' },
    modes: { type: 'string', default: 'train,infer' },
    batch: { type: 'string', default: '16' },
    'batch-resnet84': { type: 'string', default: '4' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    widths: { type: 'string' },
    layers: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});

const list = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean);
const info = await initBackend(values.backend);
console.log(`backend ${info.name}, ${info.threads} thread(s)${info.note ? ` (${info.note})` : ''}`);
const steps = Number(values.steps);
const warmup = Number(values.warmup);

/** Runs `body` `warmup + steps` times; returns wall and process-CPU ms per timed step. */
function time(body: () => void): { ms: number; cpu: number } {
  for (let i = 0; i < warmup; i++) body();
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) body();
  const c = process.cpuUsage(c0);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6 / steps, cpu: (c.user + c.system) / 1000 / steps };
}

function trainStep(backbone: Backbone, x: tf.Tensor4D, optimizer: tf.Optimizer): void {
  const loss = optimizer.minimize(() => backbone.embed(x, { training: true }).square().mean() as tf.Scalar, true, backbone.variables);
  loss?.dataSync();
  loss?.dispose();
}

function inferStep(backbone: Backbone, x: tf.Tensor4D): void {
  tf.tidy(() => backbone.embed(x).dataSync());
}

/** Forward + backward of BN and LeakyReLU layers, ours vs tfjs's own gradients. */
function benchmarkLayers(shape: [number, number, number, number]): void {
  const x = tf.randomNormal(shape) as tf.Tensor4D;
  const gamma = tf.ones([shape[3]]) as tf.Tensor1D;
  const beta = tf.zeros([shape[3]]) as tf.Tensor1D;
  const plainBn = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D) => {
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    return tf.batchNorm4d(a, mean as tf.Tensor1D, variance as tf.Tensor1D, b, g, 1e-5);
  };
  const dy = tf.randomNormal(shape);
  const cases: Array<[string, () => tf.Tensor[]]> = [
    ['batch norm, custom gradient', () => tf.grads((a, g, b) => batchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D))([x, gamma, beta], dy)],
    ['batch norm, tfjs gradient', () => tf.grads((a, g, b) => plainBn(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D))([x, gamma, beta], dy)],
    ['LeakyReLU 0.1, custom gradient', () => [tf.grad((a) => leakyRelu(a as tf.Tensor4D, 0.1))(x, dy)]],
    ['LeakyReLU 0.1, tfjs gradient', () => [tf.grad((a) => tf.leakyRelu(a as tf.Tensor4D, 0.1))(x, dy)]],
  ];
  for (const [name, run] of cases) {
    // No read-back: kernels of the cpu, wasm and tensorflow backends run synchronously, and
    // copying a multi-megabyte gradient out of the wasm heap would dominate the timing.
    const { ms, cpu } = time(() => tf.tidy(() => void run()));
    console.log(`[${shape.join(',')}] ${name}: ${ms.toFixed(1)} ms forward+backward (cpu ${cpu.toFixed(1)} ms)`);
  }
  tf.dispose([x, gamma, beta, dy]);
}

/** Prints the 8 kernels with the most total time in one training step. */
async function profileStep(backbone: Backbone, x: tf.Tensor4D, optimizer: tf.Optimizer): Promise<void> {
  const profile = await tf.profile(() => trainStep(backbone, x, optimizer));
  const totals = new Map<string, number>();
  for (const k of profile.kernels) totals.set(k.name, (totals.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`  top kernels (ms, one step; 'unnamed scope' = custom-gradient ops): ${top.map(([n, ms]) => `${n} ${ms.toFixed(0)}`).join(', ')}`);
}

if (values.layers) {
  benchmarkLayers(list(values.layers).map(Number) as [number, number, number, number]);
  process.exit(0);
}

for (const model of list(values.models!)) {
  for (const size of list(values.sizes!).map(Number)) {
    const batch = Number(model === 'resnet12' && size >= 84 ? values['batch-resnet84'] : values.batch);
    const config: BackboneConfig = { name: model, seed: 1 };
    if (values.widths) config[model === 'conv4' ? 'channels' : 'widths'] = list(values.widths).map(Number);
    const backbone = createBackbone(config);
    const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const optimizer = tf.train.momentum(0.01, 0.9, true);
    for (const mode of list(values.modes!)) {
      const { ms, cpu } = mode === 'train' ? time(() => trainStep(backbone, x, optimizer)) : time(() => inferStep(backbone, x));
      assertWasmHeapHealthy();
      const heap = wasmHeapBytes();
      console.log(
        `${model} ${size}x${size} ${mode.padEnd(5)} batch ${batch}: ${ms.toFixed(0)} ms/step (cpu ${cpu.toFixed(0)} ms), ${((batch * 1000) / ms).toFixed(1)} img/s` +
          (heap ? `, wasm heap ${(heap / 1024 ** 3).toFixed(2)} GiB` : ''),
      );
    }
    if (values.profile) await profileStep(backbone, x, optimizer);
    optimizer.dispose();
    x.dispose();
    backbone.dispose();
  }
}
process.exit(0);
