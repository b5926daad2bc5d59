/** Native Slice and PadV2 (box copies in native/src/copy-box.cc) against cpu and the JS copy: ranks 1-6, odd boxes, gradients, the option-A shortcut. */
import { tf } from '../../src/tf.js';
import { loadNativeAddon } from '../../src/backend/native/addon.js';
import { copyBox } from '../../src/backend/native/kernels/slice-pad.js';
import { optionAShortcut } from '../../src/backbones/basic-block.js';
import { assertMatchesCpu, countCalls, nativeTest, seededValues } from './native-helpers.js';

const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
const tn = (shape: number[], seed: number) => tf.tensor(seededValues(size(shape), seed), shape);
const ti = (shape: number[], seed: number) => tf.tensor(Int32Array.from(seededValues(size(shape), seed), (v) => Math.round(v * 1000)), shape, 'int32');

/** Deterministic integers in [0, n) (xorshift; no Math.random). */
function integers(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

/** A shape of `rank` with sides 1-5 (some 1s and odd sides), the last side up to 7. */
function shapeOf(rank: number, next: (n: number) => number): number[] {
  return Array.from({ length: rank }, (_, d) => 1 + next(d === rank - 1 ? 7 : 5));
}

/** An odd box of `shape`: begin and size per dimension (sometimes the whole side, sometimes one). */
function boxOf(shape: number[], next: (n: number) => number): { begin: number[]; size: number[] } {
  const begin = shape.map((d) => next(d));
  const size = shape.map((d, i) => 1 + next(d - begin[i]!));
  return { begin, size };
}

type CopyBox = (
  src: Float32Array | Int32Array, dst: Float32Array | Int32Array, srcShape: Int32Array, srcBegin: Int32Array,
  dstShape: Int32Array, dstBegin: Int32Array, size: Int32Array, fill?: number,
) => void;
const nativeCopyBox = (): CopyBox => (loadNativeAddon().addon as unknown as { copyBox: CopyBox }).copyBox;
const i32 = (v: number[]) => Int32Array.from(v);

nativeTest('addon copyBox equals the JS copy for random boxes of rank 1-6, float32 and int32, with and without fill', (t) => {
  const copy = nativeCopyBox();
  const next = integers(7);
  for (let trial = 0; trial < 300; trial++) {
    const rank = 1 + (trial % 6);
    const srcShape = shapeOf(rank, next);
    const { begin: srcBegin, size: box } = boxOf(srcShape, next);
    const dstShape = box.map((d) => d + next(3));
    const dstBegin = box.map((d, i) => next(dstShape[i]! - d + 1));
    const int = trial % 3 === 0;
    const src = int ? Int32Array.from(seededValues(size(srcShape), trial), (v) => v * 1e6) : seededValues(size(srcShape), trial);
    const make = () => (int ? new Int32Array(size(dstShape)).fill(-7) : new Float32Array(size(dstShape)).fill(-7));
    const fill = trial % 2 === 0 ? undefined : int ? 3 : 0.1;
    const expected = make();
    if (fill !== undefined) expected.fill(fill);
    copyBox(src, srcShape, srcBegin, expected, dstShape, dstBegin, box);
    const actual = make();
    copy(src, actual, i32(srcShape), i32(srcBegin), i32(dstShape), i32(dstBegin), i32(box), fill);
    t.deepEqual(Array.from(actual), Array.from(expected), `trial ${trial}: ${srcShape} [${srcBegin}] -> ${dstShape} [${dstBegin}] box ${box} fill ${fill}`);
  }
});

nativeTest('addon copyBox: empty boxes, large (threaded) copies, and errors for bad boxes', (t) => {
  const copy = nativeCopyBox();
  const src = seededValues(24, 1);
  const dst = new Float32Array(6).fill(5);
  copy(src, dst, i32([2, 3, 4]), i32([0, 0, 0]), i32([2, 3, 1]), i32([0, 0, 0]), i32([2, 0, 1]));
  t.deepEqual(Array.from(dst), [5, 5, 5, 5, 5, 5], 'empty box, no fill: nothing written');
  copy(src, dst, i32([2, 3, 4]), i32([0, 0, 0]), i32([2, 3, 1]), i32([0, 0, 0]), i32([2, 0, 1]), 2);
  t.deepEqual(Array.from(dst), [2, 2, 2, 2, 2, 2], 'empty box with fill: all filled');
  // 2 x 300 x 40 x 16 padded by one on both sides of H and W: 2 x 302 x 42 x 16 = 405,888 elements (both threads).
  const big = seededValues(2 * 300 * 40 * 16, 2);
  const shape = [2, 302, 42, 16];
  const expected = new Float32Array(size(shape)).fill(-1);
  copyBox(big, [2, 300, 40, 16], [0, 0, 0, 0], expected, shape, [0, 1, 1, 0], [2, 300, 40, 16]);
  const actual = new Float32Array(size(shape));
  copy(big, actual, i32([2, 300, 40, 16]), i32([0, 0, 0, 0]), i32(shape), i32([0, 1, 1, 0]), i32([2, 300, 40, 16]), -1);
  t.deepEqual(actual, expected, 'threaded pad');
  const sliced = new Float32Array(2 * 300 * 40 * 5);
  const slicedExpected = new Float32Array(sliced.length);
  copyBox(big, [2, 300, 40, 16], [0, 0, 0, 3], slicedExpected, [2, 300, 40, 5], [0, 0, 0, 0], [2, 300, 40, 5]);
  copy(big, sliced, i32([2, 300, 40, 16]), i32([0, 0, 0, 3]), i32([2, 300, 40, 5]), i32([0, 0, 0, 0]), i32([2, 300, 40, 5]));
  t.deepEqual(sliced, slicedExpected, 'threaded slice of 5-float runs');
  const out = new Float32Array(4);
  t.throws(() => copy(src, out, i32([2, 3, 4]), i32([1, 0, 3]), i32([2, 2]), i32([0, 0]), i32([2, 2])), { instanceOf: RangeError }, 'ranks differ');
  t.throws(() => copy(src, out, i32([2, 3, 4]), i32([1, 0, 3]), i32([1, 2, 2]), i32([0, 0, 0]), i32([1, 2, 2])), { instanceOf: RangeError }, 'box past the source');
  t.throws(() => copy(src, out, i32([2, 3, 4]), i32([0, 0, 0]), i32([1, 2, 2]), i32([0, 1, 0]), i32([1, 2, 2])), { instanceOf: RangeError }, 'box past the destination');
  t.throws(() => copy(src, out, i32([2, 3, 5]), i32([0, 0, 0]), i32([1, 2, 2]), i32([0, 0, 0]), i32([1, 2, 2])), { instanceOf: RangeError }, 'shape does not match the array');
  t.throws(() => copy(src, new Int32Array(4), i32([2, 3, 4]), i32([0, 0, 0]), i32([1, 2, 2]), i32([0, 0, 0]), i32([1, 2, 2])), { instanceOf: TypeError }, 'element types differ');
  t.throws(() => copy(Int32Array.from(src), new Int32Array(8), i32([2, 3, 4]), i32([0, 0, 0]), i32([2, 2, 2]), i32([0, 0, 0]), i32([1, 2, 2]), 0.5), { instanceOf: RangeError }, 'int32 fill not an integer');
  t.deepEqual(Array.from(out), [0, 0, 0, 0], 'nothing written on errors');
});

nativeTest('slice matches cpu for every rank 1-5, odd boxes, int32 and zero sizes; contiguous slices stay cpu views', async (t) => {
  const next = integers(11);
  let strided = 0;
  const calls = await countCalls(async () => {
    for (let rank = 1; rank <= 5; rank++) {
      for (let trial = 0; trial < 6; trial++) {
        const shape = shapeOf(rank, next).map((d) => d + 1);
        const { begin, size: box } = boxOf(shape, next);
        if (!tf.slice_util.isSliceContinous(shape, begin, box)) strided += 2;
        await assertMatchesCpu(t, `slice ${shape} [${begin}] ${box}`, () => [tn(shape, trial).slice(begin, box), ti(shape, trial).slice(begin, box)], 0);
      }
    }
    await assertMatchesCpu(t, 'slice zero-size and -1 sizes', () => {
      const x = tn([3, 5, 4], 3);
      return [x.slice([1, 2, 0], [2, 0, 3]), x.slice([0, 5, 0], [3, 0, 4]), x.slice([1, 1, 1], [-1, 3, -1]), ti([3, 5, 4], 4).slice([0, 0, 1], [0, 2, 2])];
    }, 0);
    await assertMatchesCpu(t, 'slice option-A shape, threaded', () => tn([10 * 16, 2, 16, 32], 5).slice([0, 0, 0, 0], [10 * 16, 1, 16, 16]), 0);
  });
  t.true(strided >= 30 && calls.Slice!.native >= strided + 1, `native slices: ${calls.Slice!.native} of ${strided} + 1 expected`);
  t.true(calls.Slice!.fallback > 0, 'some contiguous slices went to the cpu kernel');
});

nativeTest('pad matches cpu for every rank 1-5, odd paddings and constants, int32, zero-size inputs; negative paddings fall back', async (t) => {
  const next = integers(13);
  const calls = await countCalls(async () => {
    for (let rank = 1; rank <= 5; rank++) {
      for (let trial = 0; trial < 6; trial++) {
        const shape = shapeOf(rank, next);
        const paddings = shape.map(() => [next(3), next(4)] as [number, number]);
        const constant = [0, 2.5, -1.25, 1e-8, 7, -0][trial]!;
        await assertMatchesCpu(t, `pad ${shape} ${JSON.stringify(paddings)} ${constant}`, () => [tn(shape, trial).pad(paddings, constant), ti(shape, trial).pad(paddings, constant)], 0);
      }
    }
    await assertMatchesCpu(t, 'pad zero-size inputs, NaN and -0 constants', () => [
      tf.zeros([0, 3]).pad([[1, 1], [0, 2]], 4),
      tf.zeros([2, 0, 3], 'int32').pad([[0, 0], [1, 0], [0, 1]], 9),
      tn([2, 3], 6).pad([[1, 0], [0, 1]], NaN),
      tn([2, 3], 6).pad([[1, 0], [0, 1]], -0),
      ti([2, 3], 7).pad([[0, 1], [1, 0]], 2.75),
      tn([2, 3], 8).pad([[0, 0], [0, 0]]),
    ], 0);
    await assertMatchesCpu(t, 'pad option-A channels, threaded', () => tn([5, 16, 16, 16], 9).pad([[0, 0], [0, 0], [0, 0], [8, 8]]), 0);
  });
  t.true(calls.PadV2!.native >= 5 * 6 * 2 + 7 && calls.PadV2!.fallback === 0, JSON.stringify(calls.PadV2));
  // tfjs does not reject negative paddings: the cpu kernel writes what its index arithmetic
  // gives (a crop in 1-D, overlapping writes otherwise). Native hands them to it unchanged.
  const negative = await countCalls(() => assertMatchesCpu(t, 'negative paddings', () => [
    tn([6], 10).pad([[-1, -2]]),
    tn([3, 4], 11).pad([[0, 1], [-1, 0]]),
  ], 0));
  t.deepEqual(negative.PadV2, { native: 0, fallback: 2 });
});

nativeTest('gradients of slice and pad (tf.grads) match cpu', async (t) => {
  const cases: Array<{ shape: number[]; begin: number[]; box: number[]; paddings: Array<[number, number]> }> = [
    { shape: [9], begin: [2], box: [5], paddings: [[3, 1]] },
    { shape: [4, 7], begin: [1, 2], box: [2, 4], paddings: [[0, 2], [1, 1]] },
    { shape: [3, 5, 6], begin: [0, 1, 3], box: [3, 3, 2], paddings: [[1, 0], [0, 0], [2, 3]] },
    { shape: [2, 7, 5, 3], begin: [0, 1, 1, 1], box: [2, 5, 3, 2], paddings: [[0, 0], [0, 1], [0, 1], [0, 0]] },
    { shape: [2, 3, 4, 5, 3], begin: [1, 0, 1, 2, 0], box: [1, 3, 2, 3, 3], paddings: [[0, 1], [1, 0], [0, 0], [2, 0], [0, 3]] },
  ];
  for (const c of cases) {
    await assertMatchesCpu(t, `grads ${c.shape}`, () => {
      const x = tn(c.shape, 20);
      const w = tn(c.shape, 21);
      const rs = tn(c.box, 22);
      const rp = tn(c.shape.map((d, i) => c.paddings[i]![0] + d + c.paddings[i]![1]), 23);
      const f = (a: tf.Tensor, b: tf.Tensor) => a.mul(b).slice(c.begin, c.box).mul(rs).sum().add(a.sub(b).pad(c.paddings, 0.5).mul(rp).sum());
      return tf.grads(f)([x, w]);
    }, 0);
  }
});

nativeTest('optionAShortcut matches cpu (forward and gradient) for strides 1 and 2, odd sizes; tensor count constant', async (t) => {
  const cases: Array<[number[], number, number]> = [
    [[2, 8, 8, 4], 1, 4],
    [[2, 8, 8, 4], 1, 8],
    [[2, 8, 8, 4], 2, 8],
    [[3, 7, 9, 5], 2, 10],
    [[1, 5, 5, 3], 2, 3],
    [[2, 9, 7, 6], 2, 13],
    [[4, 32, 32, 16], 2, 32], // resnet20's first stride-2 block at batch 4: threaded pad and slice gradient
  ];
  const calls = await countCalls(async () => {
    for (const [shape, stride, outC] of cases) {
      await assertMatchesCpu(t, `optionA ${shape} s${stride} -> ${outC}`, () => {
        const x = tn(shape, 30) as tf.Tensor4D;
        const y = optionAShortcut(x, stride, outC);
        const r = tn(y.shape, 31);
        return [y, tf.grad((v) => optionAShortcut(v as tf.Tensor4D, stride, outC).mul(r).sum())(x)];
      }, 0);
    }
  });
  t.true(calls.Slice!.native > 0 && calls.PadV2!.native > 0);
});

nativeTest('JOINTSHOT_NATIVE_JS_COPY=1 (the JS copy) gives the same results', async (t) => {
  const compute = () => {
    const x = tn([3, 7, 5, 6], 40);
    return [
      x.slice([1, 2, 1, 1], [2, 3, 3, 4]),
      x.pad([[1, 0], [0, 2], [1, 1], [0, 3]], 1.5),
      tf.grad((v) => v.pad([[0, 0], [0, 1], [0, 1], [0, 0]]).slice([0, 1, 1, 0], [3, 6, 4, 3]).square().sum())(x),
    ];
  };
  await assertMatchesCpu(t, 'addon copy', compute, 0);
  process.env.JOINTSHOT_NATIVE_JS_COPY = '1';
  try {
    await assertMatchesCpu(t, 'JS copy', compute, 0);
  } finally {
    delete process.env.JOINTSHOT_NATIVE_JS_COPY;
  }
});
