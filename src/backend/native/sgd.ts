/**
 * The fused SGD update (kernels/sgd.ts) as an op for src/train's Sgd to use when the active
 * backend is `native`: one kernel call per parameter instead of up to 8, with results
 * bit-identical to the tfjs op sequence on the cpu backend. JOINTSHOT_NATIVE_FUSED_SGD=0 turns it
 * off (the tfjs ops run instead; read at every step, for A/B timings).
 */
import { tf } from '../../tf.js';
import { NATIVE_BACKEND } from './backend.js';
import { SGD_UPDATE, type SgdUpdateAttrs } from './kernels/sgd.js';

/** Whether `nativeSgdUpdate` can run now (native backend active, JOINTSHOT_NATIVE_FUSED_SGD not '0'). */
export function nativeSgdActive(): boolean {
  return tf.getBackend() === NATIVE_BACKEND && process.env.JOINTSHOT_NATIVE_FUSED_SGD !== '0';
}

/**
 * One parameter's update as new tensors: the parameter and, with momentum, the momentum buffer
 * (`buf` is not read without momentum). Not differentiable; needs the native backend active.
 */
export function nativeSgdUpdate(p: tf.Tensor, grad: tf.Tensor, buf: tf.Tensor, attrs: SgdUpdateAttrs): { param: tf.Tensor; buffer?: tf.Tensor } {
  if (tf.getBackend() !== NATIVE_BACKEND) throw new Error(`nativeSgdUpdate needs the '${NATIVE_BACKEND}' backend active (found '${tf.getBackend()}')`);
  const inputs: tf.NamedTensorMap = attrs.momentum !== 0 ? { p, grad, buf } : { p, grad };
  const [param, buffer] = tf.engine().runKernel(SGD_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { param: param!, buffer };
}
