/**
 * Seeded randomness. Every random choice in jointshot flows from an `Rng` made here, so the same
 * seed gives the same result on every machine; nothing uses the unseeded global generator.
 */
import seedrandom from 'seedrandom';

/** A seeded generator of doubles in [0, 1) whose state can be saved and restored (for resume). */
export interface Rng {
  (): number;
  /** A copy of the internal state, restorable with `createRng(seed, state)`. */
  state(): object;
}

/** A generator for `seed`; with `state`, it continues exactly where the saved generator was. */
export function createRng(seed: number | string, state?: object): Rng {
  const prng = state
    ? seedrandom('', { state: state as never })
    : seedrandom(String(seed), { state: true });
  return prng as unknown as Rng;
}

/** An integer drawn uniformly from [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Fisher-Yates shuffle of `items` in place, driven by `rng`; returns `items`. */
export function shuffleInPlace<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const t = items[i]!;
    items[i] = items[j]!;
    items[j] = t;
  }
  return items;
}

/** `k` distinct integers from [0, n) in draw order (partial Fisher-Yates). */
export function sampleDistinct(rng: Rng, n: number, k: number): number[] {
  if (k > n) throw new RangeError(`cannot draw ${k} distinct values from ${n}`);
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(rng, n - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, k);
}
