/**
 * Two jointshot-specific kernels of the native backend: training-mode batch norm over N, H, W
 * with batch statistics, forward (y, mean, biased variance) and backward (dx, dgamma, dbeta),
 * two passes over memory each, where the same computation in tfjs ops takes about 8 (forward)
 * and 13 (backward). Optionally y = act(bn(x) + residual) in the same two passes (act: ReLU or
 * leaky ReLU), the backward recomputing the activation's mask from y and also returning
 * dresidual (the masked dy) when there is a residual.
 */
import { tf } from '../../../tf.js';
import { float32Values, newOutput, type NativeKernelBody } from './kernel-utils.js';

/**
 * Kernel names. Forward inputs x, gamma, beta (and residual); backward inputs x, dy, gamma,
 * mean, variance (and y, the forward's output, with an activation or residual). Attrs: epsilon,
 * act (0 none, 1 ReLU, 2 leaky ReLU; default 0), slope (leaky ReLU's, > 0), residual (backward:
 * whether to return dresidual).
 */
export const BN_TRAIN_FORWARD = 'JointshotBatchNormTrain';
export const BN_TRAIN_BACKWARD = 'JointshotBatchNormTrainGrad';


/** [y, mean, variance] of training-mode batch norm (y = act(bn(x) + residual)). */
export const batchNormTrainForward: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, gamma, beta, residual } = inputs as Record<string, tf.TensorInfo | undefined>;
  const [xs, gs, bs] = [x!, gamma!, beta!].map((t) => float32Values(backend, t));
  const rs = residual ? float32Values(backend, residual) : null;
  if (!xs || !gs || !bs || rs === undefined) throw new Error(`${BN_TRAIN_FORWARD}: float32 inputs expected`);
  const channels = x!.shape[x!.shape.length - 1]!;
  const y = newOutput(addon, backend, x!.shape);
  const mean = newOutput(addon, backend, [channels]);
  const variance = newOutput(addon, backend, [channels]);
  addon.batchNormTrainForward(
    xs, gs, bs, y.values, mean.values, variance.values, channels, attrs.epsilon as number,
    rs, (attrs.act as number | undefined) ?? 0, (attrs.slope as number | undefined) ?? 0,
  );
  return [y.info, mean.info, variance.info] as unknown as tf.TensorInfo;
};

/** [dx, dgamma, dbeta] (and dresidual when attr residual) of training-mode batch norm. */
export const batchNormTrainBackward: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, dy, gamma, mean, variance, y } = inputs as Record<string, tf.TensorInfo | undefined>;
  const arrays = [x!, dy!, gamma!, mean!, variance!].map((t) => float32Values(backend, t));
  const ys = y ? float32Values(backend, y) : null;
  if (arrays.some((a) => !a) || ys === undefined) throw new Error(`${BN_TRAIN_BACKWARD}: float32 inputs expected`);
  const [xs, dys, gs, ms, vs] = arrays as Float32Array[];
  const channels = x!.shape[x!.shape.length - 1]!;
  const dx = newOutput(addon, backend, x!.shape);
  const dgamma = newOutput(addon, backend, [channels]);
  const dbeta = newOutput(addon, backend, [channels]);
  const dresidual = attrs.residual ? newOutput(addon, backend, x!.shape) : null;
  addon.batchNormTrainBackward(
    xs!, dys!, gs!, ms!, vs!, dx.values, dgamma.values, dbeta.values, channels, attrs.epsilon as number,
    ys, (attrs.act as number | undefined) ?? 0, (attrs.slope as number | undefined) ?? 0, dresidual?.values ?? null,
  );
  const outputs = [dx.info, dgamma.info, dbeta.info];
  if (dresidual) outputs.push(dresidual.info);
  return outputs as unknown as tf.TensorInfo;
};
