/**
 * Training-mode batch norm as two fused native kernels (forward and backward), for the backbones
 * to use when the active backend is `native`: same semantics as src/backbones' batchNormTrain
 * (batch statistics over N, H, W of NHWC, biased variance handed to `onStats`).
 */
import { tf } from '../../tf.js';
import { NATIVE_BACKEND } from './backend.js';
import { BN_TRAIN_BACKWARD, BN_TRAIN_FORWARD } from './kernels/batchnorm-train.js';

/** Whether `nativeBatchNormTrain` can run now (the native backend is the active one). */
export function nativeBatchNormActive(): boolean {
  return tf.getBackend() === NATIVE_BACKEND;
}

/**
 * gamma * (x - mean) / sqrt(var + epsilon) + beta with the batch's mean and biased variance
 * (passed to `onStats`), differentiable in x, gamma and beta. Needs the native backend active.
 */
export function nativeBatchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
  epsilon = 1e-5,
): tf.Tensor4D {
  if (!nativeBatchNormActive()) throw new Error(`nativeBatchNormTrain needs the '${NATIVE_BACKEND}' backend active (found '${tf.getBackend()}')`);
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN_FORWARD, { x: xIn as tf.Tensor, gamma: gammaIn as tf.Tensor, beta: betaIn as tf.Tensor }, { epsilon }) as tf.Tensor[];
    onStats?.(mean as tf.Tensor1D, variance as tf.Tensor1D);
    (save as tf.GradSaveFunc)([xIn as tf.Tensor, gammaIn as tf.Tensor, mean!, variance!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sgamma, smean, svariance] = saved;
        return tf.engine().runKernel(
          BN_TRAIN_BACKWARD,
          { x: sx!, dy: dy as tf.Tensor, gamma: sgamma!, mean: smean!, variance: svariance! },
          { epsilon },
        ) as tf.Tensor[];
      },
    };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}
