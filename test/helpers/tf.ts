/** Test helpers: a fixed backend and a check that a test leaves no tensors behind. */
import type { ExecutionContext } from 'ava';
import { tf } from '../../src/tf.js';

let ready: Promise<void> | undefined;

/** Selects the pure-JS cpu backend once per test worker (deterministic and always present). */
export function useCpuBackend(): Promise<void> {
  ready ??= (async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  })();
  return ready;
}

/** Runs `body` and fails the test if the number of live tensors changed. */
export async function withNoLeaks<T>(t: ExecutionContext, body: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await body();
  t.is(tf.memory().numTensors, before, 'tensor count must return to its start');
  return result;
}
