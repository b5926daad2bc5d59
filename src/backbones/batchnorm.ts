/**
 * Batch normalisation over N, H, W of NHWC tensors, PyTorch semantics (eps 1e-5, momentum 0.1,
 * unbiased variance in the running average). Training uses a custom gradient whose reductions are
 * ones[1, M] x X[M, C] matmuls: tfjs's own gradient of the mean goes through Tile and Sum, which
 * are slow on the wasm backend.
 */
import { nativeBatchNormActive, nativeBatchNormTrain } from '../backend/native/batchnorm.js';
import { nativeRunningStats, nativeRunningStatsActive } from '../backend/native/running-stats.js';
import { tf } from '../tf.js';

/** PyTorch's BatchNorm2d defaults. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Batch mean and biased variance [C], handed out of the forward pass. */
export type BatchStatsListener = (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;

/**
 * Per-channel means [C] of `x` [N, H, W, C]: a full-window average pool per image, then a mean
 * over the N images. On wasm this is far faster than Sum (which transposes first) or a
 * ones[1, M] x X matmul (XNNPACK repacks the fresh M x C operand on every call).
 */
function channelMeans(x: tf.Tensor4D): tf.Tensor1D {
  const [n, height, width, channels] = x.shape;
  return tf.avgPool(x, [height, width], 1, 'valid').reshape([n, channels]).mean(0) as tf.Tensor1D;
}

/**
 * Training-mode batch norm of `x` [N, H, W, C] with batch statistics: gamma * xhat + beta.
 * `onStats` receives the batch mean and biased variance (e.g. to update running averages).
 * On the `native` backend it runs as two fused oneDNN-addon kernels (same semantics, tested).
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  onStats?: BatchStatsListener,
  epsilon = BN_EPSILON,
): tf.Tensor4D {
  if (nativeBatchNormActive()) return nativeBatchNormTrain(x, gamma, beta, onStats, epsilon);
  const count = x.size / x.shape[3];
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const x4d = xIn as tf.Tensor4D;
    const mean = channelMeans(x4d);
    const variance = channelMeans(x4d.sub(mean).square() as tf.Tensor4D);
    onStats?.(mean, variance);
    const invStd = variance.add(epsilon).rsqrt() as tf.Tensor1D;
    (save as tf.GradSaveFunc)([x4d, mean, invStd, gammaIn as tf.Tensor]);
    // One fused pass: (x - mean) * gamma / sqrt(var + eps) + beta.
    const y = tf.batchNorm4d(x4d, mean, variance, betaIn as tf.Tensor1D, gammaIn as tf.Tensor1D, epsilon);
    return {
      value: y,
      // tfjs runs a custom gradient outside any tidy: without this one, every temporary of every
      // layer's backward would stay allocated until the whole backward pass ends.
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.tidy(() => {
        const [sx, smean, sinvStd, sgamma] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        const dy4d = dy as tf.Tensor4D;
        const dbeta = channelMeans(dy4d).mul(count) as tf.Tensor1D;
        // dgamma = sum(dy * xhat) = (sum(dy * x) - mean * sum(dy)) / std
        const dgamma = channelMeans(dy4d.mul(sx) as tf.Tensor4D).mul(count).sub(smean.mul(dbeta)).mul(sinvStd) as tf.Tensor1D;
        // dx = k (dy - dbeta/M - xhat dgamma/M), k = gamma/std, written as dy*k + q - x*p.
        const k = sgamma.mul(sinvStd) as tf.Tensor1D;
        const p = dgamma.mul(k).mul(sinvStd).div(count);
        const q = smean.mul(p).sub(dbeta.mul(k).div(count)) as tf.Tensor1D;
        const channels = k.shape[0];
        const affineDy = tf.batchNorm4d(dy4d, tf.zeros([channels]) as tf.Tensor1D, tf.ones([channels]) as tf.Tensor1D, q, k, 0);
        return [affineDy.sub(sx.mul(p)), dgamma, dbeta];
      }),
    };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}

/** Inference-mode batch norm with running statistics (one fused kernel). */
export function batchNormInference(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  runningMean: tf.Tensor1D,
  runningVar: tf.Tensor1D,
  epsilon = BN_EPSILON,
): tf.Tensor4D {
  return tf.batchNorm4d(x, runningMean, runningVar, beta, gamma, epsilon);
}

/** The PyTorch running-average update: r <- (1 - m) r + m * batch (variance made unbiased). */
export function updateRunningStats(
  runningMean: tf.Variable,
  runningVar: tf.Variable,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  rows: number,
  momentum = BN_MOMENTUM,
): void {
  tf.tidy(() => {
    if (nativeRunningStatsActive()) {
      const [m, v] = nativeRunningStats(runningMean as tf.Tensor1D, runningVar as tf.Tensor1D, mean, variance, momentum, rows);
      runningMean.assign(m);
      runningVar.assign(v);
      return;
    }
    const unbiased = rows > 1 ? variance.mul(rows / (rows - 1)) : variance;
    runningMean.assign(runningMean.mul(1 - momentum).add(mean.mul(momentum)));
    runningVar.assign(runningVar.mul(1 - momentum).add(unbiased.mul(momentum)));
  });
}
