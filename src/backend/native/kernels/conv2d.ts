/**
 * Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter and FusedConv2D through oneDNN (NHWC,
 * float32). NCHW and non-float32 calls go to the cpu backend's kernels.
 */
import { tf } from '../../../tf.js';
import { contentId, float32Values, newOutput, type NativeKernelBody } from './kernel-utils.js';

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** The addon's 17 convolution parameters from tfjs's conv info. */
export function convParams(info: ConvInfo): Int32Array {
  const p = info.padInfo;
  return Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outChannels,
    info.filterHeight, info.filterWidth, info.outHeight, info.outWidth,
    info.strideHeight, info.strideWidth, p.top, p.left, p.bottom, p.right,
    info.dilationHeight, info.dilationWidth,
  ]);
}

/**
 * Whether oneDNN can express tfjs's output size: the implied bottom/right padding may drop at
 * most stride - 1 trailing rows/columns (tfjs's numeric padding sizes both output dimensions
 * from the filter height and stride height, which can imply more; those calls stay on the cpu).
 */
function expressible(info: ConvInfo): boolean {
  const bottom = (info.outHeight - 1) * info.strideHeight + info.effectiveFilterHeight - info.inHeight - info.padInfo.top;
  const right = (info.outWidth - 1) * info.strideWidth + info.effectiveFilterWidth - info.inWidth - info.padInfo.left;
  return bottom > -info.strideHeight && right > -info.strideWidth;
}

/** tfjs's conv info for NHWC calls; undefined for NCHW (left to the cpu kernel). */
function nhwcInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
  dilations: number | [number, number],
): ConvInfo | undefined {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    dilations,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    false,
    'channelsLast',
  );
  return expressible(info) ? info : undefined;
}

/** y = conv2d(x, filter). */
export const conv2D: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const xs = float32Values(backend, x);
  const ws = float32Values(backend, filter);
  const info = nhwcInfo(x.shape, filter.shape, attrs, (attrs.dilations as number | [number, number]) ?? 1);
  if (!xs || !ws || !info) return undefined;
  const out = newOutput(addon, backend, info.outShape);
  if (out.values.length > 0) addon.conv2dForward(convParams(info), xs, ws, out.values);
  return out.info;
};

/** dx of a convolution from dy and the filter. */
export const conv2DBackpropInput: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const dys = float32Values(backend, dy);
  const ws = float32Values(backend, filter);
  const info = nhwcInfo(attrs.inputShape as number[], filter.shape, attrs, 1);
  if (!dys || !ws || !info) return undefined;
  const out = newOutput(addon, backend, info.inShape);
  if (dys.length > 0) addon.conv2dBackwardData(convParams(info), dys, ws, out.values);
  else out.values.fill(0);
  return out.info;
};

/** dFilter of a convolution from x and dy. */
export const conv2DBackpropFilter: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const xs = float32Values(backend, x);
  const dys = float32Values(backend, dy);
  const info = nhwcInfo(x.shape, attrs.filterShape as number[], attrs, 1);
  if (!xs || !dys || !info) return undefined;
  const out = newOutput(addon, backend, info.filterShape);
  if (dys.length > 0) addon.conv2dBackwardWeights(convParams(info), xs, dys, out.values);
  else out.values.fill(0);
  return out.info;
};

/** oneDNN's form of a fused activation: [activation code, slope below 0], or undefined if not covered. */
function fusedActivation(activation: unknown, leakyreluAlpha: unknown): [0 | 1, number] | undefined {
  if (activation === undefined || activation === 'linear') return [0, 0];
  if (activation === 'relu') return [1, 0];
  // Without a slope the cpu kernel multiplies by undefined (NaN): left to it, so backends agree.
  if (activation === 'leakyrelu' && typeof leakyreluAlpha === 'number') return [1, leakyreluAlpha];
  return undefined;
}

/**
 * act(conv2d(x, filter) + bias) in one oneDNN inference primitive (conv, bias, residual sum and
 * ReLU/leaky ReLU as post-ops): bias per output channel, or a full NHWC tensor the size of the
 * output (a residual), or none; activation linear, relu or leakyrelu. Other cases: cpu kernel.
 */
