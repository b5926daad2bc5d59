/**
 * Conv2DBackpropInput for the wasm backend. The stock kernel is a plain loop (about 12x slower
 * than XNNPACK here); for stride 1 the input gradient is a forward convolution of dy with the
 * spatially reversed, channel-transposed filter, which XNNPACK runs:
 *   dx[n,h,w,ci] = sum_{kh,kw,co} dy[n, h + pTop - kh, w + pLeft - kw, co] * W[kh,kw,ci,co]
 * with padding (K-1-pTop, K-1-pBottom) per axis. Other cases (strides > 1, NCHW, padding larger
 * than the filter) go to the stock kernel, which is correct.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../tf.js';
import {
  convolveNhwc,
  release,
  runStock,
  transpose,
  type SpatialPadding,
  type TensorInfo,
  type PaddingAttr,
  type RoundingAttr,
  type WasmKernelArgs,
} from './kernel-utils.js';

/** Padding of the equivalent forward convolution, or undefined when the fast path does not apply. */
export function planInputGradPadding(info: tf.backend_util.Conv2DInfo): SpatialPadding | undefined {
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return undefined;
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  if (info.dataFormat !== 'channelsLast') return undefined;
  const { top, bottom, left, right } = info.padInfo;
  const pads = {
    top: info.filterHeight - 1 - top,
    bottom: info.filterHeight - 1 - bottom,
    left: info.filterWidth - 1 - left,
    right: info.filterWidth - 1 - right,
  };
  if (Object.values(pads).some((p) => p < 0)) return undefined;
  // The forward output must be exactly what this padding implies (it is, for stride 1).
  if (info.outHeight + pads.top + pads.bottom - info.filterHeight + 1 !== info.inHeight) return undefined;
  if (info.outWidth + pads.left + pads.right - info.filterWidth + 1 !== info.inWidth) return undefined;
  return pads;
}

/** The filter as the gradient convolution needs it: reversed in H and W, [Kh,Kw,Co,Ci]. */
function flippedFilter(backend: BackendWasm, filter: TensorInfo): TensorInfo {
  const reversed = runStock('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const flipped = transpose(backend, reversed, [0, 1, 3, 2]);
  release(backend, reversed);
  return flipped;
}

/** Kernel function: input gradient of Conv2D, XNNPACK for stride 1, stock kernel otherwise. */
export function conv2DBackpropInput(args: WasmKernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as {
    strides: number | [number, number];
    pad: PaddingAttr;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: RoundingAttr;
    inputShape: [number, number, number, number];
  };
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  const pads = dy.dtype === 'float32' ? planInputGradPadding(info) : undefined;
  if (!pads) return runStock('Conv2DBackpropInput', backend, inputs, attrs);
  const flipped = flippedFilter(backend, filter);
  const dx = convolveNhwc(backend, dy, flipped, pads);
  release(backend, flipped);
  return dx;
}
