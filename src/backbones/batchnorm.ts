/**
 * Batch normalisation over N, H, W of NHWC tensors, PyTorch semantics (eps 1e-5, momentum 0.1,
 * unbiased variance in the running average). Training uses a custom gradient whose reductions are
 * ones[1, M] x X[M, C] matmuls: tfjs's own gradient of the mean goes through Tile and Sum, which
 * are slow on the wasm backend.
 */
import { tf } from '../tf.js';

/** PyTorch's BatchNorm2d defaults. */
export const BN_EPSILON = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Batch mean and biased variance [1, C] of the rows of `x2d` [M, C], handed out of the forward pass. */
export type BatchStatsListener = (mean: tf.Tensor2D, variance: tf.Tensor2D) => void;

/** Column sums of `x2d` [M, C] as a ones[1, M] x X matmul -> [1, C]. */
function columnSums(x2d: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(tf.ones([1, x2d.shape[0]]), x2d);
}

/**
 * Training-mode batch norm of `x` [..., C] with batch statistics: gamma * xhat + beta.
 * `onStats` receives the batch mean and biased variance (e.g. to update running averages).
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  onStats?: BatchStatsListener,
  epsilon = BN_EPSILON,
): tf.Tensor {
  const shape = x.shape;
  const channels = shape[shape.length - 1]!;
  const rows = x.size / channels;
  const op = tf.customGrad((xIn, gammaIn, betaIn, save) => {
    const x2d = (xIn as tf.Tensor).reshape([rows, channels]) as tf.Tensor2D;
    const mean = columnSums(x2d).div(rows) as tf.Tensor2D;
    const variance = columnSums(x2d.sub(mean).square() as tf.Tensor2D).div(rows) as tf.Tensor2D;
    onStats?.(mean, variance);
    const invStd = variance.add(epsilon).rsqrt() as tf.Tensor2D;
    (save as tf.GradSaveFunc)([x2d, mean, invStd, gammaIn as tf.Tensor]);
    // One fused pass: (x - mean) * gamma / sqrt(var + eps) + beta.
    const y = tf.batchNorm(x2d, mean.reshape([channels]), variance.reshape([channels]), betaIn as tf.Tensor1D, gammaIn as tf.Tensor1D, epsilon);
    return {
      value: y.reshape(shape),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, smean, sinvStd, sgamma] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const dy2d = (dy as tf.Tensor).reshape([rows, channels]) as tf.Tensor2D;
        const dbeta = columnSums(dy2d);
        // dgamma = sum(dy * xhat) = (sum(dy * x) - mean * sum(dy)) / std
        const dgamma = columnSums(dy2d.mul(sx) as tf.Tensor2D).sub(smean.mul(dbeta)).mul(sinvStd);
        // dx = k (dy - dbeta/M - xhat dgamma/M), k = gamma/std, written as dy*k + q - x*p.
        const k = sgamma.reshape([1, channels]).mul(sinvStd);
        const p = dgamma.mul(k).mul(sinvStd).div(rows);
        const q = smean.mul(p).sub(dbeta.mul(k).div(rows));
        const affineDy = tf.batchNorm(dy2d, tf.zeros([channels]), tf.ones([channels]), q.reshape([channels]), k.reshape([channels]), 0);
        const dx = affineDy.sub(sx.mul(p)).reshape(shape);
        return [dx, dgamma.reshape([channels]), dbeta.reshape([channels])];
      },
    };
  });
  return op(x, gamma, beta);
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
  mean: tf.Tensor2D,
  variance: tf.Tensor2D,
  rows: number,
  momentum = BN_MOMENTUM,
): void {
  tf.tidy(() => {
    const unbiased = rows > 1 ? variance.mul(rows / (rows - 1)) : variance;
    runningMean.assign(runningMean.mul(1 - momentum).add(mean.reshape(runningMean.shape).mul(momentum)));
    runningVar.assign(runningVar.mul(1 - momentum).add(unbiased.reshape(runningVar.shape).mul(momentum)));
  });
}
