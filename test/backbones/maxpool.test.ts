import test from 'ava';
import { tf } from '../../src/tf.js';
import { withNoLeaks } from '../helpers/tf.js';
import { maxPool2x2 } from '../../src/backbones/maxpool.js';
import { setupWasm } from '../../src/backend/wasm/setup.js';
import { NATIVE_BACKEND, registerNativeBackend } from '../../src/backend/native/index.js';

// The max-pool gradient on tied maxima, on every backend this machine has: the whole upstream
// gradient goes to the first maximum of each window in row-major order, as PyTorch's CPU kernel.

const native = registerNativeBackend(1);
if (!native.available) console.warn(`max-pool tests skip native: ${native.detail}`);
const BACKENDS = ['cpu', 'wasm', ...(native.available ? [NATIVE_BACKEND] : [])];

test.before(async () => {
  await setupWasm({ threads: 1 });
});

test.after.always(async () => {
  await tf.setBackend('cpu');
});

/** x[n, i, j, c] = (3 i + 5 j + 7 c + 11 n) mod 3, as test/fixtures/backbones/maxpool_ties.py. */
function tiedInput([n, h, w, c]: number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < n; b++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) out.push((3 * i + 5 * j + 7 * k + 11 * b) % 3);
  return out;
}

/** dy[n, i, j, c] = 1 + (i + 2 j + 3 c + 5 n) mod 7, as the script. */
function upstream([n, h, w, c]: number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < n; b++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) out.push(1 + ((i + 2 * j + 3 * k + 5 * b) % 7));
  return out;
}

interface TorchCase {
  /** kernel, stride, padding of F.max_pool2d. */
  pool: [number, number, number];
  shape: [number, number, number, number];
  x: number[] | null;
  dx: number[];
}

// Recorded with torch 1.13 (CPU; contiguous and channels_last agree) by
// `/usr/bin/python3 test/fixtures/backbones/maxpool_ties.py`; NHWC. x null: the tiedInput formula.
const TORCH: Record<string, TorchCase> = {
  // Windows: all four equal, an anti-diagonal pair, a three-way tie, all zero.
  windows: {
    pool: [2, 2, 0],
    shape: [1, 4, 4, 1],
    x: [1, 1, 0, 2, 1, 1, 2, 0, 3, 0, 0, 0, 3, 3, 0, 0],
    dx: [1, 0, 0, 3, 0, 0, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0],
  },
  // One window per pair of tied positions: top, diagonal, left column, right column, anti-diagonal, bottom.
  pairs: {
    pool: [2, 2, 0],
    shape: [1, 2, 12, 1],
    x: [1, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1],
    dx: [1, 0, 3, 0, 5, 0, 0, 7, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0],
  },
  // Odd sides: the last row and column get nothing.
  formula: {
    pool: [2, 2, 0],
    shape: [2, 5, 7, 3],
    x: null,
    dx: [
      0, 4, 7, 1, 0, 0, 3, 6, 0, 0, 0, 2, 5, 0, 4, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 0, 0, 4, 7, 0, 0, 0, 3, 6, 0, 5, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 5, 0, 2, 0, 0, 4, 7, 1, 0, 0, 3, 6, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 7, 0, 6, 0, 3, 0, 0, 5, 1, 2, 0, 0, 4, 7, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ],
  },
  // ResNet-18's stem pooling (3x3, stride 2, padding 1): overlapping windows accumulate.
  stem: {
    pool: [3, 2, 1],
    shape: [1, 6, 5, 2],
    x: null,
    dx: [
      0, 4, 4, 0, 0, 6, 0, 1, 5, 0, 0, 5, 6, 0, 0, 7, 0, 2, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 6, 8, 0, 0, 1, 0, 3, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ],
  },
};

/** The gradient of sum(pool(x) * dy) with respect to x, as a plain array. */
function poolGrad(pool: (x: tf.Tensor4D) => tf.Tensor4D, x: tf.Tensor4D, dy: tf.Tensor4D): number[] {
  return tf.tidy(() => Array.from(tf.grad((a) => pool(a as tf.Tensor4D).mul(dy).sum())(x).dataSync()));
}

/** First-maximum max-pool gradient in plain JS (2x2, stride 2, VALID) over NHWC arrays. */
function firstMaxGrad(x: Float32Array, dy: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const dx = new Float32Array(x.length);
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let k = 0; k < c; k++) {
          let at = -1;
          for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
            const p = ((b * h + 2 * i + di) * w + 2 * j + dj) * c + k;
            if (at < 0 || x[p]! > x[at]!) at = p;
          }
          dx[at] = dy[((b * oh + i) * ow + j) * c + k]!;
        }
  return dx;
}

for (const backend of BACKENDS) {
  test.serial(`${backend}: tied maxima give the whole gradient to the first maximum, equal to recorded PyTorch values`, async (t) => {
    await tf.setBackend(backend);
    await withNoLeaks(t, () => {
      for (const [name, c] of Object.entries(TORCH)) {
        const [kernel, stride, pad] = c.pool;
        const pool = (a: tf.Tensor4D) => (kernel === 2 && pad === 0 ? maxPool2x2(a) : tf.maxPool(a, kernel, stride, pad));
        tf.tidy(() => {
          const x = tf.tensor4d(c.x ?? tiedInput(c.shape), c.shape);
          const outShape = pool(x).shape;
          const dy = tf.tensor4d(upstream(outShape), outShape);
          t.deepEqual(poolGrad(pool, x, dy), c.dx, `${backend} ${name}`);
        });
      }
    });
  });

  test.serial(`${backend}: maxPool2x2 on a large tie-heavy map (odd sides, 32 channels) equals a first-maximum reference`, async (t) => {
    await tf.setBackend(backend);
    await withNoLeaks(t, () => {
      const shape = [3, 9, 11, 32];
      tf.tidy(() => {
        // Values in {0, 1, 2} (about 3 in 4 windows tie), then ReLU-like zero runs.
        const x = tf.tensor4d(tiedInput(shape).map((v, i) => (i % 13 < 4 ? 0 : v)), shape as [number, number, number, number]);
        const y = maxPool2x2(x);
        t.deepEqual(y.shape, [3, 4, 5, 32]);
        t.deepEqual(Array.from(y.dataSync()), Array.from(tf.maxPool(x, 2, 2, 'valid').dataSync()));
        const dy = tf.tensor4d(upstream(y.shape), y.shape);
        const expected = firstMaxGrad(x.dataSync() as Float32Array, dy.dataSync() as Float32Array, shape);
        t.deepEqual(poolGrad(maxPool2x2, x, dy), Array.from(expected));
      });
    });
  });
}
