/** Every oneDNN/native kernel against the cpu backend: forward and gradients, odd shapes, fallbacks. */
import type { ExecutionContext } from 'ava';
import { tf } from '../../src/tf.js';
import { loadNativeAddon, nativeContentCacheBytes, nativeConvBnAct, nativeConvBnActChain, nativeConvImplementations, nativeFusedWinograd, nativeIsa, nativeWinograd } from '../../src/backend/native/index.js';
import { assertMatchesCpu, countCalls, nativeTest, seededValues } from './native-helpers.js';

const t4 = (shape: number[], seed: number) => tf.tensor4d(seededValues(shape.reduce((p, d) => p * d, 1), seed), shape as [number, number, number, number]);
const tn = (shape: number[], seed: number) => tf.tensor(seededValues(shape.reduce((p, d) => p * d, 1), seed), shape);

interface ConvCase {
  x: number[];
  f: number[];
  stride: number | [number, number];
  pad: 'same' | 'valid' | number;
}
/** conv2d of case `c` on seeded inputs (seeds `seed`, +1, +2), with dx and dfilter of a seeded weighting of it. */
function convAndGrads(c: ConvCase, seed: number): tf.Tensor[] {
  const x = t4(c.x, seed);
  const f = t4(c.f, seed + 1);
  const y = tf.conv2d(x, f, c.stride, c.pad);
  const r = tn(y.shape, seed + 2);
  const [dx, df] = tf.grads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad).mul(r).sum())([x, f]);
  return [y, dx!, df!];
}
const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 5], stride: 2, pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 5], stride: 1, pad: 'valid' },
  { x: [3, 8, 6, 4], f: [3, 3, 4, 2], stride: 2, pad: 'valid' },
  { x: [1, 5, 6, 4], f: [3, 3, 4, 3], stride: 2, pad: 1 },
  { x: [1, 5, 6, 4], f: [3, 2, 4, 3], stride: [2, 1], pad: 1 }, // tfjs's odd numeric-pad sizes: cpu fallback
  { x: [2, 6, 6, 5], f: [1, 1, 5, 7], stride: 1, pad: 'same' },
  { x: [2, 7, 7, 5], f: [1, 1, 5, 7], stride: 2, pad: 'valid' },
  { x: [2, 9, 9, 16], f: [3, 3, 16, 12], stride: 1, pad: 'same' },
];

for (const [i, c] of CONV_CASES.entries()) {
  const label = `conv2d x${c.x} f${c.f} stride ${c.stride} pad ${c.pad}`;
  nativeTest(`${label}: forward, dx and dfilter match cpu`, async (t) => {
    const calls = await countCalls(() => assertMatchesCpu(t, label, () => convAndGrads(c, 1), 2e-5));
    const expected = i === 5 ? 'fallback' : 'native';
    for (const name of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) t.true(calls[name]![expected] > 0, `${name} ran ${expected}`);
  });
}

/**
 * Calls nativeConvBnAct on native for each [filter, scale, leak, residual?] and compares every
 * result with unfused cpu ops (conv, * scale, + shift, + residual, leaky ReLU): the weights cache
 * must never serve a changed filter or scale.
 */
async function checkConvBnActCalls(
  t: ExecutionContext, x: tf.Tensor4D, shift: tf.Tensor1D, residual: tf.Tensor4D,
  calls: ReadonlyArray<readonly [tf.Tensor4D, tf.Tensor1D, number | null, boolean]>,
): Promise<void> {
  for (const [i, [filter, scale, leak, res]] of calls.entries()) {
    await tf.setBackend('native');
    const native = tf.tidy(() => Array.from(nativeConvBnAct(x, filter, scale, shift, { strides: 1, pad: 'same', leak, residual: res ? residual : undefined }).dataSync()));
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => {
      let y = tf.conv2d(x, filter, 1, 'same').mul(scale).add(shift);
      if (res) y = y.add(residual);
      if (leak !== null) y = tf.leakyRelu(y, leak);
      return Array.from(y.dataSync());
    });
    const worst = Math.max(...expected.map((v, j) => Math.abs(v - native[j]!)));
    t.true(worst < 1e-4, `call ${i}: max difference ${worst}`);
  }
}

/** The oneDNN kernels that ran the convolutions of input channels `ic`, output `oc` and map `h`, by kind. */
function kernelsOf(ic: number, oc: number, h: number): Record<string, string> {
  const rows = nativeConvImplementations().filter((r) => r.params[1] === h && r.params[3] === ic && r.params[4] === oc);
  return Object.fromEntries(rows.map((r) => [r.kind, r.implementation]));
}
/** Whether oneDNN has its Winograd kernels here (AVX-512). */
const winogradHere = () => nativeIsa()?.available.includes('avx512') ?? false;

