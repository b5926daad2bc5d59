/**
 * Seeded weight initialisation in plain JS, so the same seed gives the same weights on every
 * backend and machine (tf.randomNormal's seeding is backend-specific).
 */
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';

/** A standard-normal sampler (Box-Muller, both outputs used) driven by `rng`. */
export function normalSampler(rng: Rng): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const z = spare;
      spare = undefined;
      return z;
    }
    const radius = Math.sqrt(-2 * Math.log(1 - rng()));
    const angle = 2 * Math.PI * rng();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/**
 * Kaiming-normal conv kernel [kh, kw, inC, outC] as MetaOptNet: mode fan_out, gain sqrt(2)
 * (PyTorch's leaky_relu gain with its default slope 0), std = sqrt(2 / (kh * kw * outC)).
 */
export function kaimingNormalKernel(shape: [number, number, number, number], normal: () => number): tf.Tensor4D {
  const [kh, kw, , outC] = shape;
  const std = Math.sqrt(2 / (kh * kw * outC));
  const values = new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]);
  for (let i = 0; i < values.length; i++) values[i] = normal() * std;
  return tf.tensor4d(values, shape);
}
