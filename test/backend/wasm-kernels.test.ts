import test, { type ExecutionContext } from 'ava';
import { tf } from '../../src/tf.js';
import { setupWasm } from '../../src/backend/wasm/setup.js';
import { planFilterGradAxis } from '../../src/backend/wasm/kernels/conv2d-backprop-filter.js';
import { createRng } from '../../src/util/rng.js';
import { withNoLeaks } from '../helpers/tf.js';

// Every case runs the same computation on the cpu backend (the reference) and on wasm with
// jointshot's kernels, and compares: max |wasm - cpu| <= 1e-5 * max |cpu|.
test.before(async () => {
  await setupWasm({ threads: 2 });
  await tf.setBackend('wasm');
});

type Shape = number[];

function randomValues(seed: string, shape: Shape): Float32Array {
  const rng = createRng(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  return Float32Array.from({ length: size }, () => rng() * 2 - 1);
}

/** Runs `compute` on `backend` over fresh tensors of `inputs`, returning every output's values. */
async function runOn(
  backend: string,
  inputs: { values: Float32Array; shape: Shape }[],
  compute: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    return compute(...xs).map((r) => r.dataSync() as Float32Array);
  });
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

/** Compares wasm against cpu; also checks wasm leaves no tensors and no backend buffers behind. */
async function matchesCpu(
  t: ExecutionContext,
  label: string,
  shapes: Shape[],
  compute: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<void> {
  const inputs = shapes.map((shape, i) => ({ values: randomValues(`${label}/${i}`, shape), shape }));
  const expected = await runOn('cpu', inputs, compute);
  await tf.setBackend('wasm');
  const wasmBackend = tf.backend() as tf.KernelBackend & { numDataIds(): number };
  const buffersBefore = wasmBackend.numDataIds();
  const actual = await withNoLeaks(t, () => runOn('wasm', inputs, compute));
  t.is(wasmBackend.numDataIds(), buffersBefore, `${label}: wasm buffers left behind`);
  t.is(actual.length, expected.length);
  actual.forEach((values, i) => {
    t.is(values.length, expected[i]!.length, `${label}: output ${i} size`);
    const error = relativeError(values, expected[i]!);
    t.true(error <= 1e-5, `${label}: output ${i} relative error ${error.toExponential(2)}`);
  });
}

interface ConvCase {
  name: string;
  x: Shape; // NHWC
  filter: Shape; // [kh, kw, ci, co]
  strides: number;
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
}

const CONV_CASES: ConvCase[] = [
  { name: 'same s1 3x3 odd 7x5 batch 3', x: [3, 7, 5, 4], filter: [3, 3, 4, 6], strides: 1, pad: 'same' },
  { name: 'same s2 3x3 8x8 (odd total pad)', x: [2, 8, 8, 3], filter: [3, 3, 3, 5], strides: 2, pad: 'same' },
  { name: 'same s2 3x3 7x9', x: [2, 7, 9, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'same' },
  { name: 'valid s1 3x3', x: [2, 6, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'valid' },
  { name: 'same s1 3x3, Ci 2 << Co 9 (x as filter)', x: [3, 7, 6, 2], filter: [3, 3, 2, 9], strides: 1, pad: 'same' },
  { name: 'valid s1 3x3, Ci 2 << Co 12 (x as filter)', x: [2, 8, 7, 2], filter: [3, 3, 2, 12], strides: 1, pad: 'valid' },
  { name: '5x5 s1 same, Ci 1 << Co 4 (x as filter)', x: [2, 9, 8, 1], filter: [5, 5, 1, 4], strides: 1, pad: 'same' },
  { name: 'valid s2 3x3 8x8 (unused last row)', x: [2, 8, 8, 3], filter: [3, 3, 3, 4], strides: 2, pad: 'valid' },
  { name: 'valid s2 3x3 9x9', x: [3, 9, 9, 2], filter: [3, 3, 2, 3], strides: 2, pad: 'valid' },
  { name: '1x1 s1', x: [4, 5, 5, 6], filter: [1, 1, 6, 3], strides: 1, pad: 'valid' },
  { name: '1x1 s2 odd 7x7', x: [2, 7, 7, 4], filter: [1, 1, 4, 5], strides: 2, pad: 'same' },
  { name: 'same s2 5x5 odd 11x11', x: [2, 11, 11, 2], filter: [5, 5, 2, 3], strides: 2, pad: 'same' },
  {
    name: 'explicit asymmetric pads s1',
    x: [2, 6, 5, 3],
    filter: [3, 3, 3, 2],
    strides: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
];

for (const c of CONV_CASES) {
  test.serial(`conv2d gradients (input and filter) match cpu: ${c.name}`, async (t) => {
    const outShape = tf.backend_util.computeConv2DInfo(
      c.x as [number, number, number, number],
      c.filter as [number, number, number, number],
      c.strides,
      1,
      c.pad,
    ).outShape;
    // loss = sum(conv2d(x, w) * probe): its gradients are exactly the two backprop kernels on dy = probe.
    await matchesCpu(t, c.name, [c.x, c.filter, outShape], (x, w, probe) => {
      const loss = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad), probe!));
      const [dx, dw] = tf.grads(loss)([x!, w!]);
      return [dx!, dw!];
    });
  });
}

test.serial('Conv2DBackpropFilter kernel in NCHW matches cpu', async (t) => {
  // x [N,C,H,W] = [2,3,8,7], filter 3x3x3x4, stride 2, same padding -> dy [2,4,4,4].
  await matchesCpu(t, 'nchw-filter', [[2, 3, 8, 7], [2, 4, 4, 4]], (x, dy) => [
    tf.engine().runKernel('Conv2DBackpropFilter', { x: x!, dy: dy! }, {
      strides: [2, 2],
      pad: 'same',
      dataFormat: 'NCHW',
      filterShape: [3, 3, 3, 4],
    }) as tf.Tensor,
  ]);
});

test.serial('Conv2DBackpropInput kernel (stride 1 fast path and stride 2 stock path) matches cpu', async (t) => {
  for (const [strides, dyShape] of [
    [1, [2, 7, 6, 5]],
    [2, [2, 4, 3, 5]],
  ] as const) {
    await matchesCpu(t, `backprop-input s${strides}`, [[...dyShape], [3, 3, 4, 5]], (dy, w) => [
      tf.engine().runKernel('Conv2DBackpropInput', { dy: dy!, filter: w! }, {
        strides: [strides, strides],
        pad: 'same',
        dataFormat: 'NHWC',
          inputShape: [2, 7, 6, 4],
      }) as tf.Tensor,
    ]);
  }
});

const POOL_CASES: { name: string; x: Shape; size: number; strides: number; pad: 'same' | 'valid'; relu: boolean }[] = [
  { name: '2x2 s2 valid, odd 9x7, batch 3', x: [3, 9, 7, 5], size: 2, strides: 2, pad: 'valid', relu: false },
  { name: '2x2 s2 valid after ReLU (ties among zeros)', x: [2, 8, 8, 4], size: 2, strides: 2, pad: 'valid', relu: true },
  { name: '3x3 s2 same, overlapping windows, ties', x: [2, 7, 9, 3], size: 3, strides: 2, pad: 'same', relu: true },
  { name: '3x3 s1 same', x: [1, 6, 5, 2], size: 3, strides: 1, pad: 'same', relu: false },
];

for (const c of POOL_CASES) {
  test.serial(`max-pool gradient (MaxPoolGrad) matches cpu: ${c.name}`, async (t) => {
    const outShape = tf.backend_util.computePool2DInfo(c.x as [number, number, number, number], c.size, c.strides, 1, c.pad).outShape;
    await matchesCpu(t, c.name, [c.x, outShape], (x, probe) => {
      const input = c.relu ? tf.relu(x!) : x!;
      const loss = (a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.size, c.strides, c.pad), probe!));
      return [tf.grad(loss)(input)];
    });
  });
}

