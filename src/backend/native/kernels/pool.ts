/** MaxPool, MaxPoolGrad, AvgPool and AvgPoolGrad through oneDNN pooling (NHWC, float32). */
import { tf } from '../../../tf.js';
import { float32Values, newOutput, type NativeKernelBody } from './kernel-utils.js';

const MAX = 0;
const AVERAGE = 1;

/** The addon's 14 pooling parameters for an [N,H,W,C] input and pooling `kind`. */
function poolParams(xShape: number[], attrs: Record<string, unknown>, kind: number) {
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize as number | [number, number],
    attrs.strides as number | [number, number],
    1,
    attrs.pad as 'same' | 'valid' | number,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
  const params = Int32Array.from([
    info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.padInfo.top, info.padInfo.left, kind, 0,
  ]);
  return { info, params };
}

function poolForward(kind: number): NativeKernelBody {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const x = inputs.x!;
    const xs = float32Values(backend, x);
    if (!xs || x.shape.length !== 4) return undefined;
    const { info, params } = poolParams(x.shape, attrs, kind);
    const out = newOutput(addon, backend, info.outShape);
    if (out.values.length > 0) addon.poolForward(params, xs, out.values);
    return out.info;
  };
}

function poolBackward(kind: number): NativeKernelBody {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const xs = float32Values(backend, input);
    const dys = float32Values(backend, dy);
    if (!xs || !dys || input.shape.length !== 4) return undefined;
    const { info, params } = poolParams(input.shape, attrs, kind);
    const padded = info.padInfo.top + info.padInfo.left + info.padInfo.bottom + info.padInfo.right > 0;
    // tfjs's average-pool gradient divides by the full window even where the forward excluded
    // padding; padded cases keep the cpu kernel so that all backends agree.
    if (kind === AVERAGE && padded) return undefined;
    const out = newOutput(addon, backend, input.shape);
    if (dys.length > 0) addon.poolBackward(params, xs, dys, out.values);
    else out.values.fill(0);
    return out.info;
  };
}

/** Max pooling; padding never wins (as in tfjs). */
export const maxPool = poolForward(MAX);
/** Gradient of max pooling: dy goes to the first maximum of each window. */
export const maxPoolGrad = poolBackward(MAX);
/** Average pooling over the in-bounds entries of each window (as in tfjs). */
export const avgPool = poolForward(AVERAGE);
/** Gradient of average pooling (windows without padding; padded ones use the cpu kernel). */
export const avgPoolGrad = poolBackward(AVERAGE);
