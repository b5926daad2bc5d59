/**
 * Dropout and DropBlock whose randomness comes from a seeded `Rng` (each call draws a fresh
 * tfjs seed from it; tfjs's seeded uniform sampler runs in JS, identical on every backend).
 */
import { tf } from '../tf.js';
import type { Rng } from '../util/rng.js';

/** A tfjs random seed drawn from `rng`. */
function drawSeed(rng: Rng): number {
  return Math.floor(rng() * 2 ** 32);
}

/** Inverted dropout: zeroes each entry with probability `rate`, scales the rest by 1/(1 - rate). */
export function seededDropout(x: tf.Tensor4D, rate: number, rng: Rng): tf.Tensor4D {
  if (rate <= 0) return x;
  return tf.dropout(x, rate, undefined, drawSeed(rng)) as tf.Tensor4D;
}

/**
 * MetaOptNet's DropBlock keep rate after `calls` training forward passes: linear from 1 down to
 * 1 - rate over `rampCalls` passes, then constant.
 */
export function dropBlockKeepRate(rate: number, calls: number, rampCalls: number): number {
  return Math.max(1 - (rate / rampCalls) * calls, 1 - rate);
}

/**
 * DropBlock (Ghiasi et al.) as MetaOptNet applies it to NHWC `x` (square maps): block seeds are
 * Bernoulli(gamma) on the (H - b + 1)^2 valid positions, gamma = (1 - keep) / b^2 * H^2 /
 * (H - b + 1)^2; each seed zeroes the b x b block starting at it (all channels independent);
 * the result is rescaled by (number of entries) / (number kept). `blockSize` is capped at H.
 */
export function dropBlock(x: tf.Tensor4D, keepRate: number, blockSize: number, rng: Rng): tf.Tensor4D {
  if (keepRate >= 1) return x;
  const [n, height, width, channels] = x.shape;
  const b = Math.min(blockSize, height, width);
  const gamma = ((1 - keepRate) / (b * b)) * ((height * height) / (height - b + 1) ** 2);
  const seeds = tf
    .randomUniform([n, height - b + 1, width - b + 1, channels], 0, 1, 'float32', drawSeed(rng))
    .less(gamma)
    .cast('float32') as tf.Tensor4D;
  // A block covers [i, i + b) from seed i: a stride-1 b x b max over the seeds padded by b - 1.
  const padded = seeds.pad([[0, 0], [b - 1, b - 1], [b - 1, b - 1], [0, 0]]);
  const dropped = tf.maxPool(padded as tf.Tensor4D, b, 1, 'valid');
  const keep = tf.sub(1, dropped);
  const scale = tf.div(keep.size, tf.maximum(keep.sum(), 1));
  return x.mul(keep.mul(scale)) as tf.Tensor4D;
}
