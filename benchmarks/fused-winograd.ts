/**
 * The addon's fused Winograd inference kernel against oneDNN's kernel (Winograd or direct, as the
 * addon picks without it), per convolution shape, interleaved call by call in one process: one
 * nativeConvBnAct (3x3, stride 1, same padding, folded batch norm, ReLU, optional residual).
 * Not a test.
 * Usage: npx tsx benchmarks/fused-winograd.ts [--shapes 80x32x32x16,80x16x16x32] [--residual]
 *   [--reps 20] [--threads 2]
 */
import { parseArgs } from 'node:util';
import { nativeConvBnAct, nativeFusedWinograd, nativeConvImplementations, registerNativeBackend, NATIVE_BACKEND } from '../src/backend/native/index.js';
import { tf } from '../src/tf.js';
import { createRng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: '80x32x32x16,80x16x16x32,80x8x8x64,80x32x32x64,80x84x84x16,80x42x42x32,80x21x21x64,16x84x84x64' },
    residual: { type: 'boolean', default: false },
    reps: { type: 'string', default: '20' },
    threads: { type: 'string', default: '2' },
  },
});

const probe = registerNativeBackend(Number(values.threads));
if (!probe.available) throw new Error(`native backend unavailable: ${probe.detail}`);
await tf.setBackend(NATIVE_BACKEND);
if (!nativeFusedWinograd()) throw new Error('the fused Winograd kernel does not run on this CPU (AVX-512 needed)');
const rng = createRng(1);
const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1), shape);

/** Wall and process CPU ms of `body`. */
function timed(body: () => void): [number, number] {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  body();
  const c = process.cpuUsage(c0);
  return [performance.now() - t0, (c.user + c.system) / 1000];
}

console.log(`| N x H x W x C | oneDNN ms wall (CPU) | fused ms wall (CPU) | fused / oneDNN wall (CPU) | oneDNN kernel |`);
console.log('|---|---|---|---|---|');
for (const spec of values.shapes!.split(',')) {
  const [n, h, w, c] = spec.split('x').map(Number) as [number, number, number, number];
  const x = rand([n, h, w, c]) as tf.Tensor4D;
  const f = rand([3, 3, c, c]).mul(0.2) as tf.Tensor4D;
  const scale = rand([c]) as tf.Tensor1D;
  const shift = rand([c]) as tf.Tensor1D;
  const residual = values.residual ? (rand([n, h, w, c]) as tf.Tensor4D) : undefined;
  const run = () => nativeConvBnAct(x, f, scale, shift, { strides: 1, pad: 'same', leak: 0, residual }).dispose();
  const sums = [[0, 0], [0, 0]];
  for (let r = -2; r < Number(values.reps); r++) {
    for (const on of [false, true]) {
      nativeFusedWinograd(on);
      const [ms, cpu] = timed(run);
      if (r >= 0) { sums[Number(on)]![0]! += ms; sums[Number(on)]![1]! += cpu; }
    }
  }
  const reps = Number(values.reps);
  const [off, on] = sums.map(([ms, cpu]) => [ms! / reps, cpu! / reps]) as [[number, number], [number, number]];
  const impl = nativeConvImplementations().find((r) => r.kind === 'inference' && !r.implementation.startsWith('jointshot') && r.params[0] === n && r.params[1] === h && r.params[3] === c)?.implementation ?? '?';
  console.log(`| ${spec} | ${off[0].toFixed(2)} (${off[1].toFixed(2)}) | ${on[0].toFixed(2)} (${on[1].toFixed(2)}) | ${(on[0] / off[0]).toFixed(2)} (${(on[1] / off[1]).toFixed(2)}) | ${impl} |`);
  tf.dispose([x, f, scale, shift, ...(residual ? [residual] : [])]);
}
