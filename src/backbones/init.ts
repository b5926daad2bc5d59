/**
 * Seeded weight initialisation in plain JS, so the same seed gives the same weights on every
 * backend and machine (tf.randomNormal's seeding is backend-specific).
 */
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';

/**
 * A fast uniform [0, 1) stream (sfc32: 32-bit integer ops only, so identical everywhere) seeded
 * by four draws of `rng`; the project Rng (seedrandom ARC4) costs ~200 ns a draw, too slow for
 * millions of weights.
 */
export function fastUniform(rng: Rng): () => number {
  let a = Math.floor(rng() * 2 ** 32) | 0;
  let b = Math.floor(rng() * 2 ** 32) | 0;
  let c = Math.floor(rng() * 2 ** 32) | 0;
  let d = Math.floor(rng() * 2 ** 32) | 0;
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // mix the seed in
  return next;
}

/** A standard-normal sampler (Marsaglia's polar method, both outputs used) seeded from `rng`. */
export function normalSampler(rng: Rng): () => number {
  const uniform = fastUniform(rng);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    spare = v * factor;
    return u * factor;
  };
}

/**
 * Kaiming-normal conv kernel [kh, kw, inC, outC] as MetaOptNet: mode fan_out, gain sqrt(2)
 * (PyTorch's leaky_relu gain with its default slope 0), std = sqrt(2 / (kh * kw * outC)).
 * `normal` null gives zeros (weights about to be overwritten).
 */
export function kaimingNormalKernel(shape: [number, number, number, number], normal: (() => number) | null): tf.Tensor4D {
  if (normal === null) return tf.zeros(shape);
  const [kh, kw, , outC] = shape;
  const std = Math.sqrt(2 / (kh * kw * outC));
  const values = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  for (let i = 0; i < values.length; i++) values[i] = normal() * std;
  return tf.tensor4d(values, shape);
}
