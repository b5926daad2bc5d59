/**
 * A/B of the native backend's Slice and PadV2 copies: the addon's box copy (native/src/copy-box.cc)
 * against the JS copy it replaced (JOINTSHOT_NATIVE_JS_COPY=1: one TypedArray.set per run),
 * interleaved round by round in one process so both see the same machine load. Per round and
 * variant: one training step (loss mean(embedding^2), gradients, src/train's Sgd) and one
 * inference batch of `--model` at `--size`, batch `--batch`; wall and process CPU ms of the whole
 * step and of the Slice and PadV2 kernel calls in it (summed). Not a test.
 * Usage: npx tsx benchmarks/slice-pad-ab.ts [--model resnet20] [--size 32] [--batch 80] [--rounds 5] [--warmup 1] [--threads 2]
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { NATIVE_BACKEND, registerNativeBackend } from '../src/backend/native/index.js';
import { createBackbone } from '../src/backbones/index.js';
import { timeNativeKernels } from './lib/kernel-timer.js';
import { benchmarkTrainStep, createBenchmarkSgd } from './lib/train-step.js';
import { tf } from '../src/tf.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet20' },
    size: { type: 'string', default: '32' },
    batch: { type: 'string', default: '80' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    threads: { type: 'string', default: '2' },
  },
});
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const COPY_KERNELS = ['Slice', 'PadV2'];
type Times = { ms: number; cpuMs: number; calls: number };
const zero = (): Times => ({ ms: 0, cpuMs: 0, calls: 0 });

/** Wall and CPU of every Slice / PadV2 call since the last reset. */
const inCopies = new Map<string, Times>(COPY_KERNELS.map((k) => [k, zero()]));

/** Wraps the native Slice and PadV2 kernels to add their wall and CPU time to `inCopies`. */
function instrument(): void {
  timeNativeKernels((name) => COPY_KERNELS.includes(name), (name, _args, sample) => {
    const entry = inCopies.get(name)!;
    entry.ms += sample.ms;
    entry.cpuMs += sample.cpuMs;
    entry.calls++;
  });
}

/** Runs `body`; its wall and CPU ms, and the Slice + PadV2 share of them. */
function measure(body: () => void): { step: Times; copies: Times } {
  for (const t of inCopies.values()) Object.assign(t, zero());
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  body();
  const used = process.cpuUsage(cpu);
  const copies = [...inCopies.values()].reduce((a, t) => ({ ms: a.ms + t.ms, cpuMs: a.cpuMs + t.cpuMs, calls: a.calls + t.calls }), zero());
  return { step: { ms: Number(process.hrtime.bigint() - wall) / 1e6, cpuMs: (used.user + used.system) / 1000, calls: 1 }, copies };
}

async function main(): Promise<void> {
  const threads = Number(values.threads);
  const probe = registerNativeBackend(threads);
  if (!probe.available) throw new Error(`native backend not available: ${probe.detail}`);
  await tf.setBackend(NATIVE_BACKEND);
  instrument();
  const size = Number(values.size);
  const batch = Number(values.batch);
  const backbone = createBackbone({ name: values.model!, seed: 1 });
  const x = tf.randomUniform([batch, size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const sgd = createBenchmarkSgd(backbone);
  const train = () => benchmarkTrainStep(backbone, x, sgd);
  const infer = () => tf.tidy(() => void backbone.embed(x).dataSync());
  const variants = { js: '1', addon: '0' } as const;
  const sums: Record<string, { step: Times; copies: Times }> = {};
  console.log(`${values.model} ${size}x${size} batch ${batch}, ${threads} thread(s); load at start ${load()}`);
  const before = tf.memory().numTensors;
  const rounds = Number(values.rounds);
  const warmup = Number(values.warmup);
  for (let round = 0; round < warmup + rounds; round++) {
    // Alternate which variant goes first, so neither always follows the other.
    const order = round % 2 === 0 ? (['js', 'addon'] as const) : (['addon', 'js'] as const);
    for (const variant of order) {
      process.env.JOINTSHOT_NATIVE_JS_COPY = variants[variant];
      for (const [mode, body] of [['train', train], ['infer', infer]] as const) {
        const m = measure(body);
        if (round < warmup) continue;
        const key = `${mode} ${variant}`;
        const s = (sums[key] ??= { step: zero(), copies: zero() });
        for (const part of ['step', 'copies'] as const) {
          s[part].ms += m[part].ms;
          s[part].cpuMs += m[part].cpuMs;
          s[part].calls += m[part].calls;
        }
      }
    }
  }
  delete process.env.JOINTSHOT_NATIVE_JS_COPY;
  const grown = tf.memory().numTensors - before;
  if (grown !== 0) throw new Error(`tensor count changed by ${grown}`);
  console.log('per step, mean of the rounds: step wall (CPU) ms | Slice+PadV2 wall (CPU) ms [calls]');
  for (const [key, s] of Object.entries(sums).sort()) {
    const n = rounds;
    console.log(`  ${key.padEnd(12)} ${(s.step.ms / n).toFixed(1)} (${(s.step.cpuMs / n).toFixed(1)}) | ` +
      `${(s.copies.ms / n).toFixed(2)} (${(s.copies.cpuMs / n).toFixed(2)}) [${s.copies.calls / n}]`);
  }
  console.log(`load at end ${load()}`);
  sgd.dispose();
  x.dispose();
  backbone.dispose();
}

await main();