const MATMUL_CASES: { name: string; a: Shape; b: Shape; ta: boolean; tb: boolean }[] = [
  { name: 'batch 3, no transpose', a: [3, 17, 19], b: [3, 19, 23], ta: false, tb: false },
  { name: 'batch 3, transpose a', a: [3, 19, 17], b: [3, 19, 23], ta: true, tb: false },
  { name: 'batch 3, transpose b', a: [3, 17, 19], b: [3, 23, 19], ta: false, tb: true },
  { name: 'batch 3, transpose both', a: [3, 19, 17], b: [3, 23, 19], ta: true, tb: true },
  { name: 'a batch 1 broadcast', a: [1, 17, 19], b: [4, 19, 23], ta: false, tb: false },
  { name: 'b batch 1 broadcast (tall path), transpose b', a: [4, 17, 19], b: [23, 19], ta: false, tb: true },
  { name: 'rank 4 batch [2,3]', a: [2, 3, 17, 19], b: [2, 3, 19, 21], ta: false, tb: false },
  { name: '2-D, transpose a', a: [40, 30], b: [40, 50], ta: true, tb: false },
  { name: 'tiny (stock loop)', a: [5, 3, 4], b: [5, 2, 4], ta: false, tb: true },
  { name: 'streamed: column sums ones[1,M] x X[M,C]', a: [1, 3000], b: [3000, 24], ta: false, tb: false },
  { name: 'streamed: 3 rows, transpose a and b, batch 2', a: [2, 500, 3], b: [2, 40, 500], ta: true, tb: true },
  { name: 'streamed: 2 rows, transpose b, b broadcast', a: [3, 2, 400], b: [1, 30, 400], ta: false, tb: true },
  { name: 'streamed: X^T ones^T (transposed a, 1 column)', a: [3000, 24], b: [1, 3000], ta: true, tb: true },
  { name: 'streamed: transposed a, 4 columns, batch 2', a: [2, 600, 30], b: [2, 600, 4], ta: true, tb: false },
];

