import test from 'ava';
import { tf } from '../../src/tf.js';
import { UsageError } from '../../src/errors.js';
import { availableBackends, initBackend, probeBackends } from '../../src/backend/index.js';
import { probeTensorflow } from '../../src/backend/select.js';
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
  t.deepEqual(names.filter((n) => n !== 'tensorflow' && n !== 'native'), ['wasm', 'cpu']);
  const probes = await probeBackends();
  t.deepEqual(probes.map((p) => p.name), ['tensorflow', 'native', 'wasm', 'cpu']);
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
  t.regex(error!.message, /^unknown backend 'gpu' \(--backend\): expected one of tensorflow, native, wasm, cpu; installed here: .*wasm, cpu$/);
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
  t.regex(error!.message, /^backend 'tensorflow' \(--backend\) is not installed \(.*tfjs-node.*\); installed here: (native, )?wasm, cpu$/);
  t.false(error!.message.includes('\n'));
});

/** With a real tfjs-node loaded, 'tensorflow' is registered and its absence cannot be simulated. */
const realTensorflowLoaded = () => tf.findBackendFactory('tensorflow') !== null;

test.serial('tensorflow probe: absent package, broken native binding and a foreign tfjs copy are not installed', async (t) => {
  if (realTensorflowLoaded()) return t.pass('tfjs-node is installed here');
  const absent = Object.assign(new Error("Cannot find package '@tensorflow/tfjs-node-gpu'"), { code: 'ERR_MODULE_NOT_FOUND' });
  const broken = new Error('The specified module could not be found.\n/x/tfjs_binding.node');
  const probe = await probeTensorflow(['gpu-pkg', 'node-pkg', 'foreign-pkg'], async (specifier) => {
    if (specifier === 'gpu-pkg') throw absent;
    if (specifier === 'node-pkg') throw broken;
    return {}; // imports fine but registers nothing into our tfjs
  });
  t.false(probe.available);
  t.is(
    probe.detail,
    "gpu-pkg not installed; node-pkg failed to load: The specified module could not be found.; foreign-pkg did not register into jointshot's @tensorflow/tfjs-core (versions differ?)",
  );
});

test.serial('tensorflow probe: a binding that registers into our tfjs is used', async (t) => {
  if (realTensorflowLoaded()) return t.pass('tfjs-node is installed here');
  const probe = await probeTensorflow(['fake-node'], async () => {
    tf.registerBackend('tensorflow', () => tf.findBackend('cpu')!, 0);
  });
  tf.removeBackend('tensorflow');
  t.deepEqual(probe, { name: 'tensorflow', available: true, detail: 'fake-node' });
});
