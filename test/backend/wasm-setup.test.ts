import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../src/tf.js';
import { UsageError } from '../../src/errors.js';
import {
  assertWasmHeapHealthy,
  requestedWasmThreads,
  runningWasmModule,
  setupWasm,
  shutdownBackend,
  wasmBackendInfo,
  wasmHeapBytes,
  WasmHeapError,
  wasmThreadCount,
} from '../../src/backend/wasm/index.js';
import { watchWasmModule } from '../../src/backend/wasm/heap.js';
import { loadWasmModule, threadsSupported, type WasmModule } from '../../src/backend/wasm/module-loader.js';
import { withNoLeaks } from '../helpers/tf.js';

// The wasm backend is process-wide state: these tests run one after another.
test.before(async () => {
  await setupWasm({ threads: 2 });
  await tf.setBackend('wasm');
});

const XNN_OOM_LINE =
  'XNN status for xnn_create_convolution2d_nhwc_f32 is not successful. Got status 6. Use -c dbg to see XNN logs.';

test.serial('the threaded build runs on 2 threads in Node', (t) => {
  t.true(threadsSupported(), 'node 20 has SharedArrayBuffer and wasm threads');
  t.deepEqual(wasmBackendInfo(), { threads: 2, threaded: true });
  t.is(wasmThreadCount(), 2);
  t.is(tfwasm.getThreadsCount(), 2);
});

test.serial('a matmul on 2 threads is right and leaves no tensors', async (t) => {
  await withNoLeaks(t, () => {
    const value = tf.tidy(() => tf.matMul(tf.ones([64, 32]), tf.fill([32, 16], 0.5)).sum().dataSync()[0]);
    t.is(value, 64 * 16 * 32 * 0.5);
  });
});

test.serial('JOINTSHOT_WASM_THREADS chooses the thread count; default is every core', (t) => {
  t.is(requestedWasmThreads({ JOINTSHOT_WASM_THREADS: '3' }), 3);
  t.true(requestedWasmThreads({}) >= 1);
  const error = t.throws(() => requestedWasmThreads({ JOINTSHOT_WASM_THREADS: 'two' }), { instanceOf: UsageError });
  t.regex(error!.message, /^JOINTSHOT_WASM_THREADS must be a positive integer, found 'two'$/);
  t.throws(() => requestedWasmThreads({ JOINTSHOT_WASM_THREADS: '0' }), { instanceOf: UsageError });
});

test.serial('wasmHeapBytes reports the linear memory; a healthy heap passes the check', (t) => {
  const bytes = wasmHeapBytes();
  t.true(bytes >= 16 * 1024 ** 2, `heap ${bytes}`);
  t.is(bytes % 65536, 0);
  t.notThrows(() => assertWasmHeapHealthy());
});

test.serial('a heap at its limit fails the check with a one-line WasmHeapError', (t) => {
  const error = t.throws(() => assertWasmHeapHealthy({ limitBytes: 1024 ** 2 }), { instanceOf: WasmHeapError });
  t.regex(error!.message, /^wasm heap at \d+\.\d\d GiB reached its limit of 0\.00 GiB/);
  t.false(error!.message.includes('\n'));
});

test.serial('an XNNPACK "status 6" printed by the module fails the next check, once', (t) => {
  const module = runningWasmModule() as unknown as { print(text: string): void };
  module.print(XNN_OOM_LINE); // the path the C++ side prints through (also echoed to stdout)
  const error = t.throws(() => assertWasmHeapHealthy(), { instanceOf: WasmHeapError });
  t.regex(error!.message, /xnn_create_convolution2d_nhwc_f32 failed with status 6 \(out of memory\)/);
  t.notThrows(() => assertWasmHeapHealthy());
});

test.serial('a request the 4 GiB heap cannot hold throws WasmHeapError (never a bogus block)', (t) => {
  const module = runningWasmModule()!;
  const error = t.throws(() => module._malloc(4_294_000_000), { instanceOf: WasmHeapError });
  t.regex(error!.message, /^wasm heap exhausted: could not allocate 4294000000 bytes/);
});

