/** The addon's element-wise loops in every instruction-set build this CPU runs: each matches cpu, and the maps agree to the bit. */
import { tf } from '../../src/tf.js';
import { NATIVE_BACKEND, nativeBatchNormTrain, nativeIsa } from '../../src/backend/native/index.js';
import { nativeTest, seededValues } from './native-helpers.js';

// Odd sizes above the addon's 32768-element threshold: both threads, vector bodies and remainders.
const N = 33001;
const tn = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((p, d) => p * d, 1), seed), shape);

/** Element-wise results (the same bits in every build: no FMA contraction, no reassociation). */
function maps(): tf.Tensor[] {
  const x = tf.concat([tn([N], 1).mul(3), tf.tensor1d([0, -0, NaN, -2, 2])]);
  const y = tf.concat([tn([N], 2).add(1.5), tf.tensor1d([1, NaN, 0.5, -2, 3])]);
  const positive = x.abs().add(0.1);
  const rows = tn([401, 83], 3);
  const params = (seed: number) => tn([83], seed);
  return [
    x.add(y), x.sub(y), x.mul(y), x.div(y), tf.maximum(x, y), tf.minimum(x, y), tf.squaredDifference(x, y),
    x.mul(2.5), tf.sub(1, x), rows.mul(params(4)), tf.sub(params(5), rows), tn([7, 53, 83], 6).mul(tn([7, 1, 83], 7)), tn([61, 1], 8).add(tn([61, 600], 9)),
    tf.equal(x, y).cast('float32'), tf.less(x, y).cast('float32'), tf.greaterEqual(x, 0.2).cast('float32'),
    tf.relu(x), tf.leakyRelu(x, 0.1), tf.step(x, 0.3), x.square(), x.neg(), positive.rsqrt(), positive.sqrt(), x.exp(), x.abs(), positive.log(), x.sign(), x.floor(),
    tf.where(tf.greater(x, y), x, y), x.cast('bool').cast('float32'), x.cast('int32').cast('float32'),
    tf.batchNorm2d(rows as tf.Tensor2D, params(10) as tf.Tensor1D, params(11).abs().add(0.5) as tf.Tensor1D, params(12) as tf.Tensor1D, params(13) as tf.Tensor1D, 1e-3),
    tf.addN([x, y, x]),
  ];
}

/** Reductions and batch-norm statistics (float64 sums, reassociated: close, not bitwise). */
function sums(): tf.Tensor[] {
  const x = tn([64, 8, 8, 16], 20);
  const gamma = tn([16], 21).add(1.5) as tf.Tensor1D;
  const beta = tn([16], 22) as tf.Tensor1D;
  const dy = tn([64, 8, 8, 16], 23);
  const [dx, dgamma, dbeta] = tf.grads((a, g, b) => nativeBatchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D, undefined, 1e-5))([x, gamma, beta], dy);
  return [
    x.mean([1, 2]), x.sum(0), x.sum(), tn([3, 20000], 24).sum(1), tn([20000, 3], 25).mean(0),
    nativeBatchNormTrain(x as tf.Tensor4D, gamma, beta, undefined, 1e-5), dx!, dgamma!, dbeta!,
  ];
}

function read(compute: () => tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => compute().map((t) => t.dataSync() as Float32Array));
}

/** The batch-norm training pieces in plain tfjs ops (cpu reference of `sums`' nativeBatchNormTrain entries). */
function sumsOnCpu(): tf.Tensor[] {
  const x = tn([64, 8, 8, 16], 20);
  const gamma = tn([16], 21).add(1.5) as tf.Tensor1D;
  const beta = tn([16], 22) as tf.Tensor1D;
  const dy = tn([64, 8, 8, 16], 23);
  const norm = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, [0, 1, 2]);
    return a.sub(mean).div(variance.add(1e-5).sqrt()).mul(g).add(b);
  };
  const [dx, dgamma, dbeta] = tf.grads((a, g, b) => norm(a, g, b))([x, gamma, beta], dy);
  return [
    x.mean([1, 2]), x.sum(0), x.sum(), tn([3, 20000], 24).sum(1), tn([20000, 3], 25).mean(0),
    norm(x, gamma, beta), dx!, dgamma!, dbeta!,
  ];
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  const scale = Math.max(1, ...Array.from(b.subarray(0, 5000), (v) => (Number.isFinite(v) ? Math.abs(v) : 0)));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) continue;
    worst = Math.max(worst, Number.isNaN(a[i]! - b[i]!) ? Infinity : Math.abs(a[i]! - b[i]!) / scale);
  }
  return worst;
}

nativeTest('the widest build this CPU runs is active; unknown or unavailable builds are refused', async (t) => {
  const isa = nativeIsa()!;
  t.is(isa.available[0], 'baseline');
  if (!process.env.JOINTSHOT_NATIVE_ISA) t.is(isa.active, isa.available[isa.available.length - 1]!);
  t.throws(() => nativeIsa('sse1'), { instanceOf: RangeError });
  t.is(nativeIsa()!.active, isa.active, 'a refused switch leaves the active build');
});

nativeTest('every build this CPU runs matches cpu; element-wise results agree with baseline bit for bit', async (t) => {
  t.timeout(20 * 60_000, 'the cpu reference of ~1.6M elements is slow on a loaded machine');
  const start = nativeIsa()!.active;
  const before = tf.memory().numTensors;
  await tf.setBackend('cpu');
  const cpuMaps = read(maps);
  const cpuSums = read(sumsOnCpu);
  await tf.setBackend(NATIVE_BACKEND);
  try {
    let baseline: Float32Array[] | undefined;
    for (const name of nativeIsa()!.available) {
      nativeIsa(name);
      const nativeMaps = read(maps);
      const nativeSums = read(sums);
      nativeMaps.forEach((v, i) => t.true(maxRelativeDifference(v, cpuMaps[i]!) <= 1e-6, `${name}: element-wise output ${i} matches cpu`));
      nativeSums.forEach((v, i) => t.true(maxRelativeDifference(v, cpuSums[i]!) <= 1e-4, `${name}: reduction output ${i} matches cpu`));
      baseline ??= nativeMaps;
      nativeMaps.forEach((v, i) => t.deepEqual(new Uint32Array(v.buffer, v.byteOffset, v.length), new Uint32Array(baseline![i]!.buffer, baseline![i]!.byteOffset, v.length), `${name}: output ${i} bits`));
    }
    t.true(nativeIsa()!.available.length >= 1);
  } finally {
    nativeIsa(start);
    await tf.setBackend('cpu');
  }
  t.is(tf.memory().numTensors, before, 'tensor count must return to its start');
});
