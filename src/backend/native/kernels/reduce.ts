/**
 * Sum and Mean of float32 tensors over leading or trailing axes as two plain loops (float64
 * accumulation); the cpu kernels transpose first and, for Mean, divide element-wise before
 * summing. Other axis sets and dtypes go to the cpu kernels.
 */
import { tf } from '../../../tf.js';
import { float32Values, newOutput, type NativeKernelBody } from './kernel-utils.js';

/** Sums of x viewed as [rows, cols] over rows (`leading`) or over cols, scaled by `scale`. */
function reduceRows(x: Float32Array, rows: number, cols: number, leading: boolean, scale: number, out: Float32Array): void {
  if (leading) {
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) acc[c]! += x[base + c]!;
    }
    for (let c = 0; c < cols; c++) out[c] = acc[c]! * scale;
  } else {
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      const base = r * cols;
      for (let c = 0; c < cols; c++) sum += x[base + c]!;
      out[r] = sum * scale;
    }
  }
}

function reduction(mean: boolean): NativeKernelBody {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const x = inputs.x!;
    const xs = float32Values(backend, x);
    if (!xs) return undefined;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((a, b) => a - b);
    const leading = axes.every((a, i) => a === i);
    const trailing = axes.every((a, i) => a === rank - axes.length + i);
    if (axes.length === 0 || (!leading && !trailing)) return undefined;
    const [outShape, reduceShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const reduced = reduceShape.reduce((p, d) => p * d, 1);
    const kept = outShape.reduce((p, d) => p * d, 1);
    const shape = attrs.keepDims ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    const out = newOutput(addon, backend, shape);
    if (reduced === 0) return out.values.fill(mean ? NaN : 0), out.info;
    const scale = mean ? 1 / reduced : 1;
    if (leading) reduceRows(xs, reduced, kept, true, scale, out.values);
    else reduceRows(xs, kept, reduced, false, scale, out.values);
    return out.info;
  };
}

/** Sum over leading or trailing axes. */
export const sum = reduction(false);
/** Mean over leading or trailing axes. */
export const mean = reduction(true);
