/** The fused native SGD update (Sgd.step on the native backend) against the tfjs ops on cpu: bit for bit. */
import type { ExecutionContext } from 'ava';
import { tf } from '../../src/tf.js';
import { NATIVE_BACKEND } from '../../src/backend/native/index.js';
import { nativeSgdActive, nativeSgdUpdate } from '../../src/backend/native/sgd.js';
import { Sgd, type SgdOptions } from '../../src/train/index.js';
import { countCalls, nativeTest, seededValues } from './native-helpers.js';

/** Parameter shapes: a small one (plain JS output array) and one past the pooled-buffer and OpenMP thresholds. */
const SHAPES: Record<string, number[]> = { small: [3, 5], conv: [3, 3, 64, 64] };
const STEPS = 4;
const RATES = [0.1, 0.1, 0.0375, 0.006];

/** Initial values with signed zeros in front (the sign of a zero result must match too). */
function initial(name: string, size: number, seed: number): Float32Array {
  const values = seededValues(size, seed).map((v) => v * 3);
  values.set(name === 'small' ? [-0, 0, -0, 0] : [-0, 0], 0);
  return values;
}

/** The gradient of step `s`: seeded values, signed zeros at the front, one huge and one tiny entry. */
function gradient(size: number, s: number, seed: number): Float32Array {
  const values = seededValues(size, 100 * seed + s);
  values.set([-0, 0, 0, -0, 3e30, -1e-30], 0);
  return values;
}

/** Runs STEPS updates of a fresh Sgd on the active backend; the bits of each parameter and buffer after every step. */
function run(options: SgdOptions): Uint32Array[] {
  const params = Object.fromEntries(Object.entries(SHAPES).map(([name, shape], i) => {
    const size = shape.reduce((a, b) => a * b, 1);
    return [name, tf.tidy(() => tf.variable(tf.tensor(initial(name, size, 10 + i), shape)))];
  }));
  const sgd = new Sgd(params, options);
  const out: Uint32Array[] = [];
  try {
    for (let s = 0; s < STEPS; s++) {
      const grads = Object.fromEntries(Object.entries(params).map(([name, p], i) => [name, tf.tensor(gradient(p.size, s, 20 + i), p.shape)]));
      sgd.step(grads, RATES[s]!);
      tf.dispose(Object.values(grads));
      for (const p of Object.values(params)) out.push(new Uint32Array(Float32Array.from(p.dataSync()).buffer));
      for (const [, buf] of Object.entries(sgd.state()).filter(([k]) => k.startsWith('momentum/'))) {
        out.push(new Uint32Array(Float32Array.from((buf as tf.Tensor).dataSync()).buffer));
      }
    }
  } finally {
    sgd.dispose();
    tf.dispose(Object.values(params));
  }
  return out;
}

/** How many of two arrays' entries differ in any bit. */
function differing(a: Uint32Array, b: Uint32Array): number {
  let n = a.length === b.length ? 0 : Math.max(a.length, b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

async function compare(t: ExecutionContext, options: SgdOptions): Promise<void> {
  await tf.setBackend('cpu');
  const cpu = run(options);
  await tf.setBackend(NATIVE_BACKEND);
  const before = tf.memory().numTensors;
  let native: Uint32Array[] = [];
  const calls = await countCalls(async () => {
    native = run(options);
  });
  t.is(tf.memory().numTensors, before, 'tensor count returns to its start');
  await tf.setBackend('cpu');
  t.is(calls.JointshotSgdUpdate?.native, STEPS * Object.keys(SHAPES).length, 'one fused kernel call per parameter and step');
  t.is(native.length, cpu.length);
  cpu.forEach((c, i) => t.is(differing(c, native[i]!), 0, `array ${i} (step ${Math.floor(i / (native.length / STEPS))}): bit-identical`));
}

for (const momentum of [0, 0.9]) {
  for (const nesterov of momentum > 0 ? [false, true] : [false]) {
    for (const weightDecay of [0, 5e-4]) {
      nativeTest(`fused SGD (momentum ${momentum}, nesterov ${nesterov}, weight decay ${weightDecay}) is bit-identical to the tfjs ops on cpu over ${STEPS} steps`, async (t) => {
        await compare(t, { momentum, nesterov, weightDecay });
      });
    }
  }
}

nativeTest('Sgd.step on native keeps the tensor count, leaves gradients and shared storage alone, and JOINTSHOT_NATIVE_FUSED_SGD=0 runs the tfjs ops', async (t) => {
  await tf.setBackend(NATIVE_BACKEND);
  const start = tf.memory().numTensors;
  const init = tf.tensor2d([[1, -2], [3, 0.5]]);
  // tf.variable shares the initial tensor's storage: an in-place update would change `init` too.
  const w = tf.variable(init);
  const sgd = new Sgd({ w }, { momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const grad = tf.tensor2d([[0.5, 0.25], [-1, 2]]);
  const afterSetup = tf.memory().numTensors;
  const fused = await countCalls(async () => {
    for (let s = 0; s < 3; s++) sgd.step({ w: grad }, 0.1);
  });
  t.is(fused.JointshotSgdUpdate?.native, 3);
  t.is(tf.memory().numTensors, afterSetup, 'no tensor created or lost per step');
  t.deepEqual(Array.from(init.dataSync()), [1, -2, 3, 0.5], 'the initial tensor is unchanged');
  t.deepEqual(Array.from(grad.dataSync()), [0.5, 0.25, -1, 2], 'the gradient is unchanged and alive');
  t.notDeepEqual(Array.from(w.dataSync()), [1, -2, 3, 0.5]);
  process.env.JOINTSHOT_NATIVE_FUSED_SGD = '0';
  try {
    t.false(nativeSgdActive());
    const off = await countCalls(async () => sgd.step({ w: grad }, 0.1));
    t.is(off.JointshotSgdUpdate?.native ?? 0, 0, 'switched off: tfjs ops');
    t.true((off.Multiply?.native ?? 0) + (off.Multiply?.fallback ?? 0) > 0);
  } finally {
    delete process.env.JOINTSHOT_NATIVE_FUSED_SGD;
  }
  t.true(nativeSgdActive());
  t.is(tf.memory().numTensors, afterSetup);
  sgd.dispose();
  tf.dispose([w, init, grad]);
  t.is(tf.memory().numTensors, start);
  await tf.setBackend('cpu');
  t.false(nativeSgdActive());
  t.throws(() => tf.tidy(() => void nativeSgdUpdate(tf.ones([1]), tf.ones([1]), tf.zeros([1]), { lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false })), {
    message: /needs the 'native' backend/,
  });
  t.is(tf.memory().numTensors, start);
});
