/**
 * Transpose and Reverse of float32 tensors as one strided copy in the addon (OpenMP, memcpy of
 * contiguous runs); the cpu backend computes each source index element by element in JS.
 */
import { tf } from '../../../tf.js';
import { float32Values, newOutput, type NativeKernelArgs } from './kernel-utils.js';
import { rowStrides } from './slice-pad.js';
import type { NativeAddon } from '../addon.js';

/**
 * The same walk with fewer dimensions: size-1 dimensions dropped, and each dimension merged into
 * the one before it when together they walk the source as one run.
 */
export function collapseStrides(shape: number[], strides: number[]): { shape: number[]; strides: number[] } {
  const outShape: number[] = [];
  const outStrides: number[] = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const last = outShape.length - 1;
    if (last >= 0 && outStrides[last] === strides[d]! * size) {
      outShape[last]! *= size;
      outStrides[last] = strides[d]!;
    } else {
      outShape.push(size);
      outStrides.push(strides[d]!);
    }
  });
  return outShape.length > 0 ? { shape: outShape, strides: outStrides } : { shape: [1], strides: [1] };
}

/** A new tensor of `outShape` whose element i_0..i_k is x[offset + sum i_d * strides[d]]. */
function stridedCopy(
  { inputs, backend }: NativeKernelArgs, addon: NativeAddon, outShape: number[], strides: number[], offset: number,
): tf.TensorInfo | undefined {
  const xs = float32Values(backend, inputs.x!);
  if (!xs) return undefined;
  const out = newOutput(addon, backend, outShape);
  if (out.values.length === 0) return out.info;
  const walk = collapseStrides(outShape, strides);
  addon.stridedCopy(xs, out.values, Int32Array.from(walk.shape), Int32Array.from(walk.strides), offset);
  return out.info;
}

/** Transpose (any permutation). */
export function transpose(args: NativeKernelArgs, addon: NativeAddon): tf.TensorInfo | undefined {
  const { shape } = args.inputs.x!;
  const perm = args.attrs!.perm as number[];
  const strides = rowStrides(shape);
  return stridedCopy(args, addon, perm.map((p) => shape[p]!), perm.map((p) => strides[p]!), 0);
}

/** Reverse along any set of axes. */
export function reverse(args: NativeKernelArgs, addon: NativeAddon): tf.TensorInfo | undefined {
  const { shape } = args.inputs.x!;
  const axes = tf.util.parseAxisParam(args.attrs!.dims as number | number[], shape);
  const strides = rowStrides(shape);
  const flipped = strides.map((s, d) => (axes.includes(d) ? -s : s));
  const offset = axes.reduce((o, d) => o + (shape[d]! - 1) * strides[d]!, 0);
  return stridedCopy(args, addon, shape, flipped, offset);
}