nativeTest('3x3 stride-1 training convolutions: same-padded ones of 16-256 channels (multiples of 16) run forward, backward data and backward weights through the fused Winograd kernel, the rest of >= 32 channels through oneDNN\'s; all match cpu; strided, narrow and tiny-map ones use neither', async (t) => {
  const cases: ConvCase[] = [
    { x: [2, 10, 10, 32], f: [3, 3, 32, 48], stride: 1, pad: 'same' },
    { x: [3, 7, 6, 40], f: [3, 3, 40, 33], stride: 1, pad: 'valid' },
    { x: [2, 10, 10, 32], f: [3, 3, 32, 32], stride: 2, pad: 'same' },
    { x: [2, 11, 11, 16], f: [3, 3, 16, 16], stride: 1, pad: 'same' },
    { x: [2, 3, 3, 32], f: [3, 3, 32, 32], stride: 1, pad: 'same' },
    // Weight gradient (fused from 2 tiles per channel of the wider side on): 3 x 4 x 3 = 36 tiles
    // (a group of 32 and a partial one) with partial tiles at the bottom and right; 3 output
    // blocks (a pair and a single) against 1 input block; 3 input blocks against 1 output block.
    { x: [3, 13, 10, 16], f: [3, 3, 16, 16], stride: 1, pad: 'same' },
    { x: [6, 13, 14, 16], f: [3, 3, 16, 48], stride: 1, pad: 'same' },
    { x: [5, 17, 13, 48], f: [3, 3, 48, 16], stride: 1, pad: 'same' },
  ];
  for (const [i, c] of cases.entries()) {
    const label = `conv2d x${c.x} f${c.f} stride ${c.stride} pad ${c.pad}`;
    await assertMatchesCpu(t, label, () => convAndGrads(c, 31 + i), 2e-5);
    const kernels = kernelsOf(c.f[2]!, c.f[3]!, c.x[1]!);
    t.deepEqual(Object.keys(kernels).sort(), ['backwardData', 'backwardWeights', 'forward'], `${label}: primitives made`);
    const wino = winogradHere() && c.stride === 1 && c.f[2]! >= 32 && c.x[1]! >= 4;
    const fused = winogradHere() && c.stride === 1 && c.pad === 'same' && c.f[2]! % 16 === 0 && c.f[3]! % 16 === 0 && c.x[1]! >= 4;
    for (const [kind, impl] of Object.entries(kernels)) {
      const tiles = c.x[0]! * Math.ceil(c.x[1]! / 4) * Math.ceil(c.x[2]! / 4);
      const fusedHere = fused && (kind !== 'backwardWeights' || tiles >= 2 * Math.max(c.f[2]!, c.f[3]!));
      const expected = fusedHere ? 'jointshot:wino_4x3_fused' : wino ? 'wino' : 'not wino';
      t.is(impl === 'jointshot:wino_4x3_fused' ? impl : impl.includes('wino') ? 'wino' : 'not wino', expected, `${label} ${kind}: ${impl}`);
    }
  }
  t.true(nativeWinograd(), 'on by default');
  t.false(nativeWinograd(false));
  try {
    await tf.setBackend('native');
    tf.tidy(() => tf.conv2d(t4([1, 8, 8, 48], 51), t4([3, 3, 48, 48], 52), 1, 'same').dataSync());
    const direct = nativeConvImplementations().find((r) => r.params[3] === 48 && r.params[4] === 48 && r.kind === 'forward');
    t.false(direct?.implementation.includes('wino') ?? true, `switched off: ${direct?.implementation}`);
  } finally {
    t.true(nativeWinograd(true));
    await tf.setBackend('cpu');
  }
});

nativeTest('convolutions with small output maps run as matrix products (forward, dx, dfilter) and match cpu; JOINTSHOT_NATIVE_SMALL_MAP_GEMM=0 hands them back to oneDNN', async (t) => {
  const cases: Array<ConvCase & { gemm: boolean; pixels?: string; channels?: string }> = [
    { x: [5, 1, 1, 24], f: [3, 3, 24, 20], stride: 1, pad: 1, gemm: true }, // ResNet-18's last block on 32x32
    { x: [5, 2, 2, 24], f: [3, 3, 24, 36], stride: 2, pad: 1, gemm: true }, // the stride-2 convolution into it
    { x: [2, 3, 3, 128], f: [3, 3, 128, 256], stride: 1, pad: 1, gemm: true }, // ResNet-18's last block on 84x84 (narrower)
    { x: [2, 6, 6, 128], f: [3, 3, 128, 256], stride: 2, pad: 1, gemm: true }, // the stride-2 convolution into it
    { x: [2, 2, 3, 128], f: [3, 3, 128, 256], stride: 2, pad: 1, gemm: true }, // output 1x2
    { x: [3, 1, 2, 8], f: [3, 3, 8, 12], stride: 2, pad: 1, gemm: true },
    { x: [3, 1, 1, 6], f: [1, 1, 6, 10], stride: 1, pad: 0, gemm: true },
    { x: [3, 3, 3, 6], f: [3, 3, 6, 10], stride: 1, pad: 'valid', gemm: true },
    { x: [2, 1, 1, 128], f: [2, 2, 128, 256], stride: 2, pad: 2, gemm: true }, // output pixel (0, 0) sees only padding
    { x: [3, 2, 2, 6], f: [1, 1, 6, 10], stride: 2, pad: 0, gemm: true }, // the 1x1 shortcut into a 1x1 map
    { x: [2, 3, 3, 64], f: [3, 3, 64, 64], stride: 1, pad: 1, gemm: false }, // 9 pixels but few channels: oneDNN's
    { x: [3, 3, 3, 64], f: [3, 3, 64, 64], stride: 1, pad: 1, gemm: true, channels: '4096' }, // ... unless the bound is lowered
    { x: [2, 4, 5, 128], f: [3, 3, 128, 256], stride: 1, pad: 'same', gemm: false }, // 20 pixels: over the default bound
    { x: [2, 5, 4, 128], f: [3, 3, 128, 256], stride: 1, pad: 'same', gemm: true, pixels: '20' }, // ... and within a raised one
    { x: [2, 6, 6, 128], f: [1, 1, 128, 256], stride: 2, pad: 0, gemm: false }, // 1x1 filters on larger maps: oneDNN's
  ];
  for (const smallMapGemm of ['1', '0']) {
    process.env.JOINTSHOT_NATIVE_SMALL_MAP_GEMM = smallMapGemm;
    try {
      for (const [i, c] of cases.entries()) {
        if (c.pixels) process.env.JOINTSHOT_NATIVE_SMALL_MAP_PIXELS = c.pixels;
        if (c.channels) process.env.JOINTSHOT_NATIVE_SMALL_MAP_CHANNELS = c.channels;
        const label = `conv2d x${c.x} f${c.f} stride ${c.stride} pad ${c.pad} (JOINTSHOT_NATIVE_SMALL_MAP_GEMM=${smallMapGemm}, pixels ${c.pixels ?? 'default'}, channels ${c.channels ?? 'default'})`;
        const calls = await countCalls(() => assertMatchesCpu(t, label, () => convAndGrads(c, 71 + i), 2e-5));
        delete process.env.JOINTSHOT_NATIVE_SMALL_MAP_PIXELS;
        delete process.env.JOINTSHOT_NATIVE_SMALL_MAP_CHANNELS;
        for (const name of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) t.true(calls[name]!.native > 0, `${label}: ${name} ran native`);
        const rows = nativeConvImplementations().filter((r) => r.params.slice(0, 5).join() === [...c.x, c.f[3]!].join() && r.params[5] === c.f[0] && r.params[9] === c.stride);
        const gemmKinds = rows.filter((r) => r.implementation === 'jointshot:gemm_small_map').map((r) => r.kind).sort();
        if (c.gemm && smallMapGemm === '1') t.deepEqual(gemmKinds, ['backwardData', 'backwardWeights', 'forward'], `${label}: ran as matrix products`);
        else if (!c.gemm) t.deepEqual(gemmKinds, [], `${label}: not a small-map convolution`);
        if (smallMapGemm === '1') continue;
        const others = rows.filter((r) => !r.implementation.startsWith('jointshot:')).map((r) => r.kind).sort();
        t.deepEqual(others, ['backwardData', 'backwardWeights', 'forward'], `${label}: oneDNN made its primitives when switched off`);
      }
    } finally {
      delete process.env.JOINTSHOT_NATIVE_SMALL_MAP_GEMM;
      delete process.env.JOINTSHOT_NATIVE_SMALL_MAP_PIXELS;
      delete process.env.JOINTSHOT_NATIVE_SMALL_MAP_CHANNELS;
    }
  }
});