test.serial('a malloc that returns 0 throws WasmHeapError instead of handing tfjs offset 0', (t) => {
  const real = runningWasmModule()!;
  const stub = { _malloc: () => 0, _free: () => {}, HEAPU8: new Uint8Array(65536) } as unknown as WasmModule;
  watchWasmModule(stub);
  try {
    t.throws(() => stub._malloc(1024), { instanceOf: WasmHeapError, message: /could not allocate 1024 bytes/ });
  } finally {
    watchWasmModule(real);
  }
  t.notThrows(() => assertWasmHeapHealthy());
});

test.serial('a threaded build that cannot start falls back to one thread and says why', async (t) => {
  const loaded = await loadWasmModule({ threaded: true, threads: 2, timeoutMs: 1, onOutput: () => {} });
  t.false(loaded.threaded);
  t.regex(loaded.fallbackReason ?? '', /did not start within 1 ms/);
  t.is(typeof loaded.module._malloc, 'function');
});

test.serial('a wasm backend started before setupWasm is kept and reported; a process on 2 threads exits by itself', (t) => {
  const setup = fileURLToPath(new URL('../../src/backend/wasm/index.ts', import.meta.url));
  const tfPath = fileURLToPath(new URL('../../src/tf.ts', import.meta.url));
  const script = [
    `const { tf } = await import(${JSON.stringify(tfPath)});`,
    `await import('@tensorflow/tfjs-backend-wasm');`,
    `const w = await import(${JSON.stringify(setup)});`,
    // tfjs' own loader first (single thread in Node), then setupWasm on the running backend
    `await tf.setBackend('wasm'); await w.setupWasm({ threads: 2 });`,
    `const early = w.wasmBackendInfo();`,
    `const grad = tf.tidy(() => tf.grad((x) => tf.conv2d(x, tf.ones([3, 3, 2, 4]), 1, 'same').sum())(tf.ones([1, 5, 5, 2])).sum().dataSync()[0]);`,
    `const heap = w.wasmHeapBytes() > 0;`,
    // then a fresh backend from jointshot's loader, 2 threads, and no explicit exit
    `w.shutdownBackend(); const after = w.wasmBackendInfo() === undefined && w.wasmHeapBytes() === 0;`,
    `await w.setupWasm({ threads: 2 }); await tf.setBackend('wasm');`,
    `const s = tf.tidy(() => tf.matMul(tf.ones([128, 128]), tf.ones([128, 128])).sum().dataSync()[0]);`,
    `console.log(JSON.stringify({ early, grad, heap, after, threads: w.wasmThreadCount(), s }));`,
  ].join('\n');
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.is(child.error, undefined, 'the child must end before the 60 s timeout');
  t.is(child.status, 0, child.stderr);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!);
  t.deepEqual(result.early, { threads: 1, threaded: false, fallbackReason: 'the wasm backend was started before setupWasm()' });
  // sum of d/dx sum(conv(x, ones 3x3x2x4, same)) on 5x5x2: 4 output channels x 2 input channels x
  // (windows covering each row: 2+3+3+3+2 = 13)^2
  t.is(result.grad, 4 * 2 * 13 ** 2);
  t.true(result.heap);
  t.true(result.after, 'shutdownBackend forgets the early backend');
  t.is(result.threads, 2);
  t.is(result.s, 128 ** 3);
});

test.serial('shutdownBackend stops wasm; setBackend starts a fresh one', async (t) => {
  shutdownBackend();
  t.falsy(tf.engine().registry['wasm']);
  t.is(runningWasmModule(), undefined);
  t.is(wasmHeapBytes(), 0);
  t.is(wasmBackendInfo(), undefined);
  t.notThrows(() => assertWasmHeapHealthy());
  await tf.setBackend('wasm');
  t.is(wasmThreadCount(), 2);
  t.is(tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)).dataSync()[0]), 3);
  shutdownBackend();
});
