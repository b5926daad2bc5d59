import test from 'ava';
import { tf } from '../../src/tf.js';
import { globalAveragePool } from '../../src/backbones/base.js';
import { setupWasm } from '../../src/backend/wasm/setup.js';
import { NATIVE_BACKEND, nativeKernelCounts, registerNativeBackend } from '../../src/backend/native/index.js';

// The backbones' global average pool (one average pool over the whole map) against a direct
// computation, value and gradient, on every backend this machine has.

const native = registerNativeBackend(1);
if (!native.available) console.warn(`pooling tests skip native: ${native.detail}`);
const BACKENDS = ['cpu', 'wasm', ...(native.available ? [NATIVE_BACKEND] : [])];

test.before(async () => {
  await setupWasm({ threads: 1 });
});

test.after.always(async () => {
  await tf.setBackend('cpu');
});

/** Deterministic values in [-1, 1): x[i] = ((i * mult) mod 101) / 50.5 - 1. */
const ramp = (count: number, mult: number) => Array.from({ length: count }, (_, i) => ((i * mult) % 101) / 50.5 - 1);

for (const backend of BACKENDS) {
  test.serial(`globalAveragePool = the per-channel mean, and its gradient dy / (h w) at every pixel (${backend})`, async (t) => {
    await tf.setBackend(backend);
    for (const [n, h, w, c] of [[2, 3, 5, 4], [3, 8, 8, 16], [1, 1, 1, 3]]) {
      const values = ramp(n * h * w * c, 37);
      const dyValues = ramp(n * c, 53);
      const before = tf.memory().numTensors;
      const x = tf.tensor4d(values, [n, h, w, c]);
      const dy = tf.tensor2d(dyValues, [n, c]);
      const counts = nativeKernelCounts();
      const y = globalAveragePool(x);
      const dx = tf.grad((a: tf.Tensor) => globalAveragePool(a as tf.Tensor4D).mul(dy).sum())(x);
      if (backend === NATIVE_BACKEND) {
        const after = nativeKernelCounts();
        const ran = (name: string) => (after[name]?.native ?? 0) - (counts[name]?.native ?? 0);
        t.true(ran('AvgPool') >= 2 && ran('AvgPoolGrad') >= 1, `${[n, h, w, c]}: one oneDNN pooling forward and backward`);
        t.is(ran('Mean'), 0, `${[n, h, w, c]}: no mean (its gradient builds a ones tensor of the map's size)`);
      }
      t.deepEqual(y.shape, [n, c]);
      const got = y.dataSync();
      const grad = dx.dataSync();
      for (let b = 0; b < n; b++)
        for (let k = 0; k < c; k++) {
          let sum = 0;
          for (let p = 0; p < h * w; p++) sum += values[(b * h * w + p) * c + k]!;
          t.true(Math.abs(got[b * c + k]! - sum / (h * w)) <= 1e-6, `${backend} ${[n, h, w, c]}: mean of [${b}, ${k}]`);
          for (let p = 0; p < h * w; p++) {
            const expected = dyValues[b * c + k]! / (h * w);
            t.true(Math.abs(grad[(b * h * w + p) * c + k]! - expected) <= 1e-7, `${backend} ${[n, h, w, c]}: dx at [${b}, ${p}, ${k}]`);
          }
        }
      tf.dispose([x, dy, y, dx]);
      t.is(tf.memory().numTensors, before);
    }
  });
}
