/** The fused native batch norm against the backbones' batchNormTrain on the cpu backend. */
import { tf } from '../../src/tf.js';
import { batchNormTrain } from '../../src/backbones/index.js';
import { nativeBatchNormActive, nativeBatchNormTrain, nativeThreadCount, setNativeThreads } from '../../src/backend/native/index.js';
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

// y = act(bn(x) + residual) fused on native against batchNormTrain + Add + tfjs's own Relu /
// LeakyRelu on cpu. Channels 0-2 have gamma 0 (bn(x) = beta exactly): channel 0 pre-activation
// exactly 0 (beta 0, residual 0 there), 1 all negative, 2 exactly 0 as beta + residual = 0.3 - 0.3;
// the gradients at 0 must be tfjs's (ReLU 0, leaky ReLU the slope). 9 channels run the kernels'
// scalar loops; 20 channels over 2,560 rows the vectorised sums of 16 channels (plus 4 scalar),
// several blocks of rows with a short last one, on all threads.
for (const SHAPE of [[6, 4, 3, 9], [10, 16, 16, 20]] as Array<[number, number, number, number]>) for (const leak of [null, 0, 0.1]) {
  for (const withResidual of [false, true]) {
    nativeTest(`nativeBatchNormTrain ${SHAPE} leak ${leak}${withResidual ? ' + residual' : ''}: values, statistics and x/gamma/beta/residual gradients match the tfjs ops on cpu`, async (t) => {
      await assertMatchesCpu(t, `bn-act ${SHAPE} ${leak} ${withResidual}`, () => {
        const size = SHAPE.reduce((p, d) => p * d, 1);
        const c = SHAPE[3];
        const x = tf.tensor4d(seededValues(size, 70), SHAPE).mul(2).add(0.3) as tf.Tensor4D;
        const gammaValues = seededValues(c, 71).map((v, j) => (j < 3 ? 0 : v + 1.1));
        const betaValues = seededValues(c, 72).map((v, j) => [0, -0.5, 0.3][j] ?? v);
        const gamma = tf.tensor1d(gammaValues);
        const beta = tf.tensor1d(betaValues);
        const residualValues = seededValues(size, 73).map((v, i) => [0, v, -0.3][i % c] ?? v);
        const residual = withResidual ? tf.tensor4d(residualValues, SHAPE) : undefined;
        const r = tf.tensor4d(seededValues(size, 74), SHAPE);
        const native = nativeBatchNormActive();
        const stats: Float32Array[] = [];
        const keep = (m: tf.Tensor1D, v: tf.Tensor1D) => void stats.push(Float32Array.from(m.dataSync()), Float32Array.from(v.dataSync()));
        const f = (a: tf.Tensor4D, g: tf.Tensor1D, b: tf.Tensor1D, res?: tf.Tensor4D, onStats?: typeof keep): tf.Tensor4D => {
          if (native) return nativeBatchNormTrain(a, g, b, onStats, 1e-5, { leak, residual: res });
          let y = batchNormTrain(a, g, b, onStats);
          if (res) y = y.add(res) as tf.Tensor4D;
          if (leak === null) return y;
          return leak === 0 ? tf.relu(y) : tf.leakyRelu(y, leak);
        };
        const y = f(x, gamma, beta, residual, keep);
        const inputs = residual ? [x, gamma, beta, residual] : [x, gamma, beta];
        const grads = tf.grads((...a: tf.Tensor[]) => f(a[0] as tf.Tensor4D, a[1] as tf.Tensor1D, a[2] as tf.Tensor1D, a[3] as tf.Tensor4D | undefined).mul(r).sum())(inputs);
        return [y, ...stats.map((s) => tf.tensor1d(s)), ...grads];
      }, 5e-5);
    });
  }
}

