/**
 * Batch norm + residual add + ReLU/leaky ReLU as one native training kernel pair
 * (JOINTSHOT_NATIVE_FUSED_BN_ACT=1) against the batch-norm kernels followed by separate Add,
 * Relu/LeakyRelu (and Step, Multiply in the backward) ops (=0), interleaved step by step in one
 * process: training steps (forward, loss mean(embedding^2), backward, src/train's Sgd) of each
 * model. Both settings see the same load. Not a test. (benchmarks/switch-ab.ts with this switch.)
 * Usage: npx tsx benchmarks/bn-act-ab.ts [--models resnet20,resnet56,resnet12,conv4] [--sizes 32]
 *   [--batch 80] [--steps 5] [--warmup 1] [--threads 2]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { NATIVE_BACKEND, registerNativeBackend } from '../src/backend/native/index.js';
import { createBackbone } from '../src/backbones/index.js';
import { tf } from '../src/tf.js';
import { Sgd } from '../src/train/sgd.js';
import { createRng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet20,resnet56,resnet12,conv4' },
    sizes: { type: 'string', default: '32' },
    modes: { type: 'string', default: 'train' },
    batch: { type: 'string', default: '80' },
    'batch-resnet84': { type: 'string', default: '16' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
  },
});

/** Fused (on) or separate ops (off), read per call by src/backbones/layers.ts. */
const flip = (on: boolean) => {
  process.env.JOINTSHOT_NATIVE_FUSED_BN_ACT = on ? '1' : '0';
};
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

const probe = registerNativeBackend(Number(values.threads));
if (!probe.available) {
  console.log(`native: not available (${probe.detail})`);
  process.exit(1);
}
await tf.setBackend(NATIVE_BACKEND);
console.log(`native: ${probe.detail}; switch fused-bn-act; load average at start ${load()}; ${steps} steps after ${warmup}, off/on interleaved`);
console.log(`| model size mode | fused-bn-act off: ms wall (CPU) | on: ms wall (CPU) | on / off, wall (CPU) |`);
console.log('|---|---|---|---|');
for (const model of list(values.models!)) {
  for (const size of list(values.sizes!).map(Number)) {
    const batch = Number(model === 'resnet12' && size >= 84 ? values['batch-resnet84'] : values.batch);
    const rng = createRng(3);
    const backbone = createBackbone({ name: model, seed: 1 });
    const x = tf.tensor4d(Float32Array.from({ length: batch * size * size * 3 }, () => rng() * 2 - 1), [batch, size, size, 3]);
    const sgd = new Sgd(backbone.trainable, { momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    const before = tf.memory().numTensors;
    const bodies: Record<string, () => void> = {
      train: () => {
        const { value, grads } = tf.variableGrads(() => backbone.embed(x, { training: true }).square().mean() as tf.Scalar, backbone.variables);
        sgd.step(Object.fromEntries(Object.entries(backbone.trainable).map(([name, v]) => [name, grads[v.name]!])), 0.01);
        value.dataSync();
        tf.dispose([value, ...Object.values(grads)]);
      },
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