nativeTest('small-map convolutions write every element of a recycled output (forward, dx, dfilter: padding-only pixels, first products, accumulations)', async (t) => {
  const cases: ConvCase[] = [
    { x: [4, 3, 3, 128], f: [3, 3, 128, 256], stride: 1, pad: 1 },
    { x: [8, 1, 1, 128], f: [2, 2, 128, 256], stride: 2, pad: 2 }, // output pixel (0, 0) sees only padding
  ];
  for (const [i, c] of cases.entries()) {
    const outSize = tf.tidy(() => tf.conv2d(t4(c.x, 0), t4(c.f, 0), c.stride, c.pad).size);
    const sizes = [outSize, c.x.reduce((a, b) => a * b), c.f.reduce((a, b) => a * b)];
    await assertMatchesCpu(t, `conv2d x${c.x} f${c.f} over recycled NaN buffers`, () => {
      if (tf.getBackend() === 'native') {
        // Native Multiply outputs come from the recycled pool: leave NaN buffers of each output's size in it.
        for (const size of sizes) tf.tidy(() => tf.mul(tf.fill([size], NaN), 1)).dispose();
      }
      return convAndGrads(c, 91 + i);
    }, 2e-5);
  }
});

nativeTest('nativeConvBnAct through Winograd (>= 16 channels): scale folded, leaky ReLU, residual; a changed scale or filter is never served from the weights cache', async (t) => {
  const x = t4([2, 9, 9, 32], 41);
  const filters = [t4([3, 3, 32, 16], 42), t4([3, 3, 32, 16], 43)];
  const scales = [tn([16], 44) as tf.Tensor1D, tn([16], 45) as tf.Tensor1D];
  const shift = tn([16], 46) as tf.Tensor1D;
  const residual = t4([2, 9, 9, 16], 47);
  const before = tf.memory().numTensors;
  const order = [[0, 0, 0.1, true], [0, 1, 0.1, true], [1, 1, 0.1, true], [0, 0, 0.1, true], [0, 0, 0, false], [1, 0, null, true], [0, 0, 0.1, true]] as const;
  await checkConvBnActCalls(t, x, shift, residual, order.map(([f, sc, leak, res]) => [filters[f]!, scales[sc]!, leak, res] as const));
  const impl = kernelsOf(32, 16, 9).inference;
  t.is(impl?.includes('wino'), winogradHere(), `inference kernel ${impl}`);
  t.is(tf.memory().numTensors, before);
  tf.dispose([x, ...filters, ...scales, shift, residual]);
});

nativeTest('inference weight copies cached by content id go when their tensor is disposed, not while a view of it lives', async (t) => {
  await tf.setBackend('native');
  try {
    const total = () => { const b = nativeContentCacheBytes(); return b.weights + b.winogradFilters; };
    const x = t4([2, 9, 9, 32], 51);
    const shift = tn([16], 52) as tf.Tensor1D;
    const scale = tn([16], 53) as tf.Tensor1D;
    const run = (f: tf.Tensor4D) => tf.tidy(() => nativeConvBnAct(x, f, scale, shift, { strides: 1, pad: 'same', leak: 0 }).dataSync());
    const start = total();
    const filter = t4([3, 3, 32, 16], 54);
    run(filter);
    const held = total() - start;
    t.true(held >= 3 * 3 * 32 * 16 * 4, `a 32->16 filter's copies: ${held} bytes held`);
    run(filter);
    t.is(total() - start, held, 'the same filter again is served from the cache');
    const view = filter.reshape([3, 3, 32, 16]) as tf.Tensor4D;
    filter.dispose();
    t.is(total() - start, held, 'a reshape still shares the storage: kept');
    const expected = run(view);
    view.dispose();
    t.is(total(), start, 'storage disposed: its copies gone');
    const again = t4([3, 3, 32, 16], 54);
    t.deepEqual(run(again), expected, 'same contents in new storage: same result');
    again.dispose();
    t.is(total(), start);
    tf.dispose([x, shift, scale]);
  } finally {
    await tf.setBackend('cpu');
  }
});

