/** Native Transpose and Reverse (one strided copy in the addon) against cpu; recycled output buffers. */
import { tf } from '../../src/tf.js';
import { collapseStrides } from '../../src/backend/native/kernels/layout.js';
import { idleLimit, idleLimitFromEnv, outputBufferStats, setIdleLimit } from '../../src/backend/native/output-buffers.js';
import { UsageError } from '../../src/errors.js';
import { assertMatchesCpu, countCalls, nativeTest, seededValues } from './native-helpers.js';
import test from 'ava';

const tn = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((p, d) => p * d, 1), seed), shape);

test('collapseStrides merges dimensions that walk the source as one run and drops size-1 ones', (t) => {
  t.deepEqual(collapseStrides([2, 3, 4], [12, 4, 1]), { shape: [24], strides: [1] });
  t.deepEqual(collapseStrides([4, 1, 3], [1, 99, 4]), { shape: [4, 3], strides: [1, 4] });
  t.deepEqual(collapseStrides([2, 3, 4], [-12, -4, -1]), { shape: [24], strides: [-1] });
  t.deepEqual(collapseStrides([2, 3, 4], [12, -4, 1]), { shape: [2, 3, 4], strides: [12, -4, 1] });
  t.deepEqual(collapseStrides([1, 1], [5, 1]), { shape: [1], strides: [1] });
});

nativeTest('transpose matches cpu for every kind of permutation (and its gradient)', async (t) => {
  const cases: Array<[number[], number[]]> = [
    [[5, 7], [1, 0]],
    [[2, 3, 4, 5], [0, 3, 1, 2]], // NHWC -> NCHW
    [[2, 3, 4, 5], [0, 2, 3, 1]],
    [[2, 3, 4, 5], [3, 2, 1, 0]],
    [[2, 3, 4, 5], [1, 0, 2, 3]], // whole runs of 20
    [[2, 1, 4, 1, 3], [4, 3, 2, 1, 0]], // size-1 dimensions
    [[3, 4], [0, 1]], // identity
    [[7], [0]],
    [[2, 40, 30, 16], [0, 3, 1, 2]], // 38400 entries: both threads
  ];
  const calls = await countCalls(async () => {
    for (const [shape, perm] of cases) {
      await assertMatchesCpu(t, `transpose ${shape} ${perm}`, () => {
        const x = tn(shape, 80);
        const r = tn(perm.map((p) => shape[p]!), 81);
        return [tf.transpose(x, perm), tf.grad((v) => tf.transpose(v, perm).mul(r).sum())(x)];
      }, 0);
    }
  });
  t.true(calls.Transpose!.native >= cases.length * 2 && calls.Transpose!.fallback === 0);
});

nativeTest('reverse matches cpu along any set of axes; int32 falls back to cpu', async (t) => {
  const cases: Array<[number[], number[]]> = [
    [[9], [0]],
    [[4, 5], [1]],
    [[4, 5], [0, 1]],
    [[2, 3, 4, 5], [1, 2]], // rot90's building block
    [[2, 3, 4, 5], [0, 3]],
    [[2, 3, 4, 5], [3]],
    [[2, 40, 30, 16], [1, 2]], // both threads
  ];
  const calls = await countCalls(async () => {
    for (const [shape, axes] of cases) {
      await assertMatchesCpu(t, `reverse ${shape} ${axes}`, () => {
        const x = tn(shape, 82);
        const r = tn(shape, 83);
        return [tf.reverse(x, axes), tf.grad((v) => tf.reverse(v, axes).mul(r).sum())(x)];
      }, 0);
    }
    await assertMatchesCpu(t, 'reverse int32', () => tf.reverse(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), 1), 0);
  });
  t.true(calls.Reverse!.native >= cases.length * 2 && calls.Reverse!.fallback === 1);
});

nativeTest('outputs of a size seen before reuse its released buffer (no new ArrayBuffer) and are fully written', async (t) => {
  await tf.setBackend('native');
  try {
    const before = tf.memory().numTensors;
    const source = tf.tensor1d(seededValues(30000, 84));
    tf.relu(source).dispose(); // leaves one idle buffer of this size
    const start = outputBufferStats();
    const values: number[][] = [];
    for (let i = 0; i < 3; i++) {
      const y = i % 2 === 0 ? tf.neg(source) : tf.abs(source);
      values.push(Array.from(y.dataSync()));
      y.dispose();
    }
    const end = outputBufferStats();
    t.is(end.created - start.created, 0, 'no new buffer for a released size');
    t.true(end.reused - start.reused >= 3);
    const expected = Array.from(source.dataSync());
    t.deepEqual(values[0], expected.map((v) => -v));
    t.deepEqual(values[1], expected.map(Math.abs));
    t.deepEqual(values[2], expected.map((v) => -v));
    source.dispose();
    t.is(tf.memory().numTensors, before);
  } finally {
    await tf.setBackend('cpu');
  }
});

test('JOINTSHOT_NATIVE_IDLE_MB: megabytes >= 0, unset or empty for the default; anything else is a UsageError naming it', (t) => {
  t.is(idleLimitFromEnv(undefined), undefined);
  t.is(idleLimitFromEnv(' '), undefined);
  t.is(idleLimitFromEnv('512'), 512 * 2 ** 20);
  t.is(idleLimitFromEnv('0'), 0);
  t.is(idleLimitFromEnv('0.5'), 2 ** 19);
  for (const bad of ['abc', '-1', 'Infinity', '1e400']) {
    const error = t.throws(() => idleLimitFromEnv(bad), { instanceOf: UsageError });
    t.regex(error!.message, /^JOINTSHOT_NATIVE_IDLE_MB: .*found '/, bad);
  }
});

nativeTest('idle output buffers are kept up to the idle limit: over it a released buffer goes back and the next output of its size is new', async (t) => {
  await tf.setBackend('native');
  const limit = idleLimit();
  try {
    const source = tf.tensor1d(seededValues(30001, 85));
    for (const [bytes, kept] of [[0, false], [limit, true]] as const) {
      setIdleLimit(bytes);
      tf.neg(source).dispose(); // released: kept idle or handed back
      t.true(outputBufferStats().idleBytes <= bytes, `limit ${bytes}: idle bytes within it`);
      const start = outputBufferStats();
      tf.abs(source).dispose();
      const end = outputBufferStats();
      t.is(end.created - start.created, kept ? 0 : 1, `limit ${bytes}: a new buffer ${kept ? 'not ' : ''}needed`);
    }
    source.dispose();
  } finally {
    setIdleLimit(limit);
    await tf.setBackend('cpu');
  }
});
