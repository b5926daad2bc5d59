/**
 * A fast keyed generator for procedural pixels: the stream for keys (seed, class, image) is a pure
 * function of those integers, uses only 32-bit integer arithmetic (Math.imul, shifts), and so is
 * bit-identical on every machine. For episode sampling use src/util/rng.ts instead.
 */

/** A generator of doubles in [0, 1). */
export type UnitRng = () => number;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function seedState(keys: readonly number[]): number {
  let state = 0x9e3779b9;
  for (const key of keys) {
    const low = key >>> 0;
    const high = Math.floor(key / 4294967296) >>> 0;
    state = fmix32((state ^ low) + 0x6d2b79f5);
    state = fmix32((state ^ high) + 0x7f4a7c15);
  }
  return state;
}

/** A mulberry32 stream of unsigned 32-bit integers seeded by hashing `keys` (safe integers). */
export function keyedUint32(...keys: number[]): () => number {
  let state = seedState(keys);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The same stream as keyedUint32(...keys), as doubles in [0, 1). */
export function keyedRng(...keys: number[]): UnitRng {
  const next = keyedUint32(...keys);
  return () => next() / 4294967296;
}

/** A double drawn uniformly from [lo, hi). */
export function uniform(rng: UnitRng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** An integer drawn uniformly from [lo, hi] (both inclusive). */
export function integer(rng: UnitRng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}
