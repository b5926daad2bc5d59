/**
 * Slice and PadV2 of float32 and int32 tensors as box copies in the addon (native/src/copy-box.cc:
 * one memcpy per run of the trailing dimensions both arrays hold whole, OpenMP over the runs when
 * 32K+ elements are written; PadV2 fills only the padding). The cpu kernels compute every index
 * element by element in JS, hundreds of ms on the backbones' odd-sized max-pool gradient crops and
 * pads (84 -> 42 -> 21); the JS box copy that replaced them (one TypedArray.set per run, still
 * here as `copyBox` for JOINTSHOT_NATIVE_JS_COPY=1) spent 4.6-5.3 ms CPU per resnet20 batch-80
 * inference on the option-A shortcut's runs of 16-64 floats, the addon 1.1-1.3 ms
 * (docs/performance.md, Native slice and pad).
 * Contiguous slices stay on the cpu kernel, which returns a view without copying; negative
 * paddings (which tfjs does not reject) go to the cpu kernel too, so their results are its own.
 */
import { tf } from '../../../tf.js';
import type { NativeAddon } from '../addon.js';
import { newOutput, type NativeKernelArgs, type NativeKernelBody } from './kernel-utils.js';


/** Row-major element strides of `shape`. */
export const rowStrides = (shape: number[]): number[] => {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = out[i + 1]! * shape[i + 1]!;
  return out;
};

/**
 * Copies the box `size` at `srcBegin` of `src` (shape `srcShape`) to `dstBegin` of `dst` (shape
 * `dstShape`), one TypedArray.set per run of the trailing dimensions the box covers whole (the
 * JS path, kept for JOINTSHOT_NATIVE_JS_COPY=1 timings and as the tests' reference).
 */
export function copyBox(
  src: Float32Array | Int32Array, srcShape: number[], srcBegin: number[],
  dst: Float32Array | Int32Array, dstShape: number[], dstBegin: number[], size: number[],
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

/** Whether the addon copies (not JOINTSHOT_NATIVE_JS_COPY=1, read at every call for A/B timings). */
const nativeCopy = (addon: NativeAddon): addon is NativeAddon & Required<Pick<NativeAddon, 'copyBox'>> =>
  process.env.JOINTSHOT_NATIVE_JS_COPY !== '1' && typeof addon.copyBox === 'function';

/** The float32 or int32 storage of input x, or undefined for other dtypes (and scalars). */
function boxValues({ inputs, backend }: NativeKernelArgs): Float32Array | Int32Array | undefined {
  const x = inputs.x!;
  if (x.shape.length === 0) return undefined;
  const values = backend.data.get(x.dataId).values;
  if (x.dtype === 'float32' && values instanceof Float32Array) return values;
  if (x.dtype === 'int32' && values instanceof Int32Array) return values;
  return undefined;
}

/** A new output of x's dtype (float32 ones from the recycled buffers: uninitialised when large). */
function newBoxOutput(args: NativeKernelArgs, addon: NativeAddon, shape: number[]): { info: tf.TensorInfo; values: Float32Array | Int32Array } {
  if (args.inputs.x!.dtype === 'float32') return newOutput(addon, args.backend, shape);
  const values = new Int32Array(shape.reduce((p, d) => p * d, 1));
  return { info: args.backend.makeTensorInfo(shape, 'int32', values), values };
}

/** Slice of a float32 or int32 tensor that is not one contiguous run. */
export const slice: NativeKernelBody = (args, addon) => {
  const values = boxValues(args);
  if (!values) return undefined;
  const x = args.inputs.x!;
  const attrs = args.attrs ?? {};
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin as number[], attrs.size as number[]);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) return undefined;
  const out = newBoxOutput(args, addon, size);
  const zeros = new Array<number>(size.length).fill(0);
  if (!nativeCopy(addon)) {
    copyBox(values, x.shape, begin, out.values, size, zeros, size);
  } else if (out.values.length > 0) {
    addon.copyBox(values, out.values, Int32Array.from(x.shape), Int32Array.from(begin), Int32Array.from(size), Int32Array.from(zeros), Int32Array.from(size));
  }
  return out.info;
};

/** PadV2 (constant padding) of a float32 or int32 tensor; negative paddings go to the cpu kernel. */
export const padV2: NativeKernelBody = (args, addon) => {
  const values = boxValues(args);
  if (!values) return undefined;
  const x = args.inputs.x!;
  const attrs = args.attrs ?? {};
  const paddings = attrs.paddings as Array<[number, number]>;
  if (paddings.length !== x.shape.length || paddings.some(([a, b]) => !(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0))) return undefined;
  const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
  const out = newBoxOutput(args, addon, outShape);
  // What the cpu kernel writes: a typed array's fill of the value (rounded to float32, or to an
  // int32 as Int32Array stores it), its zero for a constant of 0 or -0.
  const constant = Number(attrs.constantValue ?? 0);
  const fill = constant === 0 ? 0 : (out.values instanceof Int32Array ? Int32Array.of(constant)[0]! : constant);
  const begin = paddings.map((p) => p[0]);
  if (!nativeCopy(addon)) {
    out.values.fill(fill);
    copyBox(values, x.shape, new Array<number>(x.shape.length).fill(0), out.values, outShape, begin, x.shape);
  } else if (out.values.length > 0) {
    addon.copyBox(values, out.values, Int32Array.from(x.shape), new Int32Array(x.shape.length), Int32Array.from(outShape), Int32Array.from(begin), Int32Array.from(x.shape), fill);
  }
  return out.info;
};