for (const c of MATMUL_CASES) {
  test.serial(`BatchMatMul matches cpu: ${c.name}`, async (t) => {
    await matchesCpu(t, c.name, [c.a, c.b], (a, b) => [tf.matMul(a!, b!, c.ta, c.tb)]);
  });
}

test.serial('matMul gradients (transposed products) match cpu', async (t) => {
  await matchesCpu(t, 'matmul-grad', [[3, 20, 30], [3, 30, 25]], (a, b) => {
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y))))([a!, b!]);
    return [da!, db!];
  });
});

test('planFilterGradAxis: padding that makes the gradient convolution produce the filter size', (t) => {
  // valid, stride 2, 8 rows, 3-tap filter: 3 outputs read rows 0..6, row 7 is never used.
  t.deepEqual(planFilterGradAxis(8, 3, 2, 3, 0), { keep: 7, padBefore: 0, padAfter: 0 });
  // same, stride 2, 8 rows: 4 outputs, total pad 1 (0 before, 1 after).
  t.deepEqual(planFilterGradAxis(8, 3, 2, 4, 0), { keep: 8, padBefore: 0, padAfter: 1 });
  // same, stride 1, 7 rows, 3-tap: pads 1 and 1.
  t.deepEqual(planFilterGradAxis(7, 3, 1, 7, 1), { keep: 7, padBefore: 1, padAfter: 1 });
  for (const [size, filter, stride, out, before] of [
    [8, 3, 2, 3, 0],
    [8, 3, 2, 4, 0],
    [11, 5, 2, 6, 2],
    [7, 1, 2, 4, 0],
  ] as const) {
    const plan = planFilterGradAxis(size, filter, stride, out, before);
    // output size of the planned convolution (dilation = stride, extent (out-1)*stride+1) is `filter`
    t.is(plan.keep + plan.padBefore + plan.padAfter - ((out - 1) * stride + 1) + 1, filter);
  }
});
