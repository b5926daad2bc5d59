/** The fused native batch norm against the backbones' batchNormTrain on the cpu backend. */
import { tf } from '../../src/tf.js';
import { batchNormTrain } from '../../src/backbones/index.js';
import { nativeBatchNormActive, nativeBatchNormTrain } from '../../src/backend/native/index.js';
import { assertMatchesCpu, nativeTest, seededValues } from './native-helpers.js';

for (const shape of [[4, 5, 3, 7], [24, 6, 6, 16]] as Array<[number, number, number, number]>) {
  nativeTest(`nativeBatchNormTrain ${shape}: output, batch statistics and gradients match batchNormTrain on cpu`, async (t) => {
    await assertMatchesCpu(t, `bn ${shape}`, () => {
      const size = shape.reduce((p, d) => p * d, 1);
      const c = shape[3];
      const x = tf.tensor4d(seededValues(size, 60), shape).mul(3).add(0.5) as tf.Tensor4D;
      const gamma = tf.tensor1d(seededValues(c, 61)).add(1.2) as tf.Tensor1D;
      const beta = tf.tensor1d(seededValues(c, 62));
      const r = tf.tensor4d(seededValues(size, 63), shape);
      const bn = nativeBatchNormActive() ? nativeBatchNormTrain : batchNormTrain;
      // The statistics live only inside the op: read them there.
      const stats: Float32Array[] = [];
      const y = bn(x, gamma, beta, (m, v) => void stats.push(Float32Array.from(m.dataSync()), Float32Array.from(v.dataSync())));
      const grads = tf.grads((a, g, b) => bn(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D).mul(r).sum())([x, gamma, beta]);
      return [y, ...stats.map((s) => tf.tensor1d(s)), ...grads];
    }, 5e-5);
  });
}

nativeTest('nativeBatchNormTrain refuses to run on another backend', async (t) => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  t.throws(() => tf.tidy(() => nativeBatchNormTrain(tf.zeros([1, 1, 1, 1]), tf.ones([1]), tf.zeros([1]))), { message: /needs the 'native' backend/ });
  t.is(tf.memory().numTensors, before);
});