nativeTest('nativeConvBnAct on small maps (blocked direct kernel, scale folded) with residual and leaky ReLU matches cpu and never runs oneDNN\'s reference kernel', async (t) => {
  const cases: Array<{ x: number[]; f: number[]; leak: number | null; residual: boolean }> = [
    { x: [3, 3, 3, 40], f: [3, 3, 40, 24], leak: 0.1, residual: true },
    { x: [3, 3, 3, 40], f: [3, 3, 40, 24], leak: 0, residual: true },
    { x: [2, 5, 5, 8], f: [3, 3, 8, 8], leak: 0.1, residual: false },
  ];
  for (const [i, c] of cases.entries()) {
    const label = `convBnAct x${c.x} f${c.f} leak ${c.leak} residual ${c.residual}`;
    await assertMatchesCpu(t, label, () => {
      const x = t4(c.x, 61 + i);
      const f = t4(c.f, 62 + i);
      const scale = tn([c.f[3]!], 63 + i) as tf.Tensor1D;
      const shift = tn([c.f[3]!], 64 + i) as tf.Tensor1D;
      const res = c.residual ? t4([c.x[0]!, c.x[1]!, c.x[2]!, c.f[3]!], 65 + i) : undefined;
      if (tf.getBackend() === 'native') return nativeConvBnAct(x, f, scale, shift, { strides: 1, pad: 'same', leak: c.leak, residual: res });
      let y = tf.conv2d(x, f, 1, 'same').mul(scale).add(shift);
      if (res) y = y.add(res);
      return c.leak === null ? y : tf.leakyRelu(y, c.leak);
    }, 2e-5);
  }
  const impls = nativeConvImplementations().filter((r) => r.kind === 'inference' && r.params[1]! <= 5).map((r) => r.implementation);
  t.true(impls.length >= 2, `primitives made: ${impls}`);
  for (const impl of impls) t.false(impl.startsWith('ref'), `kernel ${impl}`);
});

type ChainStageCase = { f: number[]; stride: number; pad: 'same' | 'valid' | number; leak: number | null };
interface ChainCase { x: number[]; stages: ChainStageCase[]; residual: boolean }

/** Chain case `c` with seeds from `seed`: nativeConvBnActChain on native, the stages as unfused ops on cpu. */
function runChainCase(c: ChainCase, seed: number): tf.Tensor {
  const x = t4(c.x, seed);
  const stages = c.stages.map((st, j) => ({
    filter: t4(st.f, seed + 1 + 10 * j), scale: tn([st.f[3]!], seed + 2 + 10 * j) as tf.Tensor1D, shift: tn([st.f[3]!], seed + 3 + 10 * j) as tf.Tensor1D,
    strides: st.stride, pad: st.pad, leak: st.leak,
  }));
  let shape = x.shape;
  for (const st of stages) shape = tf.conv2d(tf.zeros(shape) as tf.Tensor4D, st.filter, st.strides, st.pad).shape;
  const residual = c.residual ? t4(shape, seed + 4) : undefined;
  if (tf.getBackend() === 'native') return nativeConvBnActChain(x, stages, residual);
  let y: tf.Tensor4D = x;
  for (const [j, st] of stages.entries()) {
    y = tf.conv2d(y, st.filter, st.strides, st.pad).mul(st.scale).add(st.shift);
    if (j === stages.length - 1 && residual) y = y.add(residual);
    if (st.leak !== null) y = tf.leakyRelu(y, st.leak);
  }
  return y;
}

const chainLabel = (c: ChainCase) => `x${c.x} ${c.stages.map((st) => `f${st.f} s${st.stride} leak ${st.leak}`).join(' | ')} residual ${c.residual}`;

nativeTest('nativeConvBnActChain = the stages of unfused cpu ops one after another (Winograd, strided, small-map and 1-stage chains; leaky, ReLU, none; residual)', async (t) => {
  const cases: ChainCase[] = [
    { x: [2, 8, 8, 32], stages: [{ f: [3, 3, 32, 32], stride: 1, pad: 'same', leak: 0 }, { f: [3, 3, 32, 32], stride: 1, pad: 'same', leak: 0 }], residual: true },
    { x: [3, 6, 6, 16], stages: [{ f: [3, 3, 16, 32], stride: 1, pad: 'same', leak: 0.1 }, { f: [3, 3, 32, 32], stride: 1, pad: 'same', leak: 0.1 }, { f: [3, 3, 32, 32], stride: 1, pad: 'same', leak: null }], residual: true },
    { x: [2, 9, 9, 16], stages: [{ f: [3, 3, 16, 32], stride: 2, pad: 1, leak: 0 }, { f: [3, 3, 32, 32], stride: 1, pad: 'same', leak: 0 }], residual: true },
    { x: [2, 3, 3, 24], stages: [{ f: [3, 3, 24, 24], stride: 1, pad: 'same', leak: 0 }, { f: [1, 1, 24, 8], stride: 1, pad: 'valid', leak: 0.2 }], residual: false },
    { x: [2, 7, 7, 4], stages: [{ f: [3, 3, 4, 6], stride: 1, pad: 'valid', leak: 0 }], residual: true },
  ];
  for (const [i, c] of cases.entries()) await assertMatchesCpu(t, `chain ${chainLabel(c)}`, () => runChainCase(c, 71 + 10 * i), 2e-5);
  await tf.setBackend('native');
  t.throws(() => tf.tidy(() => nativeConvBnActChain(t4([1, 4, 4, 3], 1), [
    { filter: t4([3, 3, 3, 5], 2), scale: tn([5], 3) as tf.Tensor1D, shift: tn([5], 4) as tf.Tensor1D, strides: 1, pad: 'same', leak: 0 },
    { filter: t4([3, 3, 4, 5], 2), scale: tn([5], 3) as tf.Tensor1D, shift: tn([5], 4) as tf.Tensor1D, strides: 1, pad: 'same', leak: 0 },
  ])), { message: /do not fit/ }, 'a stage whose input channels differ from the previous output is refused');
  await tf.setBackend('cpu');
});

