/**
 * The native addon's training batch-norm calls alone, per shape: forward (statistics + normalise,
 * with ReLU, with residual + ReLU) and backward (sums + dx, with the ReLU mask, with the residual's
 * gradient), median ms of 15 calls after 3, 2 threads, and the rate over the arrays each call reads
 * and writes. For before/after comparisons point JOINTSHOT_NATIVE_ADDON at another build.
 *
 * Usage: npx tsx benchmarks/batchnorm-kernels.ts [--shapes 81920x16,20480x32,5120x64,524288x16] [--calls 15]
 * (rows x channels: batch x height x width rows; 81920x16 is ResNet-20's first stage at batch 80.)
 */
import { parseArgs } from 'node:util';
import { loadNativeAddon } from '../src/backend/native/index.js';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: '81920x16,20480x32,5120x64,524288x16' },
    calls: { type: 'string', default: '15' },
  },
});
const load = loadNativeAddon();
if (!load.addon) {
  console.error(`native addon: ${load.reason}`);
  process.exit(1);
}
const addon = load.addon;
addon.setThreads(2);
const calls = Number(values.calls);

function seeded(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let q = seed >>> 0;
  for (let i = 0; i < n; i++) {
    q = (Math.imul(q, 1103515245) + 12345) >>> 0;
    v[i] = q / 2 ** 32 - 0.45;
  }
  return v;
}

function medianMs(f: () => void): number {
  for (let i = 0; i < 3; i++) f();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

console.log(`addon ${load.path}`);
for (const shape of values.shapes!.split(',')) {
  const [rows, c] = shape.split('x').map(Number) as [number, number];
  const n = rows * c;
  const [x, dy, residual] = [seeded(n, 1), seeded(n, 2), seeded(n, 3)];
  const [y, dx, dresidual] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
  const gamma = seeded(c, 4).map((v) => v + 1);
  const [beta, mean, variance, dgamma, dbeta] = [seeded(c, 5), new Float32Array(c), new Float32Array(c), new Float32Array(c), new Float32Array(c)];
  // [name, arrays of n floats read and written per call, call]
  const cases: Array<[string, number, () => void]> = [
    ['forward', 3, () => addon.batchNormTrainForward(x, gamma, beta, y, mean, variance, c, 1e-5)],
    ['forward relu', 3, () => addon.batchNormTrainForward(x, gamma, beta, y, mean, variance, c, 1e-5, null, 1, 0)],
    ['forward residual relu', 4, () => addon.batchNormTrainForward(x, gamma, beta, y, mean, variance, c, 1e-5, residual, 1, 0)],
    ['backward', 5, () => addon.batchNormTrainBackward(x, dy, gamma, mean, variance, dx, dgamma, dbeta, c, 1e-5)],
    ['backward relu', 7, () => addon.batchNormTrainBackward(x, dy, gamma, mean, variance, dx, dgamma, dbeta, c, 1e-5, y, 1, 0, null)],
    ['backward relu dresidual', 8, () => addon.batchNormTrainBackward(x, dy, gamma, mean, variance, dx, dgamma, dbeta, c, 1e-5, y, 1, 0, dresidual)],
  ];
  const cells = cases.map(([name, arrays, call]) => {
    const ms = medianMs(call);
    return `${name} ${ms.toFixed(3)} ms (${((arrays * n * 4) / 1e6 / ms).toFixed(0)} GB/s)`;
  });
  console.log(`${rows}x${c}: ${cells.join(' | ')}`);
}
