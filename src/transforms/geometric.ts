/** Tensor ops behind the label transformations: quarter-turn rotations and channel permutations. */
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';

/**
 * Rotates NHWC images by k quarter turns counter-clockwise in the (H, W) plane, exactly as
 * `numpy.rot90(x, k, axes=(1, 2))` (and `torch.rot90(x, k, (2, 3))` on NCHW) does:
 * k = 1 maps out[h][w] = in[w][W-1-h], so [[1,2],[3,4]] becomes [[2,4],[1,3]].
 * Odd k swaps H and W. The dtype (float32 or int32) is kept.
 */
export function rot90(images: tf.Tensor4D, k: number): tf.Tensor4D {
  if (!Number.isInteger(k)) throw new UsageError(`rot90: k must be an integer number of quarter turns, found ${k}`);
  const turns = ((k % 4) + 4) % 4;
  return tf.tidy(() => {
    switch (turns) {
      case 0:
        return images.clone();
      case 1:
        return tf.transpose(tf.reverse(images, 2), [0, 2, 1, 3]);
      case 2:
        return tf.reverse(images, [1, 2]);
      default:
        return tf.reverse(tf.transpose(images, [0, 2, 1, 3]), 2);
    }
  });
}

/** Reorders the channels of NHWC images: output channel c is input channel `order[c]`. */
export function permuteChannels(images: tf.Tensor4D, order: readonly number[]): tf.Tensor4D {
  const channels = images.shape[3];
  if (order.length !== channels) {
    throw new UsageError(
      `channel permutation [${order.join(',')}] needs ${order.length} channels, but the images have ${channels}`,
    );
  }
  return tf.tidy(() => tf.gather(images, Array.from(order), 3));
}

/** True when `order` is [0, 1, ..., n-1]. */
export function isIdentityOrder(order: readonly number[]): boolean {
  return order.every((v, i) => v === i);
}

/** All permutations of [0..n-1] in `itertools.permutations` order (lexicographic, identity first). */
export function permutationsOf(n: number): number[][] {
  if (n <= 1) return [Array.from({ length: n }, (_, i) => i)];
  const result: number[][] = [];
  for (let first = 0; first < n; first++) {
    for (const rest of permutationsOf(n - 1)) {
      result.push([first, ...rest.map((v) => (v >= first ? v + 1 : v))]);
    }
  }
  return result;
}
