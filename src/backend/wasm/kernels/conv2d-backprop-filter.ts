/**
 * Conv2DBackpropFilter for the wasm backend (stock tfjs-backend-wasm has none, so training a
 * conv net fails there). The filter gradient is itself a convolution, run by wasm's XNNPACK
 * Conv2D on transposed operands:
 *   dW[kh,kw,ci,co] = sum_{n,ho,wo} x[n, ho*s + kh - pTop, wo*s + kw - pLeft, ci] * dy[n,ho,wo,co]
 * i.e. input x as [Ci,H,W,N] (batch Ci, channels N), filter dy as [Ho,Wo,N,Co], stride 1,
 * dilation = the forward stride, the forward top/left padding; the result [Ci,Kh,Kw,Co] is
 * transposed to [Kh,Kw,Ci,Co]. Covers every padding (same incl. odd totals, valid, explicit),
 * stride and data format tfjs allows for this op (its gradients have no dilation). With stride 1
 * and x at most half the size of dy, x is the filter instead (see `swappedFilterGrad`).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../tf.js';
import {
  convolveNhwc,
  cropNhwc,
  release,
  runStock,
  transpose,
  type TensorInfo,
  type PaddingAttr,
  type RoundingAttr,
  type WasmKernelArgs,
} from './kernel-utils.js';

/** How to run the filter gradient as a forward convolution along one spatial axis. */
export interface AxisPlan {
  /** Input rows/columns the convolution reads (rows past this never meet the filter). */
  keep: number;
  /** Zero padding before (the forward padding) and after. */
  padBefore: number;
  padAfter: number;
}

/**
 * Plans one spatial axis: with forward input size `size`, filter size `filter`, stride `stride`,
 * output size `out` and leading padding `padBefore`, the gradient convolution (dilation `stride`,
 * filter extent (out-1)*stride+1) must produce exactly `filter` outputs.
 */
export function planFilterGradAxis(
  size: number,
  filter: number,
  stride: number,
  out: number,
  padBefore: number,
): AxisPlan {
  const padAfter = filter + (out - 1) * stride - size - padBefore;
  if (padAfter >= 0) return { keep: size, padBefore, padAfter };
  return { keep: size + padAfter, padBefore, padAfter: 0 };
}

/**
 * Stride 1 with x much smaller than dy (e.g. a first layer on RGB): the roles swap so the small
 * tensor is the convolution's filter (XNNPACK repacks the filter on every call):
 *   O[co, a, b, ci] = sum_{h,w,n} dy[n, a + h - top, b + w - left, co] * x[n, h, w, ci],
 * input dy as [Co,Ho,Wo,N], filter x as [H,W,N,Ci], top = Kh-1-pTop, so that a = Kh-1-kh:
 * dW is O reversed in H and W, transposed to [Kh,Kw,Ci,Co]. Undefined when it does not apply.
 */
function swappedFilterGrad(
  backend: BackendWasm,
  xNhwc: TensorInfo,
  dyNhwc: TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): TensorInfo | undefined {
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return undefined;
  if (2 * xNhwc.shape.reduce((p, d) => p * d, 1) > dyNhwc.shape.reduce((p, d) => p * d, 1)) return undefined;
  const top = info.filterHeight - 1 - info.padInfo.top;
  const left = info.filterWidth - 1 - info.padInfo.left;
  const pads = {
    top,
    left,
    bottom: info.filterHeight - 1 + info.inHeight - info.outHeight - top,
    right: info.filterWidth - 1 + info.inWidth - info.outWidth - left,
  };
  if (Object.values(pads).some((p) => p < 0)) return undefined;
  const input = transpose(backend, dyNhwc, [3, 1, 2, 0]); // [Co, Ho, Wo, N]
  const filter = transpose(backend, xNhwc, [1, 2, 0, 3]); // [H, W, N, Ci]
  const out = convolveNhwc(backend, input, filter, pads); // [Co, Kh, Kw, Ci], reversed in Kh, Kw
  const unflipped = runStock('Reverse', backend, { x: out }, { dims: [1, 2] });
  const dw = transpose(backend, unflipped, [1, 2, 3, 0]);
  release(backend, input, filter, out, unflipped);
  return dw;
}

function toNhwc(backend: BackendWasm, t: TensorInfo, channelsLast: boolean): TensorInfo {
  return channelsLast ? t : transpose(backend, t, [0, 2, 3, 1]);
}

/** Kernel function: filter gradient of Conv2D via XNNPACK convolution. */
export function conv2DBackpropFilter({ inputs, backend, attrs }: WasmKernelArgs): TensorInfo {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as {
    strides: number | [number, number];
    pad: PaddingAttr;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: RoundingAttr;
    filterShape: [number, number, number, number];
  };
  const format = tf.backend_util.convertConv2DDataFormat(dataFormat);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    format,
  );
  const channelsLast = info.dataFormat === 'channelsLast';
  const rows = planFilterGradAxis(info.inHeight, info.filterHeight, info.strideHeight, info.outHeight, info.padInfo.top);
  const cols = planFilterGradAxis(info.inWidth, info.filterWidth, info.strideWidth, info.outWidth, info.padInfo.left);

  const temps: TensorInfo[] = [];
  const xNhwc = toNhwc(backend, x, channelsLast);
  const dyNhwc = toNhwc(backend, dy, channelsLast);
  if (!channelsLast) temps.push(xNhwc, dyNhwc);
  const swapped = swappedFilterGrad(backend, xNhwc, dyNhwc, info);
  if (swapped) {
    release(backend, ...temps);
    return swapped;
  }
  let input = transpose(backend, xNhwc, [3, 1, 2, 0]); // [Ci, H, W, N]
  temps.push(input);
  if (rows.keep < info.inHeight || cols.keep < info.inWidth) {
    input = cropNhwc(backend, input, rows.keep, cols.keep);
    temps.push(input);
  }
  const filter = transpose(backend, dyNhwc, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
  temps.push(filter);
  const pads = { top: rows.padBefore, bottom: rows.padAfter, left: cols.padBefore, right: cols.padAfter };
  const grad = convolveNhwc(backend, input, filter, pads, [info.strideHeight, info.strideWidth]); // [Ci, Kh, Kw, Co]
  temps.push(grad);
  const dw = transpose(backend, grad, [1, 2, 0, 3]);
  release(backend, ...temps);
  return dw;
}
