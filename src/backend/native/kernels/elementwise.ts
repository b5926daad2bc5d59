/**
 * Element-wise kernels through the addon's OpenMP loops: arithmetic and comparisons (same
 * shape, or one operand repeated along a run of axes: scalar, trailing, [N,1,1,C] against
 * [N,H,W,C]), activations and their gradients' building blocks, Select, Cast, FusedBatchNorm, AddN and integer
 * nearest-neighbour upsampling. Anything else (dtypes, broadcasts) goes to the cpu kernel.
 */
import { tf } from '../../../tf.js';
import { float32Values, newBoolOutput, newOutput, type NativeKernelArgs, type NativeKernelBody } from './kernel-utils.js';

const SAME = 0;
const B_REPEATS = 1;
const A_REPEATS = 2;

/**
 * How the addon loops a binary op: its broadcast mode; the repeating operand is [outer, period]
 * and the output [outer, group, period] (period 1: one value per run of `group` outputs).
 */
export interface BroadcastPlan {
  mode: number;
  period: number;
  group: number;
  outShape: number[];
}

const size = (shape: number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * [outer, group, period] of `small` broadcast to `outShape` when the axes it repeats along (size 1
 * in `small`, larger in the output) form one run, size-1 output axes aside; else undefined.
 */
function repeatRun(small: number[], outShape: number[]): { group: number; period: number } | undefined {
  const padded = [...new Array<number>(outShape.length - small.length).fill(1), ...small];
  const repeated = outShape.map((d, i) => padded[i] !== d).map((differs, i) => differs && padded[i] === 1);
  if (outShape.some((d, i) => padded[i] !== d && !repeated[i])) return undefined;
  const first = repeated.indexOf(true);
  const last = repeated.lastIndexOf(true);
  if (first < 0) return undefined;
  if (outShape.slice(first, last + 1).some((d, k) => !repeated[first + k] && d !== 1)) return undefined;
  return { group: size(outShape.slice(first, last + 1)), period: size(outShape.slice(last + 1)) };
}

/** The loop for out = f(a, b) with tfjs broadcasting, or undefined for broadcasts it does not cover (both operands repeating, or along two runs of axes). */
export function broadcastPlan(aShape: number[], bShape: number[]): BroadcastPlan | undefined {
  const outShape = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
  const outSize = size(outShape);
  if (size(aShape) === outSize && size(bShape) === outSize) return { mode: SAME, period: Math.max(outSize, 1), group: 1, outShape };
  const run = size(aShape) === outSize ? repeatRun(bShape, outShape) : size(bShape) === outSize ? repeatRun(aShape, outShape) : undefined;
  if (!run) return undefined;
  return { mode: size(aShape) === outSize ? B_REPEATS : A_REPEATS, ...run, outShape };
}

function operands({ inputs, backend }: NativeKernelArgs) {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const as = float32Values(backend, a);
  const bs = float32Values(backend, b);
  if (!as || !bs) return undefined;
  const plan = broadcastPlan(a.shape, b.shape);
  return plan && { as, bs, plan };
}

function binary(op: number): NativeKernelBody {
  return (args, addon) => {
    const found = operands(args);
    if (!found) return undefined;
    const out = newOutput(addon, args.backend, found.plan.outShape);
    if (out.values.length > 0) addon.binary(op, found.as, found.bs, out.values, found.plan.mode, found.plan.period, found.plan.group);
    return out.info;
  };
}

function comparison(op: number): NativeKernelBody {
  return (args, addon) => {
    const found = operands(args);
    if (!found) return undefined;
    const out = newBoolOutput(addon, args.backend, found.plan.outShape);
    if (out.values.length > 0) addon.compare(op, found.as, found.bs, out.values, found.plan.mode, found.plan.period, found.plan.group);
    return out.info;
  };
}

function unary(op: number, alphaAttr?: string): NativeKernelBody {
  return ({ inputs, backend, attrs = {} }, addon) => {
    const x = inputs.x!;
    const xs = float32Values(backend, x);
    if (!xs) return undefined;
    const out = newOutput(addon, backend, x.shape);
    const alpha = alphaAttr ? Number(attrs[alphaAttr] ?? 0) : 0;
    if (out.values.length > 0) addon.unary(op, xs, out.values, alpha);
    return out.info;
  };
}

/** Select(condition, t, e) when the condition has t's shape. */
const select: NativeKernelBody = ({ inputs, backend }, addon) => {
  const { condition, t, e } = inputs as { condition: tf.TensorInfo; t: tf.TensorInfo; e: tf.TensorInfo };
  const cs = backend.data.get(condition.dataId).values;
  const ts = float32Values(backend, t);
  const es = float32Values(backend, e);
  const sameShape = condition.shape.length === t.shape.length && condition.shape.every((d, i) => d === t.shape[i]);
  if (!(cs instanceof Uint8Array) || !ts || !es || !sameShape || ts.length !== es.length) return undefined;
  const out = newOutput(addon, backend, t.shape);
  if (out.values.length > 0) addon.select(cs, ts, es, out.values);
  return out.info;
};

/**
 * Cast: to the same storage type (float32 to float32; bool or int32 to int32, which the cpu
 * backend stores as they are) the input's data itself, as the cpu kernel does; bool or int32 to
 * float32 and float32 or int32 to bool converted by the addon (the cpu kernel would hand bool
 * and int32 storage out as float32 data, which no native kernel takes). float32 to int32 and
 * complex64 go to the cpu kernel.
 */
const cast: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const x = inputs.x!;
  const dtype = attrs.dtype as tf.DataType;
  const xs = backend.data.get(x.dataId).values;
  const shared =
    (dtype === 'float32' && xs instanceof Float32Array) ||
    (dtype === 'int32' && (x.dtype === 'int32' || x.dtype === 'bool') && (xs instanceof Int32Array || xs instanceof Uint8Array)) ||
    (dtype === 'bool' && x.dtype === 'bool');
  if (shared && x.dtype !== 'complex64') {
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype };
  }
  const convertible = xs instanceof Uint8Array || xs instanceof Int32Array || xs instanceof Float32Array;
  if (!convertible || x.dtype === 'complex64' || (dtype !== 'float32' && dtype !== 'bool')) return undefined;
  const out = dtype === 'float32' ? newOutput(addon, backend, x.shape) : newBoolOutput(addon, backend, x.shape);
  if (out.values.length > 0) addon.convert(xs, out.values);
  return out.info;
};