nativeTest('nativeBatchNormTrain: exact zeros of the pre-activation get ReLU gradient 0 and leaky slope', async (t) => {
  await tf.setBackend('native');
  const before = tf.memory().numTensors;
  // gamma 0, beta 0: bn(x) is exactly 0 everywhere, so dx/dgamma see only the activation's mask.
  for (const [leak, expected] of [[0, 0], [0.25, 0.25]] as const) {
    const dbeta = tf.tidy(() => {
      const x = tf.tensor4d(seededValues(8, 80), [2, 2, 2, 1]);
      const f = (g: tf.Tensor, b: tf.Tensor) => nativeBatchNormTrain(x, g as tf.Tensor1D, b as tf.Tensor1D, undefined, 1e-5, { leak }).sum();
      return tf.grads(f)([tf.zeros([1]), tf.zeros([1])])[1]!.dataSync()[0];
    });
    t.is(dbeta, 8 * expected, `leak ${leak}`);
  }
  t.throws(() => tf.tidy(() => nativeBatchNormTrain(tf.zeros([1, 1, 1, 1]), tf.ones([1]), tf.zeros([1]), undefined, 1e-5, { leak: -0.1 })), { message: /leak must be/ });
  t.throws(() => tf.tidy(() => nativeBatchNormTrain(tf.zeros([1, 1, 1, 2]), tf.ones([2]), tf.zeros([2]), undefined, 1e-5, { residual: tf.zeros([1, 1, 1, 1]) })), { message: /residual shape/ });
  t.is(tf.memory().numTensors, before);
  await tf.setBackend('cpu');
});

// Batch statistics and gradients the same bit for bit on 1, 2 and 3 threads (the sums go by fixed
// blocks of rows, not by thread), over 16 and 32 channels (vectorised sums) and 64 (a loop per row).
nativeTest('nativeBatchNormTrain: statistics and gradients do not depend on the thread count', async (t) => {
  await tf.setBackend('native');
  const before = tf.memory().numTensors;
  const threads = nativeThreadCount();
  const run = (shape: [number, number, number, number]) =>
    tf.tidy(() => {
      const size = shape.reduce((p, d) => p * d, 1);
      const c = shape[3];
      const x = tf.tensor4d(seededValues(size, 90), shape).mul(3).add(0.7) as tf.Tensor4D;
      const r = tf.tensor4d(seededValues(size, 91), shape);
      const stats: number[] = [];
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        nativeBatchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, (m, v) => void stats.push(...m.dataSync(), ...v.dataSync()), 1e-5, { leak: 0 }).mul(r).sum();
      const grads = tf.grads(f)([x, tf.ones([c]), tf.zeros([c])]);
      return [...stats, ...grads.flatMap((g) => [...g.dataSync()])];
    });
  try {
    for (const shape of [[40, 16, 16, 16], [40, 8, 8, 32], [20, 8, 8, 64]] as Array<[number, number, number, number]>) {
      setNativeThreads(1);
      const one = run(shape);
      for (const n of [2, 3]) {
        setNativeThreads(n);
        const other = run(shape);
        t.is(other.length, one.length);
        t.is(other.filter((v, i) => !Object.is(v, one[i])).length, 0, `${shape}: values that differ on ${n} threads from 1`);
      }
    }
  } finally {
    setNativeThreads(threads);
  }
  t.is(tf.memory().numTensors, before);
  await tf.setBackend('cpu');
});

// A NaN in x makes its channel's statistics, output and gradients NaN (tfjs's ReLU gradient keeps
// NaN); the other channels stay finite. 16 channels: the vectorised sums.
nativeTest('nativeBatchNormTrain: a NaN stays in its channel, as on cpu', async (t) => {
  const shape: [number, number, number, number] = [40, 8, 8, 16];
  const pattern = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const values = seededValues(shape.reduce((p, d) => p * d, 1), 95);
      values[16 * 1000 + 5] = NaN;
      const x = tf.tensor4d(values, shape);
      const bn = backend === 'native' ? (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => nativeBatchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, undefined, 1e-5, { leak: 0 })
        : (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.relu(batchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D));
      const grads = tf.grads((a, g, b) => bn(a, g, b).sum())([x, tf.ones([16]), tf.zeros([16])]);
      return grads.slice(1).map((g) => [...g.dataSync()].map((v) => Number.isNaN(v)));
    });
  };
  const cpu = await pattern('cpu');
  const native = await pattern('native');
  t.deepEqual(native, cpu);
  t.deepEqual(native[1], Array.from({ length: 16 }, (_, j) => j === 5), 'dbeta NaN in channel 5 only');
  await tf.setBackend('cpu');
});
