/**
 * LeakyReLU with a two-kernel gradient, dx = dy * step(x, alpha) (1 where x > 0, alpha elsewhere).
 * tfjs's own gradient is Greater + Multiply + Select; Greater is slow on wasm.
 */
import { tf } from '../tf.js';

/** max(x, alpha * x) for 0 <= alpha <= 1, with the step-based gradient. */
export function leakyRelu(x: tf.Tensor4D, alpha: number): tf.Tensor4D {
  const op = tf.customGrad((xIn, save) => {
    (save as tf.GradSaveFunc)([xIn as tf.Tensor]);
    return {
      value: tf.leakyRelu(xIn as tf.Tensor4D, alpha),
      // In a tidy: tfjs runs custom gradients outside one, so step(x) would live to the end of backward.
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.tidy(() => (dy as tf.Tensor).mul(tf.step(saved[0]!, alpha))),
    };
  });
  return op(x) as tf.Tensor4D;
}
