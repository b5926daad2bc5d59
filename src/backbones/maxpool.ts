/**
 * 2x2 / stride-2 max pooling with a custom gradient: dx = [x == upsample(y)] * upsample(dy),
 * upsampling by nearest-neighbour resize: a few same-shape kernels. Stock tfjs-backend-wasm's
 * MaxPoolGrad is slow; jointshot's own wasm MaxPoolGrad matches this layer in isolation, and a
 * whole Conv-4 step still took less CPU with this one (docs/performance.md, Backbones).
 *
 * Ties: when several entries of a window equal its maximum, each of them receives the full
 * upstream gradient (tf.maxPool's gradient gives it to one). After ReLU/LeakyReLU, exact ties
 * only occur among zeros of ReLU, whose own gradient is 0 there, so the backbones are unaffected.
 * Odd sizes: the last row/column is dropped by the pooling (VALID) and gets zero gradient.
 */
import { tf } from '../tf.js';

/** Max pooling 2x2 stride 2 (VALID) of NHWC `x` with the upsampled-mask gradient. */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, height, width, channels] = x.shape;
  const h = Math.floor(height / 2);
  const w = Math.floor(width / 2);
  const op = tf.customGrad((xIn, save) => {
    const y = tf.maxPool(xIn as tf.Tensor4D, 2, 2, 'valid');
    (save as tf.GradSaveFunc)([xIn as tf.Tensor, y]);
    return {
      value: y,
      // In a tidy: tfjs runs custom gradients outside one, so temporaries would live to the end of backward.
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.tidy(() => {
        const [sx, sy] = saved as [tf.Tensor4D, tf.Tensor4D];
        const even = height === 2 * h && width === 2 * w;
        const cropped = even ? sx : sx.slice([0, 0, 0, 0], [n, 2 * h, 2 * w, channels]);
        const up = (t: tf.Tensor4D) => tf.image.resizeNearestNeighbor(t, [2 * h, 2 * w]);
        // x <= up(y) in each window, so [x == up(y)] = 1 - sign(up(y) - x): three cheap
        // elementwise kernels (wasm's Equal costs about 8x a Sub).
        const isMax = tf.sub(1, tf.sign(up(sy).sub(cropped)));
        const grad = isMax.mul(up(dy as tf.Tensor4D)) as tf.Tensor4D;
        return even ? grad : grad.pad([[0, 0], [0, height - 2 * h], [0, width - 2 * w], [0, 0]]);
      }),
    };
  });
  return op(x) as tf.Tensor4D;
}
