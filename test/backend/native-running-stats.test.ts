/** The fused running-statistics update (updateRunningStats on native) against the tfjs ops on cpu: bit for bit, one kernel call. */
import { tf } from '../../src/tf.js';
import { NATIVE_BACKEND } from '../../src/backend/native/index.js';
import { updateRunningStats } from '../../src/backbones/batchnorm.js';
import { countCalls, nativeTest, seededValues } from './native-helpers.js';

/** Bits of the running mean and variance after three updates with `rows` rows per batch, on `backend`. */
async function run(backend: string, rows: number, momentum: number): Promise<Uint32Array[]> {
  await tf.setBackend(backend);
  const channels = 37;
  const runningMean = tf.tidy(() => tf.variable(tf.tensor1d(seededValues(channels, 1))));
  const runningVar = tf.tidy(() => tf.variable(tf.tensor1d(seededValues(channels, 2).map((v) => Math.abs(v) + 0.5))));
  const out: Uint32Array[] = [];
  for (let s = 0; s < 3; s++) {
    const mean = tf.tensor1d(seededValues(channels, 10 + s).map((v) => v * 1e3));
    const variance = tf.tensor1d(seededValues(channels, 20 + s).map((v) => v * v * 7));
    updateRunningStats(runningMean, runningVar, mean, variance, rows, momentum);
    tf.dispose([mean, variance]);
    for (const v of [runningMean, runningVar]) out.push(new Uint32Array(Float32Array.from(v.dataSync()).buffer));
  }
  tf.dispose([runningMean, runningVar]);
  return out;
}

nativeTest('running statistics: one native call per update, bit-identical to the tfjs ops on cpu (rows 1, 2, 6400; momentum 0.1, 0.01)', async (t) => {
  const before = tf.memory().numTensors;
  for (const [rows, momentum] of [[6400, 0.1], [2, 0.1], [1, 0.1], [6400, 0.01]] as const) {
    const expected = await run('cpu', rows, momentum);
    let got: Uint32Array[] = [];
    const calls = await countCalls(async () => {
      got = await run(NATIVE_BACKEND, rows, momentum);
    });
    t.is(calls.JointshotRunningStats?.native, 3, `rows ${rows}: one call per update`);
    t.is(calls.Multiply?.native ?? 0, 0, `rows ${rows}: no separate multiplies`);
    t.deepEqual(got, expected, `rows ${rows}, momentum ${momentum}: same bits`);
  }
  await tf.setBackend('cpu');
  t.is(tf.memory().numTensors, before);
});

nativeTest('JOINTSHOT_NATIVE_FUSED_STATS=0 keeps the tfjs ops on native (same bits)', async (t) => {
  process.env.JOINTSHOT_NATIVE_FUSED_STATS = '0';
  try {
    const expected = await run('cpu', 100, 0.1);
    let got: Uint32Array[] = [];
    const calls = await countCalls(async () => {
      got = await run(NATIVE_BACKEND, 100, 0.1);
    });
    t.is(calls.JointshotRunningStats?.native ?? 0, 0);
    t.true((calls.Multiply?.native ?? 0) > 0, 'the tfjs ops ran');
    t.deepEqual(got, expected);
  } finally {
    delete process.env.JOINTSHOT_NATIVE_FUSED_STATS;
    await tf.setBackend('cpu');
  }
});
