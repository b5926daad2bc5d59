/** Shared by the native backend tests: registration (or a clean skip) and cpu-vs-native comparison. */
import test, { type ExecutionContext, type TestFn } from 'ava';
import { tf } from '../../src/tf.js';
import { NATIVE_BACKEND, nativeKernelCounts, registerNativeBackend } from '../../src/backend/native/index.js';

const probe = registerNativeBackend(2);
if (!probe.available) console.warn(`native backend tests skipped: ${probe.detail}`);

/** `test.serial` when the addon is built, else `test.skip` (the reason is printed once). */
export const nativeTest: TestFn['serial'] = probe.available ? test.serial : (test.skip as TestFn['serial']);

/** Deterministic pseudo-random floats in [-1, 1) (no backend involved). */
export function seededValues(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed * 2654435761 % 2 ** 32 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

/** Runs `compute` on the cpu backend, then on native; returns both outputs as plain arrays. */
export async function onBoth(compute: () => tf.Tensor | tf.Tensor[]): Promise<{ cpu: Array<{ shape: number[]; dtype: string; values: number[] }>; native: Array<{ shape: number[]; dtype: string; values: number[] }> }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const result = compute();
      return (Array.isArray(result) ? result : [result]).map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync()) }));
    });
  };
  const cpu = await run('cpu');
  const native = await run(NATIVE_BACKEND);
  await tf.setBackend('cpu');
  return { cpu, native };
}

/** Asserts native matches cpu: shapes and dtypes equal, values within `tol` relative to the largest magnitude. */
export async function assertMatchesCpu(t: ExecutionContext, label: string, compute: () => tf.Tensor | tf.Tensor[], tol = 1e-5): Promise<void> {
  const before = tf.memory().numTensors;
  const { cpu, native } = await onBoth(compute);
  t.is(tf.memory().numTensors, before, `${label}: tensor count must return to its start`);
  t.is(native.length, cpu.length, label);
  cpu.forEach((c, i) => {
    const n = native[i]!;
    t.deepEqual(n.shape, c.shape, `${label}[${i}] shape`);
    t.is(n.dtype, c.dtype, `${label}[${i}] dtype`);
    const scale = c.values.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 1);
    let worst = 0;
    c.values.forEach((v, j) => {
      const d = Number.isNaN(v) && Number.isNaN(n.values[j]!) ? 0 : Math.abs(v - n.values[j]!);
      worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
    });
    t.true(worst <= tol * scale, `${label}[${i}]: max difference ${worst} > ${tol * scale}`);
  });
}

/** Runs `body` and returns how many calls of each kernel ran natively / fell back meanwhile. */
export async function countCalls(body: () => Promise<void>): Promise<Record<string, { native: number; fallback: number }>> {
  const before = nativeKernelCounts();
  await body();
  const after = nativeKernelCounts();
  return Object.fromEntries(
    Object.entries(after).map(([k, v]) => [k, { native: v.native - (before[k]?.native ?? 0), fallback: v.fallback - (before[k]?.fallback ?? 0) }]),
  );
}
