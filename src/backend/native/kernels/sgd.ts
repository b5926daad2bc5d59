/**
 * A jointshot-specific kernel of the native backend: one parameter's whole SGD update (weight
 * decay, momentum, Nesterov; PyTorch's torch.optim.SGD with dampening 0) in one pass, where
 * src/train/sgd.ts's tfjs ops take up to 8 kernel calls. New outputs, not in place: a variable's
 * storage may be shared with other tensors (tf.variable(t), v.assign(t)); the caller assigns them.
 */
import { tf } from '../../../tf.js';
import { float32Values, newOutput, type NativeKernelBody } from './kernel-utils.js';

/** Kernel name (inputs p, grad and, with momentum, buf; attrs lr, momentum, weightDecay, nesterov). */
export const SGD_UPDATE = 'JointshotSgdUpdate';

/** Attributes of the SGD update kernel. */
export interface SgdUpdateAttrs {
  lr: number;
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
}


/** [p', buf'] with momentum, [p'] without: buf' = mu * buf + (grad + wd * p), p' = p - lr * step. */
export const sgdUpdate: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { p, grad, buf } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { lr, momentum, weightDecay, nesterov } = attrs as unknown as SgdUpdateAttrs;
  const ps = p && float32Values(backend, p);
  const gs = grad && float32Values(backend, grad);
  const bs = momentum !== 0 ? buf && float32Values(backend, buf) : null;
  if (!ps || !gs || bs === undefined) throw new Error(`${SGD_UPDATE}: float32 inputs expected (p, grad and, with momentum, buf)`);
  const pOut = newOutput(addon, backend, p!.shape);
  const bufOut = bs ? newOutput(addon, backend, p!.shape) : undefined;
  addon.sgdUpdate(ps, gs, bs, pOut.values, bufOut?.values ?? null, lr, momentum, weightDecay, nesterov ? 1 : 0);
  return (bufOut ? [pOut.info, bufOut.info] : [pOut.info]) as unknown as tf.TensorInfo;
};