nativeTest('the fused Winograd kernel (16-256 channels) matches cpu: partial tiles, tile groups across images, odd output blocks, leaky/ReLU/none, residual, handoffs to and from oneDNN stages; off, oneDNN runs', async (t) => {
  const same = (ic: number, oc: number, leak: number | null): ChainStageCase => ({ f: [3, 3, ic, oc], stride: 1, pad: 'same', leak });
  const cases: ChainCase[] = [
    { x: [3, 9, 7, 16], stages: [same(16, 32, 0.1)], residual: true },
    { x: [2, 4, 4, 64], stages: [same(64, 48, 0)], residual: false },
    { x: [1, 13, 13, 32], stages: [same(32, 32, null)], residual: true },
    { x: [2, 10, 10, 16], stages: [{ f: [3, 3, 16, 32], stride: 2, pad: 1, leak: 0 }, same(32, 32, 0), same(32, 32, 0)], residual: true },
    { x: [2, 6, 5, 32], stages: [same(32, 16, 0.1), { f: [1, 1, 16, 24], stride: 1, pad: 'valid', leak: 0 }, same(24, 24, 0)], residual: false },
    { x: [2, 6, 6, 16], stages: [same(16, 64, 0), same(64, 16, 0), same(16, 16, 0)], residual: true },
  ];
  for (const on of [true, false]) {
    for (const [i, c] of cases.entries()) {
      await assertMatchesCpu(t, `fused Winograd ${on ? 'on' : 'off'}: ${chainLabel(c)}`, () => {
        if (tf.getBackend() === 'native') nativeFusedWinograd(on);
        return runChainCase(c, 81 + 10 * i);
      }, 2e-5);
    }
  }
  t.is(nativeFusedWinograd(true), winogradHere(), 'the kernel runs where the AVX-512 build is active');
  const fused = nativeConvImplementations().filter((r) => r.kind === 'inference' && r.implementation === 'jointshot:wino_4x3_fused').map((r) => `${r.params[1]}x${r.params[2]}x${r.params[3]}->${r.params[4]}`);
  if (winogradHere()) {
    for (const shape of ['9x7x16->32', '4x4x64->48', '13x13x32->32', '5x5x32->32', '6x5x32->16', '6x6x16->64', '6x6x64->16', '6x6x16->16']) t.true(fused.includes(shape), `${shape} ran the fused kernel (${fused})`);
    for (const shape of ['6x5x16->24', '6x5x24->24', '10x10x16->32']) t.false(fused.includes(shape), `${shape} (1x1, 24 channels, stride 2) runs oneDNN`);
  } else {
    t.deepEqual(fused, [], 'no AVX-512 build active: oneDNN runs every convolution');
  }
});

nativeTest('conv2d with dilation 2 (forward) matches cpu', async (t) => {
  await assertMatchesCpu(t, 'dilated conv', () => tf.conv2d(t4([2, 9, 8, 3], 1), t4([3, 3, 3, 4], 2), 1, 'same', 'NHWC', 2));
});

