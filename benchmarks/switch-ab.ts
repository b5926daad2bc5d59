/**
 * One native-backend switch off vs on, interleaved step by step in one process: training steps
 * (forward, loss mean(embedding^2), backward, src/train's Sgd) and inference batches of each model
 * and size. Both settings see the same load, so the ratio holds on a busy machine where separate
 * runs would not. Not a test. Switches:
 *   winograd     oneDNN's Winograd kernels for 3x3 stride-1 convolutions (nativeWinograd)
 *   fused-winograd the addon's own fused Winograd inference kernel, 16-256 channels (nativeFusedWinograd)
 *   fused-winograd-weights its training weight gradient alone (JOINTSHOT_NATIVE_FUSED_WINOGRAD_WEIGHTS)
 *   small-map-gemm  training convolutions on small output maps as matrix products (JOINTSHOT_NATIVE_SMALL_MAP_GEMM)
 *   fused-stats  batch-norm running statistics in one kernel (JOINTSHOT_NATIVE_FUSED_STATS)
 *   fused-sgd    the SGD update in one kernel per parameter (JOINTSHOT_NATIVE_FUSED_SGD)
 *   addon-copy   Slice/PadV2 copied by the addon, not JS (JOINTSHOT_NATIVE_JS_COPY)
 *   conv-chain   a block's inference convolutions in one call, blocked in between (JOINTSHOT_NATIVE_CONV_CHAIN)
 *   fused-bn-act training batch norm + residual + activation in one kernel (JOINTSHOT_NATIVE_FUSED_BN_ACT)
 * Usage: npx tsx benchmarks/switch-ab.ts --switch winograd [--models resnet12,resnet20] [--sizes 32,84]
 *   [--modes train,infer] [--batch 80] [--batch-resnet84 16] [--steps 3] [--warmup 1] [--threads 2]
 *   [--conv N,H,W,C:KH,KW,C,OC:STRIDE]
 * --conv: only one 'same'-padded convolution, its three kernels (Conv2D, Conv2DBackpropInput,
 * Conv2DBackpropFilter) each timed over 3 calls per round (outputs read back), off/on interleaved.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { NATIVE_BACKEND, nativeFusedWinograd, nativeWinograd, registerNativeBackend } from '../src/backend/native/index.js';
import { createBackbone } from '../src/backbones/index.js';
import { tf } from '../src/tf.js';
import { benchmarkTrainStep, createBenchmarkSgd } from './lib/train-step.js';
import { createRng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'conv4,resnet12,resnet20,resnet32,resnet56,resnet18' },
    sizes: { type: 'string', default: '32,84' },
    modes: { type: 'string', default: 'train,infer' },
    batch: { type: 'string', default: '80' },
    'batch-resnet84': { type: 'string', default: '16' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
    switch: { type: 'string', default: 'winograd' },
    conv: { type: 'string' },
  },
});

/** Sets an environment switch read per call: `on` maps to `onValue`, off to `offValue`. */
const envSwitch = (name: string, onValue: string, offValue: string) => (on: boolean) => {
  process.env[name] = on ? onValue : offValue;
};
const SWITCHES: Record<string, (on: boolean) => void> = {
  winograd: (on) => nativeWinograd(on),
  'fused-winograd': (on) => nativeFusedWinograd(on),
  'fused-winograd-weights': envSwitch('JOINTSHOT_NATIVE_FUSED_WINOGRAD_WEIGHTS', '1', '0'),
  'small-map-gemm': envSwitch('JOINTSHOT_NATIVE_SMALL_MAP_GEMM', '1', '0'),
  'fused-stats': envSwitch('JOINTSHOT_NATIVE_FUSED_STATS', '1', '0'),
  'fused-sgd': envSwitch('JOINTSHOT_NATIVE_FUSED_SGD', '1', '0'),
  'addon-copy': envSwitch('JOINTSHOT_NATIVE_JS_COPY', '0', '1'),
  'conv-chain': envSwitch('JOINTSHOT_NATIVE_CONV_CHAIN', '1', '0'),
  'fused-bn-act': envSwitch('JOINTSHOT_NATIVE_FUSED_BN_ACT', '1', '0'),
};
const flip = SWITCHES[values.switch!];
if (!flip) {
  console.error(`--switch: unknown '${values.switch}', expected one of ${Object.keys(SWITCHES).join(', ')}`);
  process.exit(2);
}
const list = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean);
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

/** Wall and process CPU ms of one call of `body`. */
function timed(body: () => void): { ms: number; cpuMs: number } {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  body();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - wall) / 1e6, cpuMs: (used.user + used.system) / 1000 };
}

