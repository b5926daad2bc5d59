/**
 * Where a native training step's time goes by kernel and shape: the convolutions' three kernels
 * and the training batch norm, each call timed (wall) and grouped by kernel, input shapes and
 * strides; ms per step, calls per step and ms per call, largest first. The step is the speed
 * benchmarks' (benchmarks/lib/train-step.ts), on random inputs.
 *
 * Usage: npx tsx benchmarks/kernel-shapes.ts [--model resnet18] [--size 84] [--batch 80] [--steps 5] [--warmup 2] [--threads 2]
 */
import { parseArgs } from 'node:util';
import { tf } from '../src/tf.js';
import { NATIVE_BACKEND, registerNativeBackend } from '../src/backend/native/index.js';
import { createBackbone } from '../src/backbones/index.js';
import { timeNativeKernels } from './lib/kernel-timer.js';
import { benchmarkTrainStep, createBenchmarkSgd } from './lib/train-step.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet18' },
    size: { type: 'string', default: '84' },
    batch: { type: 'string', default: '80' },
    steps: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
  },
});
const probe = registerNativeBackend(Number(values.threads));
if (!probe.available) {
  console.error(`native: not available (${probe.detail})`);
  process.exit(1);
}
await tf.setBackend(NATIVE_BACKEND);

const TIMED = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'JointshotBatchNormTrain', 'JointshotBatchNormTrainGrad'];
const spent = new Map<string, { ms: number; calls: number }>();
timeNativeKernels((name) => TIMED.includes(name), (name, args, sample) => {
  const shapes = Object.values(args.inputs).map((t) => (t as tf.TensorInfo).shape.join('x'));
  const strides = (args.attrs as { strides?: unknown } | undefined)?.strides;
  const key = `${name} ${shapes.join(' ')}${strides === undefined ? '' : ` strides ${JSON.stringify(strides)}`}`;
  const entry = spent.get(key) ?? { ms: 0, calls: 0 };
  entry.ms += sample.ms;
  entry.calls++;
  spent.set(key, entry);
});

const size = Number(values.size);
const backbone = createBackbone({ name: values.model!, seed: 1 });
const sgd = createBenchmarkSgd(backbone);
const x = tf.randomUniform([Number(values.batch), size, size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
const step = (): void => benchmarkTrainStep(backbone, x, sgd);
for (let i = 0; i < Number(values.warmup); i++) step();
spent.clear();
const steps = Number(values.steps);
const start = performance.now();
for (let i = 0; i < steps; i++) step();
console.log(`${values.model} ${size}x${size} batch ${values.batch}: ${((performance.now() - start) / steps).toFixed(1)} ms per step (mean of ${steps})`);
for (const [key, { ms, calls }] of [...spent].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${(ms / steps).toFixed(2)} ms/step  ${calls / steps} calls  ${(ms / calls).toFixed(3)} ms/call  ${key}`);
}