nativeTest('fused conv2d (bias per channel or full residual, relu / leaky relu) matches cpu; other activations fall back', async (t) => {
  const cases: Array<{ x: number[]; f: number[]; stride: number; pad: 'same' | 'valid' | number; bias: 'none' | 'channel' | 'full'; act: tf.fused.Activation; alpha?: number }> = [
    { x: [2, 7, 9, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same', bias: 'none', act: 'linear' },
    { x: [2, 7, 9, 3], f: [3, 3, 3, 5], stride: 1, pad: 'same', bias: 'channel', act: 'relu' },
    { x: [2, 9, 9, 16], f: [3, 3, 16, 12], stride: 1, pad: 'same', bias: 'full', act: 'leakyrelu', alpha: 0.1 },
    { x: [2, 8, 8, 4], f: [1, 1, 4, 6], stride: 1, pad: 'valid', bias: 'channel', act: 'leakyrelu', alpha: 0.2 },
    { x: [1, 9, 8, 4], f: [3, 3, 4, 3], stride: 2, pad: 1, bias: 'full', act: 'linear' },
  ];
  for (const [i, c] of cases.entries()) {
    const label = `fused conv2d x${c.x} f${c.f} s${c.stride} ${c.pad} bias ${c.bias} ${c.act}`;
    const calls = await countCalls(() => assertMatchesCpu(t, label, () => {
      const x = t4(c.x, 11 + i);
      const f = t4(c.f, 12 + i);
      const outShape = tf.conv2d(x, f, c.stride, c.pad).shape;
      const bias = c.bias === 'none' ? undefined : c.bias === 'channel' ? tn([c.f[3]!], 13 + i) : tn(outShape, 14 + i);
      return tf.fused.conv2d({ x, filter: f, strides: c.stride, pad: c.pad, bias, activation: c.act, leakyreluAlpha: c.alpha });
    }, 2e-5));
    t.true(calls.FusedConv2D!.native > 0, `${label} ran natively`);
  }
  const calls = await countCalls(() => assertMatchesCpu(t, 'fused conv2d elu', () =>
    tf.fused.conv2d({ x: t4([1, 5, 5, 2], 1), filter: t4([3, 3, 2, 2], 2), strides: 1, pad: 'same', activation: 'elu' })));
  t.true(calls.FusedConv2D!.fallback > 0, 'elu falls back to the cpu kernel');
});

nativeTest('nativeConvBnAct = act(conv * scale + shift + residual) of unfused cpu ops; a changed filter is never served from the reorder cache', async (t) => {
  const x = t4([2, 9, 9, 16], 21);
  const filters = [t4([3, 3, 16, 32], 22), t4([3, 3, 16, 32], 23)];
  const scale = tn([32], 24) as tf.Tensor1D;
  const shift = tn([32], 25) as tf.Tensor1D;
  const residual = t4([2, 9, 9, 32], 26);
  const before = tf.memory().numTensors;
  const order = [[0, 0.1, true], [1, 0.1, true], [0, 0.1, true], [0, 0.1, true], [0, null, false], [1, 0, false]] as const;
  await checkConvBnActCalls(t, x, shift, residual, order.map(([f, leak, res]) => [filters[f]!, scale, leak, res] as const));
  t.is(tf.memory().numTensors, before);
  tf.dispose([x, ...filters, scale, shift, residual]);
});

nativeTest('max and average pooling with gradients match cpu (valid/same, odd sizes, stride 1 and 2)', async (t) => {
  const cases: Array<[number[], number, number, 'same' | 'valid']> = [
    [[2, 8, 8, 3], 2, 2, 'valid'],
    [[2, 7, 9, 3], 2, 2, 'valid'],
    [[2, 7, 9, 3], 3, 2, 'same'],
    [[1, 6, 5, 4], 3, 1, 'same'],
    [[3, 5, 5, 2], 5, 1, 'valid'],
    [[3, 6, 6, 5], 6, 1, 'valid'], // one window per image
  ];
  for (const [shape, size, stride, pad] of cases) {
    const label = `pool ${shape} ${size}x${size} s${stride} ${pad}`;
    await assertMatchesCpu(t, label, () => {
      const x = t4(shape, 4);
      const mp = tf.maxPool(x, size, stride, pad);
      const ap = tf.avgPool(x, size, stride, pad);
      const r = tn(mp.shape, 5);
      const dmax = tf.grad((a) => tf.maxPool(a as tf.Tensor4D, size, stride, pad).mul(r).sum())(x);
      const davg = tf.grad((a) => tf.avgPool(a as tf.Tensor4D, size, stride, pad).mul(r).sum())(x);
      return [mp, ap, dmax, davg];
    });
  }
});

nativeTest('full-image average pooling (batch-norm statistics) matches cpu', async (t) => {
  await assertMatchesCpu(t, 'whole-image avgPool', () => {
    const x = t4([5, 7, 6, 33], 41);
    return [tf.avgPool(x, [7, 6], 1, 'valid'), tf.avgPool(t4([80, 32, 32, 8], 42), [32, 32], 1, 'valid')];
  });
});

nativeTest('batch matmul matches cpu: transposes, shared operand, 2-D, uncovered broadcast (fallback)', async (t) => {
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[3, 4, 5], [3, 5, 6], false, false],
    [[3, 5, 4], [3, 5, 6], true, false],
    [[3, 4, 5], [3, 6, 5], false, true],
    [[3, 5, 4], [3, 6, 5], true, true],
    [[1, 4, 5], [3, 5, 6], false, false],
    [[2, 3, 4, 5], [5, 6], false, false],
    [[7, 33], [33, 17], false, false],
    [[2, 1, 4, 5], [1, 3, 5, 6], false, false],
  ];
  for (const [as, bs, ta, tb] of cases) {
    const label = `matmul ${as} x ${bs} ${ta} ${tb}`;
    await assertMatchesCpu(t, label, () => {
      const a = tn(as, 6);
      const b = tn(bs, 7);
      const y = tf.matMul(a, b, ta, tb);
      // tfjs's BatchMatMul gradient does not reduce broadcast batch dimensions: forward only there.
      if (as.length !== bs.length || as[0] !== bs[0]) return y;
      const [da, db] = tf.grads((x, z) => tf.matMul(x!, z!, ta, tb).square().sum())([a, b]);
      return [y, da!, db!];
    });
  }
});

nativeTest('element-wise arithmetic and comparisons match cpu for every broadcast form', async (t) => {
  const pairs: Array<[number[], number[]]> = [
    [[2, 3, 4, 5], [2, 3, 4, 5]],
    [[2, 3, 4, 5], [5]],
    [[2, 3, 4, 5], [1, 1, 4, 5]],
    [[5], [2, 3, 4, 5]],
    [[2, 3, 4, 5], []],
    [[], [3, 4]],
    [[2, 3, 4, 5], [2, 1, 1, 5]],
    [[2, 1, 5], [2, 4, 5]],
    [[2, 3, 1, 1], [2, 3, 4, 5]], // one value per run of 20
    [[32, 8, 8, 16], [32, 1, 1, 16]], // global-average-pool gradient, both threads
    [[32, 1, 1, 1], [32, 8, 8, 16]],
    [[2, 1, 4, 5], [2, 1, 1, 5]], // a size-1 output axis inside the run
    [[1, 3, 1, 5], [2, 3, 4, 5]], // two runs: cpu fallback
    [[2, 1], [1, 3]], // both operands repeat: cpu fallback
  ];
  for (const [as, bs] of pairs) {
    const label = `binary ${JSON.stringify(as)} ${JSON.stringify(bs)}`;
    await assertMatchesCpu(t, label, () => {
      const a = tn(as, 8);
      const b = tn(bs, 9).add(1.5); // away from 0 for division
      const ties = tn(bs, 8); // equal entries exist where the shapes line up
      return [
        a.add(b), a.sub(b), a.mul(b), a.div(b), tf.maximum(a, b), tf.minimum(a, b), tf.squaredDifference(a, b),
        tf.equal(a, ties), tf.notEqual(a, ties), tf.greater(a, b), tf.greaterEqual(a, ties), tf.less(a, b), tf.lessEqual(a, ties),
      ];
    });
  }
});

