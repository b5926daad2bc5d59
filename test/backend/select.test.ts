import test from 'ava';
import { tf } from '../../src/tf.js';
import { UsageError } from '../../src/errors.js';
import { availableBackends, initBackend, probeBackends } from '../../src/backend/index.js';
import { wasmThreadCount } from '../../src/backend/wasm/setup.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

// The backend is process-wide state: these tests run one after another, starting from cpu.
test.before(useCpuBackend);

/** A small computation on the active backend, disposed before the leak check. */
function sumOfSquares(): number {
  return tf.tidy(() => tf.square(tf.tensor1d([1, 2, 3])).sum().arraySync() as number);
}

test.serial('cpu and wasm are always installed, listed in preference order', async (t) => {
  const names = await availableBackends();
  t.deepEqual(names.filter((n) => n !== 'tensorflow'), ['wasm', 'cpu']);
  const probes = await probeBackends();
  t.deepEqual(probes.map((p) => p.name), ['tensorflow', 'wasm', 'cpu']);
  t.is(probes.find((p) => p.name === 'wasm')?.detail, '@tensorflow/tfjs-backend-wasm');
});

test.serial('forcing cpu activates it', async (t) => {
  await withNoLeaks(t, async () => {
    t.deepEqual(await initBackend('cpu', {}), { name: 'cpu', threads: 1 });
    t.is(tf.getBackend(), 'cpu');
    t.is(sumOfSquares(), 14);
  });
});

test.serial('forcing wasm activates it (after setupWasm) and reports its threads', async (t) => {
  await withNoLeaks(t, async () => {
    t.deepEqual(await initBackend('wasm', {}), { name: 'wasm', threads: wasmThreadCount() });
    t.is(tf.getBackend(), 'wasm');
    t.is(sumOfSquares(), 14);
  });
});

test.serial('JOINTSHOT_BACKEND is used without a flag, and the flag wins over it', async (t) => {
  await withNoLeaks(t, async () => {
    t.is((await initBackend(undefined, { JOINTSHOT_BACKEND: 'cpu' })).name, 'cpu');
    t.is(tf.getBackend(), 'cpu');
    t.is((await initBackend('wasm', { JOINTSHOT_BACKEND: 'cpu' })).name, 'wasm');
    t.is(tf.getBackend(), 'wasm');
  });
});

test.serial('without a request the first installed backend is chosen', async (t) => {
  const chosen = await initBackend(undefined, {});
  t.is(chosen.name, (await availableBackends())[0]);
  t.is(tf.getBackend(), chosen.name);
});

test.serial('an unknown backend is a one-line UsageError listing the installed ones', async (t) => {
  const error = await t.throwsAsync(initBackend('gpu', {}), { instanceOf: UsageError });
  t.regex(error!.message, /^unknown backend 'gpu' \(--backend\): expected one of tensorflow, wasm, cpu; installed here: .*wasm, cpu$/);
  t.false(error!.message.includes('\n'));
  const fromEnv = await t.throwsAsync(initBackend(undefined, { JOINTSHOT_BACKEND: 'metal' }), { instanceOf: UsageError });
  t.regex(fromEnv!.message, /JOINTSHOT_BACKEND/);
});

test.serial('tensorflow: active when tfjs-node is installed, else a one-line UsageError', async (t) => {
  const installed = (await availableBackends()).includes('tensorflow');
  if (installed) {
    t.is((await initBackend('tensorflow', {})).name, 'tensorflow');
    return;
  }
  const error = await t.throwsAsync(initBackend('tensorflow', {}), { instanceOf: UsageError });
  t.regex(error!.message, /^backend 'tensorflow' \(--backend\) is not installed \(.*tfjs-node.*\); installed here: wasm, cpu$/);
  t.false(error!.message.includes('\n'));
});
