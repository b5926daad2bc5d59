/**
 * Cost of the issue-12 max-pool fix: a Conv-4-shaped training step (4 x conv3x3 64 + BN + ReLU +
 * 2x2 max-pool on 32x32, loss mean(y^2), forward + backward) with the pre-fix upsampled-mask
 * custom gradient (every tied maximum gets the gradient; kept here only for this comparison)
 * against `maxPool2x2` (tf.maxPool's own first-maximum gradient). The two run interleaved, one
 * thread per backend; prints mean wall and process-CPU ms per step. Not a test.
 * Usage: npx tsx benchmarks/maxpool-ties.ts [--backends wasm,native] [--batch 32] [--steps 4]
 */
import { parseArgs } from 'node:util';
import { tf } from '../src/tf.js';
import { setupWasm } from '../src/backend/wasm/setup.js';
import { NATIVE_BACKEND, registerNativeBackend } from '../src/backend/native/index.js';
import { ConvBn, ParameterStore, maxPool2x2, normalSampler } from '../src/backbones/index.js';
import { createRng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,native' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '4' },
  },
});

/** The pre-fix layer: dx = [x == up(y)] * up(dy). */
function maskGradientPool(x: tf.Tensor4D): tf.Tensor4D {
  const [n, height, width, channels] = x.shape;
  const h = Math.floor(height / 2);
  const w = Math.floor(width / 2);
  const op = tf.customGrad((xIn, save) => {
    const y = tf.maxPool(xIn as tf.Tensor4D, 2, 2, 'valid');
    (save as tf.GradSaveFunc)([xIn as tf.Tensor, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.tidy(() => {
        const [sx, sy] = saved as [tf.Tensor4D, tf.Tensor4D];
        const even = height === 2 * h && width === 2 * w;
        const cropped = even ? sx : sx.slice([0, 0, 0, 0], [n, 2 * h, 2 * w, channels]);
        const up = (t: tf.Tensor4D) => tf.image.resizeNearestNeighbor(t, [2 * h, 2 * w]);
        const grad = tf.sub(1, tf.sign(up(sy).sub(cropped))).mul(up(dy as tf.Tensor4D)) as tf.Tensor4D;
        return even ? grad : grad.pad([[0, 0], [0, height - 2 * h], [0, width - 2 * w], [0, 0]]);
      }),
    };
  });
  return op(x) as tf.Tensor4D;
}

const batch = Number(values.batch);
const steps = Number(values.steps);
await setupWasm({ threads: 1 });
const native = registerNativeBackend(1);
for (const backend of values.backends.split(',')) {
  if (backend === 'native' && !native.available) {
    console.log(`native skipped: ${native.detail}`);
    continue;
  }
  await tf.setBackend(backend === 'native' ? NATIVE_BACKEND : backend);
  const store = new ParameterStore();
  const normal = normalSampler(createRng('maxpool-ties'));
  const blocks = [0, 1, 2, 3].map((i) => new ConvBn(store, `b${i}`, i === 0 ? 3 : 64, 64, 3, normal));
  const variables = Object.values(store.trainable);
  const x = tf.randomUniform([batch, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const step = (pool: (a: tf.Tensor4D) => tf.Tensor4D) => tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      let out = x;
      for (const block of blocks) out = pool(tf.relu(block.apply(out, true)));
      return out.square().mean() as tf.Scalar;
    }, variables);
    grads[variables[0]!.name]!.dataSync();
  });
  const variants = [['pre-fix mask gradient', maskGradientPool], ['maxPool2x2 (tf.maxPool gradient)', maxPool2x2]] as const;
  const totals = variants.map(() => ({ wall: 0, cpu: 0 }));
  for (const [, pool] of variants) step(pool);
  for (let s = 0; s < steps; s++) {
    variants.forEach(([, pool], i) => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      step(pool);
      const cpu = process.cpuUsage(cpu0);
      totals[i]!.wall += performance.now() - t0;
      totals[i]!.cpu += (cpu.user + cpu.system) / 1000;
    });
  }
  variants.forEach(([name], i) => {
    const { wall, cpu } = totals[i]!;
    console.log(`${backend} Conv-4 32x32 batch ${batch} step, ${name}: ${(wall / steps).toFixed(0)} ms wall, ${(cpu / steps).toFixed(0)} ms CPU (mean of ${steps})`);
  });
  x.dispose();
  store.dispose();
}