nativeTest('binary ops repeat an operand along one run of axes natively, and only there', async (t) => {
  const calls = await countCalls(() => assertMatchesCpu(t, 'runs', () => [
    tn([2, 3, 4, 5], 30).mul(tn([2, 1, 1, 5], 31)),
    tn([6, 1], 32).sub(tn([6, 6000], 33)), // on both threads
  ]));
  t.deepEqual(calls.Multiply, { native: 1, fallback: 0 });
  t.deepEqual(calls.Sub, { native: 1, fallback: 0 });
  const fallback = await countCalls(() => assertMatchesCpu(t, 'two runs', () => tn([1, 3, 1, 5], 34).add(tn([2, 3, 4, 5], 35))));
  t.deepEqual(fallback.Add, { native: 0, fallback: 1 });
});

// Same-shape operands (mode 0) ignore period and group: 0 there once divided by zero (SIGFPE).
nativeTest('the addon\'s same-shape binary and compare take any period and group', (t) => {
  const addon = loadNativeAddon().addon!;
  const a = Float32Array.from([1, 2, 3]), b = Float32Array.from([4, 0, 3]);
  const sum = new Float32Array(3), equal = new Uint8Array(3);
  addon.binary(0, a, b, sum, 0, 0, 0);
  addon.compare(0, a, b, equal, 0, 0, 0);
  t.deepEqual([...sum], [5, 2, 6]);
  t.deepEqual([...equal], [0, 0, 1]);
  t.throws(() => addon.binary(0, a, b, sum, 1, 0, 0), { message: /broadcast sizes do not fit/ });
});

nativeTest('unary ops, activations and their gradients match cpu (NaN, 0 and negatives included)', async (t) => {
  // 33000 + 5 entries: the addon's loops run on both threads (and a vectorised body) here.
  for (const n of [300, 33000]) await assertMatchesCpu(t, `unary ${n}`, () => {
    const x = tf.concat([tn([n], 10), tf.tensor1d([0, -0, NaN, -3, 3])]);
    const positive = x.abs().add(0.1);
    const leaky = (v: tf.Tensor) => tf.leakyRelu(v, 0.1);
    return [
      tf.relu(x), leaky(x), tf.step(x, 0.3), x.square(), x.neg(), positive.rsqrt(), positive.sqrt(), x.exp(), x.abs(),
      positive.log(), x.sign(), x.mul(2.5).floor(), tf.grad((v) => tf.relu(v).sum())(x), tf.grad((v) => leaky(v).mul(v).sum())(x),
    ];
  });
});

nativeTest('select, casts, batch norm, addN and nearest upsampling match cpu (with fallbacks)', async (t) => {
  await assertMatchesCpu(t, 'misc', () => {
    const x = t4([2, 3, 4, 5], 11);
    const y = t4([2, 3, 4, 5], 12);
    const cond = tf.greater(x, y);
    const c = (s: number) => tn([5], s);
    const variance = c(13).abs().add(0.5) as tf.Tensor1D;
    return [
      tf.where(cond, x, y),
      tf.where(tf.greater(tn([5], 17), 0), x, y), // broadcast condition: cpu fallback
      cond.cast('float32'),
      x.cast('int32'), // float32 -> int32: cpu fallback
      tf.batchNorm4d(x, c(14) as tf.Tensor1D, variance, c(15) as tf.Tensor1D, c(16) as tf.Tensor1D, 1e-3),
      tf.batchNorm4d(x, c(14) as tf.Tensor1D, variance),
      tf.batchNorm4d(x, tf.tensor1d([0.2]), tf.tensor1d([1.3]), undefined, undefined, 1e-5),
      tf.addN([x, y, x]),
      tf.image.resizeNearestNeighbor(x, [6, 8]),
      tf.image.resizeNearestNeighbor(x, [9, 12]),
      tf.image.resizeNearestNeighbor(x, [5, 7]), // not a whole factor: cpu fallback
      tf.image.resizeNearestNeighbor(x, [6, 8], true), // align corners: cpu fallback
    ];
  });
});

nativeTest('casts between float32, int32 and bool match cpu and run natively (float32 -> int32 aside)', async (t) => {
  const calls = await countCalls(() => assertMatchesCpu(t, 'casts', () => {
    const x = tf.concat([tn([40000], 36).mul(3), tf.tensor1d([0, -0, NaN, 0.5, -2.5])]);
    const i = x.cast('int32');
    const b = tf.greater(x, 0);
    return [
      x.cast('float32'), i.cast('float32'), b.cast('float32'), x.cast('bool'), i.cast('bool'), b.cast('int32'),
      b.cast('int32').add(i), i.cast('int32').cast('float32').mul(x), b.cast('bool').cast('float32'),
      tf.tensor1d([3, -1, 0], 'int32').cast('float32'), tf.tensor1d([2, 0, -0, NaN]).cast('bool'),
    ];
  }));
  t.deepEqual(calls.Cast, { native: 13, fallback: 1 }, 'only float32 -> int32 falls back');
  await tf.setBackend('native');
  try {
    const source = tf.tensor1d([1, 2, 3], 'int32');
    const cast = source.cast('float32');
    t.true(tf.backend().readSync(cast.dataId) instanceof Float32Array, 'int32 -> float32 stores float32');
    const copy = cast.cast('float32');
    cast.dispose();
    t.deepEqual(Array.from(copy.dataSync()), [1, 2, 3], 'a same-type cast shares data that outlives its source');
    tf.dispose([source, copy]);
  } finally {
    await tf.setBackend('cpu');
  }
});