export const fusedConv2D: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, filter, bias } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo; bias?: tf.TensorInfo };
  const act = fusedActivation(attrs.activation, attrs.leakyreluAlpha);
  const xs = float32Values(backend, x);
  const ws = float32Values(backend, filter);
  const info = nhwcInfo(x.shape, filter.shape, attrs, (attrs.dilations as number | [number, number]) ?? 1);
  if (!act || !xs || !ws || !info) return undefined;
  let shift: Float32Array | null = null;
  let residual: Float32Array | null = null;
  if (bias) {
    const bs = float32Values(backend, bias);
    const perChannel = bias.shape.length === 1 && bias.shape[0] === info.outChannels;
    const full = bias.shape.length === 4 && bias.shape.every((d, i) => d === info.outShape[i]);
    if (!bs || !(perChannel || full)) return undefined;
    if (perChannel) shift = bs;
    else residual = bs;
  }
  const out = newOutput(addon, backend, info.outShape);
  if (out.values.length > 0) addon.convBnActChain(convParams(info), xs, [ws], [null], [shift], [contentId(ws)], Int32Array.of(act[0]), Float32Array.of(act[1]), residual, out.values);
  return out.info;
};

/** jointshot's inference conv + batch norm (+ residual) + activation kernel (`nativeConvBnAct`). */
export const CONV_BN_ACT = 'JointshotConvBnAct';

/**
 * act(conv(x, filter) * scale + shift [+ residual]) as one oneDNN primitive: batch norm as
 * per-channel post-ops, so the filter (a variable) stays unchanged and its reordered copy is
 * reused across calls. attrs: strides, pad (as tf.conv2d), activate (boolean), leak (slope below
 * 0: 0 = ReLU, else leaky ReLU).
 */
export const convBnAct: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, filter, scale, shift, residual } = inputs as Record<string, tf.TensorInfo | undefined>;
  const xs = float32Values(backend, x!);
  const ws = float32Values(backend, filter!);
  const ss = float32Values(backend, scale!);
  const hs = float32Values(backend, shift!);
  const rs = residual ? float32Values(backend, residual) : null;
  const info = nhwcInfo(x!.shape, filter!.shape, { ...attrs, dataFormat: 'NHWC' }, 1);
  if (!xs || !ws || !ss || !hs || rs === undefined || !info) {
    throw new Error(`${CONV_BN_ACT}: needs float32 NHWC tensors and a padding oneDNN can express`);
  }
  const out = newOutput(addon, backend, info.outShape);
  if (out.values.length === 0) return out.info;
  addon.convBnActChain(convParams(info), xs, [ws], [ss], [hs], [contentId(ws)], Int32Array.of(attrs.activate ? 1 : 0), Float32Array.of(Number(attrs.leak ?? 0)), rs, out.values);
  return out.info;
};

/** jointshot's inference kernel for convolutions in a row (`nativeConvBnActChain`). */
export const CONV_BN_ACT_CHAIN = 'JointshotConvBnActChain';

/** One stage of a chain: how it convolves and its activation (null none, 0 ReLU, else leaky slope). */
export interface ChainStageAttrs {
  strides: number;
  pad: 'same' | 'valid' | number;
  leak: number | null;
}

/**
 * Stages act(conv(x, filter_i) * scale_i + shift_i) one after another, the last adding `residual`
 * before its activation; inputs x, filter{i}, scale{i}, shift{i}, residual (optional); attrs
 * stages. The addon keeps the intermediate activations in oneDNN's layouts.
 */
export const convBnActChain: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const stages = attrs.stages as ChainStageAttrs[];
  const xs = float32Values(backend, inputs.x!);
  const rs = inputs.residual ? float32Values(backend, inputs.residual) : null;
  if (!xs || rs === undefined || !Array.isArray(stages) || stages.length === 0) throw new Error(`${CONV_BN_ACT_CHAIN}: needs float32 x and stages`);
  const params = new Int32Array(17 * stages.length);
  const filters: Float32Array[] = [];
  const scales: Float32Array[] = [];
  const shifts: Float32Array[] = [];
  let shape = inputs.x!.shape;
  for (const [i, stage] of stages.entries()) {
    const filter = inputs[`filter${i}`];
    const values = [filter, inputs[`scale${i}`], inputs[`shift${i}`]].map((t) => t && float32Values(backend, t));
    const info = filter && nhwcInfo(shape, filter.shape, { strides: stage.strides, pad: stage.pad, dataFormat: 'NHWC' }, 1);
    if (values.some((v) => !v) || !info) throw new Error(`${CONV_BN_ACT_CHAIN}: stage ${i} needs float32 filter, scale and shift and a padding oneDNN can express`);
    params.set(convParams(info), 17 * i);
    filters.push(values[0]!);
    scales.push(values[1]!);
    shifts.push(values[2]!);
    shape = info.outShape;
  }
  const out = newOutput(addon, backend, shape);
  if (out.values.length === 0) return out.info;
  addon.convBnActChain(
    params, xs, filters, scales, shifts, filters.map(contentId),
    Int32Array.from(stages, (st) => (st.leak === null ? 0 : 1)), Float32Array.from(stages, (st) => st.leak ?? 0), rs, out.values,
  );
  return out.info;
};
