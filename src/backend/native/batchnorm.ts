/**
 * Training-mode batch norm as two fused native kernels (forward and backward), for the backbones
 * to use when the active backend is `native`: same semantics as src/backbones' batchNormTrain
 * (batch statistics over N, H, W of NHWC, biased variance handed to `onStats`), optionally
 * followed by a residual add and ReLU/leaky ReLU in the same kernels (y = act(bn(x) + residual)).
 */
import { tf } from '../../tf.js';
import { UsageError } from '../../errors.js';
import { NATIVE_BACKEND } from './backend.js';
import { BN_TRAIN_BACKWARD, BN_TRAIN_FORWARD } from './kernels/batchnorm-train.js';

/** Whether `nativeBatchNormTrain` can run now (the native backend is the active one). */
export function nativeBatchNormActive(): boolean {
  return tf.getBackend() === NATIVE_BACKEND;
}

/**
 * Whether the backbones should fold an activation and residual add into `nativeBatchNormTrain`
 * (native backend active, JOINTSHOT_NATIVE_FUSED_BN_ACT not '0'; read per call, for A/B timings).
 */
export function nativeBatchNormActActive(): boolean {
  return nativeBatchNormActive() && process.env.JOINTSHOT_NATIVE_FUSED_BN_ACT !== '0';
}

/** What `nativeBatchNormTrain` applies after the batch norm: y = act(bn(x) + residual). */
export interface BatchNormActOptions {
  /** null/undefined = no activation, 0 = ReLU, > 0 = leaky ReLU with this slope. */
  leak?: number | null;
  /** Added to bn(x) before the activation (same shape as x). */
  residual?: tf.Tensor4D;
}

/**
 * act(gamma * (x - mean) / sqrt(var + epsilon) + beta + residual) with the batch's mean and
 * biased variance (passed to `onStats`), differentiable in x, gamma, beta and residual, with
 * tfjs's relu/leakyRelu gradients (0 resp. the slope at 0). Needs the native backend active.
 */
export function nativeBatchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
  epsilon = 1e-5,
  options: BatchNormActOptions = {},
): tf.Tensor4D {
  if (!nativeBatchNormActive()) throw new Error(`nativeBatchNormTrain needs the '${NATIVE_BACKEND}' backend active (found '${tf.getBackend()}')`);
  const { leak = null, residual } = options;
  if (leak !== null && !(leak >= 0 && Number.isFinite(leak))) {
    throw new UsageError(`nativeBatchNormTrain: leak must be null, 0 (ReLU) or a positive leaky-ReLU slope, found ${leak}`);
  }
  if (residual && !tf.util.arraysEqual(residual.shape, x.shape)) {
    throw new UsageError(`nativeBatchNormTrain: residual shape [${residual.shape}] differs from x's [${x.shape}]`);
  }
  const act = leak === null ? 0 : leak === 0 ? 1 : 2;
  const slope = leak ?? 0;
  // Plain batch norm: the backward needs x and the statistics only.
  const keepY = act !== 0 || residual !== undefined;
  const forward = (inputs: tf.Tensor[], save: tf.GradSaveFunc) => {
    const [xIn, gammaIn, betaIn, residualIn] = inputs;
    const kernelInputs: tf.NamedTensorMap = { x: xIn!, gamma: gammaIn!, beta: betaIn! };
    if (residualIn) kernelInputs.residual = residualIn;
    const [y, mean, variance] = tf.engine().runKernel(BN_TRAIN_FORWARD, kernelInputs, { epsilon, act, slope }) as tf.Tensor[];
    onStats?.(mean as tf.Tensor1D, variance as tf.Tensor1D);
    save(keepY ? [xIn!, gammaIn!, mean!, variance!, y!] : [xIn!, gammaIn!, mean!, variance!]);
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sgamma, smean, svariance, sy] = saved;
        const gradInputs: tf.NamedTensorMap = { x: sx!, dy: dy as tf.Tensor, gamma: sgamma!, mean: smean!, variance: svariance! };
        if (sy) gradInputs.y = sy;
        return tf.engine().runKernel(BN_TRAIN_BACKWARD, gradInputs, { epsilon, act, slope, residual: residualIn !== undefined }) as tf.Tensor[];
      },
    };
  };
  if (residual) {
    const op = tf.customGrad((xIn, gammaIn, betaIn, residualIn, save) =>
      forward([xIn as tf.Tensor, gammaIn as tf.Tensor, betaIn as tf.Tensor, residualIn as tf.Tensor], save as tf.GradSaveFunc));
    return op(x, gamma, beta, residual) as tf.Tensor4D;
  }
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) =>
    forward([xIn as tf.Tensor, gammaIn as tf.Tensor, betaIn as tf.Tensor], save as tf.GradSaveFunc));
  return op(x, gamma, beta) as tf.Tensor4D;
}
