/** Shared pieces of the backbone tests: random images, a build-use-dispose wrapper, float64 BN. */
import { tf } from '../../src/tf.js';
import { createBackbone, type Backbone, type BackboneConfig } from '../../src/backbones/index.js';
import { BN_EPSILON } from '../../src/backbones/batchnorm.js';

/** `n` seeded uniform [-1, 1) RGB images of side `side`. */
export function images(n: number, side: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, side, side, 3], -1, 1, 'float32', seed) as tf.Tensor4D;
}

/** Builds the backbone, runs `body` on it and disposes it. */
export function withBackbone<T>(config: BackboneConfig, body: (b: Backbone) => T): T {
  const backbone = createBackbone(config);
  try {
    return body(backbone);
  } finally {
    backbone.dispose();
  }
}

/** Whether two tensors are equal to the bit. */
export function same(a: tf.Tensor, b: tf.Tensor): boolean {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0] === 0);
}

/** Training-mode batch norm (biased batch variance) of `y` [M, c] row-major in float64, in place. */
export function bn64(y: Float64Array, c: number, gamma: ArrayLike<number>, beta: ArrayLike<number>): Float64Array {
  const m = y.length / c;
  for (let j = 0; j < c; j++) {
    let mean = 0;
    for (let i = 0; i < m; i++) mean += y[i * c + j]!;
    mean /= m;
    let variance = 0;
    for (let i = 0; i < m; i++) variance += (y[i * c + j]! - mean) ** 2;
    variance /= m;
    for (let i = 0; i < m; i++) y[i * c + j] = ((y[i * c + j]! - mean) / Math.sqrt(variance + BN_EPSILON)) * gamma[j]! + beta[j]!;
  }
  return y;
}