/** --conv: the three kernels of one convolution, off/on interleaved, ms per call. */
function timeConvolution(spec: string): void {
  const parts = spec.split(':');
  const [xShape, fShape] = parts.slice(0, 2).map((p) => list(p).map(Number));
  const stride = Number(parts[2] ?? 1);
  if (xShape?.length !== 4 || fShape?.length !== 4 || !Number.isInteger(stride) || stride < 1) {
    console.error(`--conv: expected N,H,W,C:KH,KW,C,OC:STRIDE (e.g. 80,3,3,512:3,3,512,512:1), found '${spec}'`);
    process.exit(2);
  }
  const rng = createRng(5);
  const seeded = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1), shape as [number, number, number, number]) as tf.Tensor4D;
  const x = seeded(xShape);
  const f = seeded(fShape);
  const dy = seeded(tf.tidy(() => tf.conv2d(x, f, stride, 'same').shape));
  const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', dilations: 1 };
  const kernels: Record<string, () => tf.Tensor> = {
    Conv2D: () => tf.engine().runKernel('Conv2D', { x, filter: f }, attrs) as tf.Tensor,
    Conv2DBackpropInput: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f }, { ...attrs, inputShape: xShape as [number, number, number, number] }) as tf.Tensor,
    Conv2DBackpropFilter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: fShape }) as tf.Tensor,
  };
  const sums: Record<string, { off: number; on: number }> = {};
  for (let round = 0; round < warmup + steps; round++) {
    for (const setting of ['off', 'on'] as const) {
      flip(setting === 'on');
      for (const [name, run] of Object.entries(kernels)) {
        const t = timed(() => {
          for (let i = 0; i < 3; i++) {
            const y = run();
            y.dataSync();
            y.dispose();
          }
        });
        if (round >= warmup) (sums[name] ??= { off: 0, on: 0 })[setting] += t.ms / 3 / steps;
      }
    }
  }
  flip(true);
  console.log(`native: ${probe.detail}; switch ${values.switch}; conv x ${xShape} filter ${fShape} stride ${stride}; ${steps} rounds after ${warmup} (load ${load()})`);
  console.log(`| kernel | ${values.switch} off: ms per call | on | on / off |`);
  console.log('|---|---|---|---|');
  for (const [name, { off, on }] of Object.entries(sums)) console.log(`| ${name} | ${off.toFixed(2)} | ${on.toFixed(2)} | ${(on / off).toFixed(2)} |`);
  tf.dispose([x, f, dy]);
}

const probe = registerNativeBackend(Number(values.threads));
if (!probe.available) {
  console.log(`native: not available (${probe.detail})`);
  process.exit(1);
}
await tf.setBackend(NATIVE_BACKEND);
if (values.conv) {
  timeConvolution(values.conv);
  process.exit(0);
}
console.log(`native: ${probe.detail}; switch ${values.switch}; load average at start ${load()}; ${steps} steps after ${warmup}, off/on interleaved`);
console.log(`| model size mode | ${values.switch} off: ms wall (CPU) | on: ms wall (CPU) | on / off, wall (CPU) |`);
console.log('|---|---|---|---|');
for (const model of list(values.models!)) {
  for (const size of list(values.sizes!).map(Number)) {
    const batch = Number(model === 'resnet12' && size >= 84 ? values['batch-resnet84'] : values.batch);
    const rng = createRng(3);
    const backbone = createBackbone({ name: model, seed: 1 });
    const x = tf.tensor4d(Float32Array.from({ length: batch * size * size * 3 }, () => rng() * 2 - 1), [batch, size, size, 3]);
    const sgd = createBenchmarkSgd(backbone);
    const before = tf.memory().numTensors;
    const bodies: Record<string, () => void> = {
      train: () => benchmarkTrainStep(backbone, x, sgd),
      infer: () => tf.tidy(() => backbone.embed(x, { training: false }).dataSync()),
    };
    for (const mode of list(values.modes!)) {
      const sums = { off: { ms: 0, cpuMs: 0 }, on: { ms: 0, cpuMs: 0 } };
      for (let round = 0; round < warmup + steps; round++) {
        for (const setting of ['off', 'on'] as const) {
          flip(setting === 'on');
          const t = timed(bodies[mode]!);
          if (round < warmup) continue;
          sums[setting].ms += t.ms / steps;
          sums[setting].cpuMs += t.cpuMs / steps;
        }
      }
      const { off, on } = sums;
      console.log(`| ${model} ${size} ${mode}${batch !== 80 ? ` (batch ${batch})` : ''} | ${off.ms.toFixed(0)} (${off.cpuMs.toFixed(0)}) | ${on.ms.toFixed(0)} (${on.cpuMs.toFixed(0)}) | ${(on.ms / off.ms).toFixed(2)} (${(on.cpuMs / off.cpuMs).toFixed(2)}) |`);
    }
    const grown = tf.memory().numTensors - before;
    if (grown !== 0) throw new Error(`tensor count changed by ${grown}`);
    tf.dispose(x);
    sgd.dispose();
    backbone.dispose();
  }
}
flip(true);
console.log(`load average at end: ${load()}`);
