/**
 * Inference-mode convolution + batch norm (+ residual) + activation as one native kernel, for the
 * backbones' inference when the native backend is active: one oneDNN primitive with the batch
 * norm as per-channel post-ops, so the filter variable is used as it is and its reordered copy is
 * reused from call to call.
 */
import { tf } from '../../tf.js';
import { nativeBatchNormActive } from './batchnorm.js';
import { NATIVE_BACKEND } from './backend.js';
import { CONV_BN_ACT, CONV_BN_ACT_CHAIN } from './kernels/conv2d.js';

/** How `nativeConvBnAct` convolves and what it adds and applies after the batch norm. */
export interface ConvBnActOptions {
  strides: number;
  pad: 'same' | 'valid' | number;
  /** null: no activation; 0: ReLU; else leaky ReLU with this slope. */
  leak: number | null;
  /** Added after the batch norm, before the activation (a residual block's shortcut). */
  residual?: tf.Tensor4D;
}

/** act(conv(x, filter) * scale + shift [+ residual]) on native (scale, shift: [outChannels]). */
export function nativeConvBnAct(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  scale: tf.Tensor1D,
  shift: tf.Tensor1D,
  options: ConvBnActOptions,
): tf.Tensor4D {
  if (!nativeBatchNormActive()) throw new Error(`nativeConvBnAct needs the '${NATIVE_BACKEND}' backend active (found '${tf.getBackend()}')`);
  const inputs: Record<string, tf.Tensor> = { x, filter, scale, shift };
  if (options.residual) inputs.residual = options.residual;
  const attrs = { strides: options.strides, pad: options.pad, activate: options.leak !== null, leak: options.leak ?? 0 };
  return tf.engine().runKernel(CONV_BN_ACT, inputs, attrs) as tf.Tensor4D;
}

/** One convolution of a chain: its filter, batch-norm scale and shift, and how it convolves and activates. */
export interface ChainStage {
  filter: tf.Tensor4D;
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
  strides: number;
  pad: 'same' | 'valid' | number;
  /** null: no activation; 0: ReLU; else leaky ReLU with this slope. */
  leak: number | null;
}

/**
 * `nativeConvBnAct` applied stage after stage (the last adding `residual` before its activation)
 * in one native call that keeps the activations between stages in oneDNN's own layouts: a
 * residual block's convolutions without a round trip through NHWC.
 */
export function nativeConvBnActChain(x: tf.Tensor4D, stages: ChainStage[], residual?: tf.Tensor4D): tf.Tensor4D {
  if (!nativeBatchNormActive()) throw new Error(`nativeConvBnActChain needs the '${NATIVE_BACKEND}' backend active (found '${tf.getBackend()}')`);
  const inputs: Record<string, tf.Tensor> = { x };
  if (residual) inputs.residual = residual;
  stages.forEach((s, i) => Object.assign(inputs, { [`filter${i}`]: s.filter, [`scale${i}`]: s.scale, [`shift${i}`]: s.shift }));
  const attrs = { stages: stages.map(({ strides, pad, leak }) => ({ strides, pad, leak })) };
  return tf.engine().runKernel(CONV_BN_ACT_CHAIN, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
