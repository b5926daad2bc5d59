/**
 * Slice and PadV2 as copies of contiguous runs (TypedArray.set) instead of the cpu backend's
 * per-element index arithmetic: the backbones' max-pool gradient crops and pads odd-sized maps
 * (84 -> 42 -> 21), where the cpu kernels took hundreds of ms. Simple (contiguous) slices stay
 * on the cpu kernel, which returns a view without copying.
 */
import { tf } from '../../../tf.js';
import { newOutput, type NativeKernelBody } from './kernel-utils.js';

/** Row-major element strides of `shape`. */
export const rowStrides = (shape: number[]): number[] => {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
};

/**
 * Copies the box `size` at `srcBegin` of `src` (shape `srcShape`) to `dstBegin` of `dst` (shape
 * `dstShape`), one TypedArray.set per run of the trailing dimensions the box covers whole.
 */
export function copyBox(
  src: Float32Array, srcShape: number[], srcBegin: number[],
  dst: Float32Array, dstShape: number[], dstBegin: number[], size: number[],
): void {
  const rank = size.length;
  if (size.some((d) => d === 0)) return;
  // The run: the last dimension plus every trailing dimension both arrays hold whole.
  let inner = rank - 1;
  while (inner > 0 && size[inner] === srcShape[inner] && size[inner] === dstShape[inner]) inner--;
  const srcStrides = rowStrides(srcShape);
  const dstStrides = rowStrides(dstShape);
  const run = size[inner]! * srcStrides[inner]!;
  const index = new Array<number>(inner).fill(0);
  for (;;) {
    let s = srcBegin[inner]! * srcStrides[inner]!;
    let d = dstBegin[inner]! * dstStrides[inner]!;
    for (let i = 0; i < inner; i++) {
      s += (srcBegin[i]! + index[i]!) * srcStrides[i]!;
      d += (dstBegin[i]! + index[i]!) * dstStrides[i]!;
    }
    dst.set(src.subarray(s, s + run), d);
    let axis = inner - 1;
    while (axis >= 0 && ++index[axis]! === size[axis]) index[axis--] = 0;
    if (axis < 0) return;
  }
}

/** Slice of a float32 tensor that is not one contiguous run. */
export const slice: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const x = inputs.x!;
  const values = backend.data.get(x.dataId).values;
  if (x.dtype !== 'float32' || !(values instanceof Float32Array) || x.shape.length === 0) return undefined;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) return undefined;
  const out = newOutput(addon, backend, size);
  copyBox(values, x.shape, begin, out.values, size, new Array<number>(size.length).fill(0), size);
  return out.info;
};

/** PadV2 (constant padding) of a float32 tensor. */
export const padV2: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const x = inputs.x!;
  const values = backend.data.get(x.dataId).values;
  if (x.dtype !== 'float32' || !(values instanceof Float32Array) || x.shape.length === 0) return undefined;
  const paddings = attrs.paddings as Array<[number, number]>;
  const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  const out = newOutput(addon, backend, outShape);
  out.values.fill(Number(attrs.constantValue ?? 0));
  copyBox(values, x.shape, new Array<number>(x.shape.length).fill(0), out.values, outShape, paddings.map((p) => p[0]), x.shape);
  return out.info;
};