const ONE = new Float32Array([1]);
const ZERO = new Float32Array([0]);

/** FusedBatchNorm (tf.batchNorm) with parameters of the channel count or size 1. */
const fusedBatchNorm: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { x, mean, variance, offset, scale } = inputs as Record<string, tf.TensorInfo | undefined>;
  const xs = float32Values(backend, x!);
  const ms = float32Values(backend, mean!);
  const vs = float32Values(backend, variance!);
  const os = offset ? float32Values(backend, offset) : ZERO;
  const ss = scale ? float32Values(backend, scale) : ONE;
  if (!xs || !ms || !vs || !os || !ss) return undefined;
  const channels = Math.max(ms.length, vs.length, os.length, ss.length);
  const fits = [ms, vs, os, ss].every((p) => p.length === channels || p.length === 1);
  if (!fits || channels === 0 || xs.length % channels !== 0) return undefined;
  const out = newOutput(addon, backend, x!.shape);
  const epsilon = (attrs.varianceEpsilon as number | undefined) ?? 0.001;
  if (out.values.length > 0) addon.batchNorm(xs, ms, vs, os, ss, out.values, epsilon, channels);
  return out.info;
};

/** AddN of same-shape float32 tensors. */
const addN: NativeKernelBody = ({ inputs, backend }, addon) => {
  const tensors = Object.values(inputs);
  const first = tensors[0];
  if (!first) return undefined;
  const arrays = tensors.map((t) => float32Values(backend, t));
  if (arrays.some((a) => !a || a.length !== arrays[0]!.length)) return undefined;
  const out = newOutput(addon, backend, first.shape);
  if (out.values.length > 0) addon.addN(arrays as Float32Array[], out.values);
  return out.info;
};

/** ResizeNearestNeighbor by whole factors, without align-corners or half-pixel centres. */
const resizeNearestNeighbor: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const images = inputs.images!;
  const xs = float32Values(backend, images);
  const [outH, outW] = attrs.size as [number, number];
  if (!xs || images.shape.length !== 4 || attrs.alignCorners || attrs.halfPixelCenters) return undefined;
  const [n, h, w, c] = images.shape as [number, number, number, number];
  if (h === 0 || w === 0 || outH % h !== 0 || outW % w !== 0) return undefined;
  const out = newOutput(addon, backend, [n, outH, outW, c]);
  if (out.values.length > 0) addon.upsampleNearest(xs, out.values, n, h, w, c, outH / h, outW / w);
  return out.info;
};

/** Kernel name -> native element-wise body. */
export const ELEMENTWISE_KERNELS: Readonly<Record<string, NativeKernelBody>> = {
  Add: binary(0),
  Sub: binary(1),
  Multiply: binary(2),
  RealDiv: binary(3),
  Maximum: binary(4),
  Minimum: binary(5),
  SquaredDifference: binary(6),
  Equal: comparison(0),
  NotEqual: comparison(1),
  Greater: comparison(2),
  GreaterEqual: comparison(3),
  Less: comparison(4),
  LessEqual: comparison(5),
  Relu: unary(0),
  LeakyRelu: unary(1, 'alpha'),
  Step: unary(2, 'alpha'),
  Square: unary(3),
  Neg: unary(4),
  Rsqrt: unary(5),
  Sqrt: unary(6),
  Exp: unary(7),
  Abs: unary(8),
  Log: unary(9),
  Sign: unary(10),
  Floor: unary(11),
  Select: select,
  Cast: cast,
  FusedBatchNorm: fusedBatchNorm,
  AddN: addN,
  ResizeNearestNeighbor: resizeNearestNeighbor,
};
