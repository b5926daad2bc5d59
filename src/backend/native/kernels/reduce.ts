/**
 * Sum and Mean of float32 tensors over one run of axes (leading, trailing or in between, such as
 * a global average pool over [1, 2] of NHWC; size-1 axes may break the run) in the addon, float64
 * accumulation. The cpu kernels transpose first and, for Mean, divide element-wise before
 * summing. Other axis sets and dtypes go to the cpu kernels.
 */
import { tf } from '../../../tf.js';
import { float32Values, newOutput, type NativeKernelBody } from './kernel-utils.js';

const product = (dims: number[]): number => dims.reduce((p, d) => p * d, 1);

/** x of `shape` viewed as [outer, reduced, inner] for a reduction over `axes`, or undefined when the reduced axes (size-1 axes aside) are not one run. */
export function reductionView(shape: number[], axes: number[]): { outer: number; reduced: number; inner: number } | undefined {
  const reducing = shape.map((d, i) => d !== 1 && axes.includes(i));
  const first = reducing.indexOf(true);
  if (first < 0) return { outer: product(shape), reduced: 1, inner: 1 };
  const last = reducing.lastIndexOf(true);
  if (shape.slice(first, last + 1).some((d, k) => d !== 1 && !reducing[first + k])) return undefined;
  return { outer: product(shape.slice(0, first)), reduced: product(shape.slice(first, last + 1)), inner: product(shape.slice(last + 1)) };
}

function reduction(mean: boolean): NativeKernelBody {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const x = inputs.x!;
    const xs = float32Values(backend, x);
    if (!xs) return undefined;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape);
    const view = reductionView(x.shape, axes);
    if (!view) return undefined;
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const shape = attrs.keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    const out = newOutput(addon, backend, shape);
    // The cpu kernels give 0 for an empty sum and for an empty mean alike.
    if (view.reduced === 0) return out.values.fill(0), out.info;
    if (out.values.length > 0) addon.reduce(xs, out.values, view.outer, view.reduced, view.inner, mean ? 1 / view.reduced : 1);
    return out.info;
  };
}

/** Sum over one run of axes. */
export const sum = reduction(false);
/** Mean over one run of axes. */
export const mean = reduction(true);