nativeTest('the heavy kernels of a training step run natively (no silent cpu fallback)', async (t) => {
  const calls = await countCalls(() => assertMatchesCpu(t, 'mix', () => {
    const x = t4([2, 8, 8, 3], 20);
    const f = t4([3, 3, 3, 4], 21);
    const g = tf.grad((v) => {
      const y = tf.conv2d(v as tf.Tensor4D, f, 1, 'same');
      const p = tf.tensor1d([0.1, 0.2, 0.3, 0.4]);
      const n = tf.batchNorm4d(y, p, p.add(1), p, p.sub(1));
      return tf.maxPool(tf.leakyRelu(n, 0.1).mul(n).sub(tf.tensor1d([1, 2, 3, 4])) as tf.Tensor4D, 2, 2, 'valid').sum();
    })(x);
    return [g, tf.image.resizeNearestNeighbor(x, [16, 16]), tf.where(tf.equal(x, x), x, x)];
  }));
  for (const name of ['Conv2D', 'Conv2DBackpropInput', 'FusedBatchNorm', 'MaxPool', 'MaxPoolGrad', 'LeakyRelu', 'Greater', 'Select', 'Multiply', 'Sub', 'ResizeNearestNeighbor', 'Equal']) {
    t.true((calls[name]?.native ?? 0) > 0, `${name} ran natively`);
    t.is(calls[name]?.fallback ?? 0, 0, `${name} never fell back`);
  }
});

nativeTest('recycled output buffers: dataSync copies and slice views survive disposal and reuse', async (t) => {
  await tf.setBackend('native');
  try {
    const before = tf.memory().numTensors;
    const source = tf.tensor1d(seededValues(20000, 40));
    const x = tf.relu(source); // a recycled (addon) buffer
    const read = x.dataSync();
    const expected = Array.from(read.slice(0, 100));
    const view = x.slice([0], [100]); // the cpu backend's Slice: a subarray of x's buffer
    x.dispose();
    for (let i = 0; i < 3; i++) tf.neg(source).dispose(); // same size: reuses released buffers
    t.deepEqual(Array.from(read.slice(0, 100)), expected, 'dataSync result unchanged');
    const y = tf.neg(source);
    t.deepEqual(Array.from(view.dataSync()), expected, 'slice view still holds its values');
    tf.dispose([view, y, source]);
    t.is(tf.memory().numTensors, before);
  } finally {
    await tf.setBackend('cpu');
  }
});

nativeTest('slice and pad (strided copies) match cpu, including contiguous slices left to cpu', async (t) => {
  const calls = await countCalls(() => assertMatchesCpu(t, 'slice/pad', () => {
    const x = t4([3, 7, 5, 4], 50);
    return [
      x.slice([0, 0, 0, 0], [3, 6, 4, 4]),
      x.slice([1, 2, 1, 1], [2, 3, 3, 2]),
      x.slice([1, 0, 0, 0], [1, -1, -1, -1]), // contiguous: the cpu kernel's view
      tn([5, 6], 51).slice([1, 2], [3, 3]),
      x.pad([[0, 0], [0, 1], [0, 1], [0, 0]]),
      x.pad([[1, 2], [0, 0], [3, 0], [1, 1]], 2.5),
      tf.grad((v) => v.slice([0, 1, 1, 0], [3, 4, 3, 4]).square().sum())(x),
    ];
  }));
  t.true(calls.Slice!.native > 0 && calls.Slice!.fallback > 0 && calls.PadV2!.native > 0);
});

nativeTest('sum and mean over leading, trailing and middle runs of axes match cpu, gradients included', async (t) => {
  const calls = await countCalls(() => assertMatchesCpu(t, 'reduce', () => {
    const x = t4([4, 3, 5, 6], 70);
    const pooled = t4([64, 8, 8, 16], 71); // a global average pool on both threads
    return [
      x.sum(), x.mean(), x.sum(0), x.mean([0, 1, 2]), x.mean(3), x.sum([2, 3], true), x.mean([0, 1], true),
      x.mean([1, 2]), x.sum([1, 2], true), pooled.mean([1, 2]), t4([4, 5, 1, 6], 72).mean([1, 3]),
      tn([3, 20000], 73).sum(1), tn([20000, 3], 74).mean(0), tn([5000, 16], 75).sum(0), tn([40000], 76).sum(),
      tn([2, 0, 3], 77).mean(1), tn([2, 0, 3], 77).sum(1), // empty: 0, as the cpu kernels give
      x.sum([1, 3]), // two runs: cpu fallback
      tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32').sum(0), // int32: cpu fallback
      tf.grad((v) => v.mean([0, 1, 2]).square().sum())(x),
      tf.grad((v) => v.mean([1, 2]).square().sum())(pooled),
      tf.grad((v) => v.sum([1, 2]).mul(tn([4, 6], 78)).sum())(x),
    ];
  }));
  t.is(calls.Mean!.fallback, 0);
  t.is(calls.Sum!.fallback, 2);
  t.true(calls.Mean!.native > 0 && calls.Sum!.native > 0);
});
