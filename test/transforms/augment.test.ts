import test from 'ava';
import { UsageError } from '../../src/errors.js';
import {
  type AugmentationDraw,
  type AugmentationOptions,
  NO_AUGMENTATION,
  applyAugmentation,
  augmentImages,
  drawAugmentation,
  recipeAugmentation,
} from '../../src/transforms/index.js';
import { createRng } from '../../src/util/rng.js';

const shape8 = { height: 8, width: 8, channels: 3 };

/** Deterministic test images: pixel values from a small LCG, no RNG involved. */
function makeImages(n: number, size: number, start = 7): Uint8Array[] {
  let s = start;
  return Array.from({ length: n }, () =>
    Uint8Array.from({ length: size }, () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return Math.floor(s / 65536) % 256;
    }),
  );
}

const still: AugmentationDraw = { top: 0, left: 0, order: [0, 1, 2], brightness: 1, contrast: 1, saturation: 1, flip: false };

function close(t: import('ava').ExecutionContext, got: ArrayLike<number>, want: number[], tol = 1e-3): void {
  t.is(got.length, want.length);
  want.forEach((w, i) => t.true(Math.abs(got[i]! - w) <= tol, `index ${i}: got ${got[i]}, want ${w}`));
}

test('recipe: padding 4 on 32x32 and 8 on 84x84, jitter 0.4, flip on', (t) => {
  t.is(recipeAugmentation(32).cropPadding, 4);
  t.is(recipeAugmentation(84).cropPadding, 8);
  t.is(recipeAugmentation(64).cropPadding, 8);
  t.deepEqual(recipeAugmentation(32).colorJitter, { brightness: 0.4, contrast: 0.4, saturation: 0.4 });
  t.true(recipeAugmentation(32).horizontalFlip);
});

test('same seed gives identical output, a different seed a different one; shape and range hold', (t) => {
  const images = makeImages(6, 8 * 8 * 3);
  const options = recipeAugmentation(32);
  const a = augmentImages(createRng(1), images, shape8, options);
  const b = augmentImages(createRng(1), images, shape8, options);
  const c = augmentImages(createRng(2), images, shape8, options);
  t.is(a.length, 6 * 8 * 8 * 3);
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
  t.true(a.every((v) => Number.isFinite(v) && v >= 0 && v <= 255));
});

test('pinned output for a fixed seed (same numbers on every machine)', (t) => {
  const images = makeImages(2, 8 * 8 * 3);
  const options = recipeAugmentation(32);
  const rng = createRng('golden');
  const draws = [drawAugmentation(rng, options), drawAugmentation(rng, options)];
  t.like(draws, [
    { top: 3, left: 7, order: [0, 2, 1], flip: false, brightness: 0.7351143701367179 },
    { top: 3, left: 7, order: [1, 0, 2], flip: false, saturation: 1.1998680934055541 },
  ]);
  const out = augmentImages(createRng('golden'), images, shape8, options);
  t.is(out.reduce((sum, v) => sum + v, 0), 21270.01649236679);
  t.deepEqual(Array.from(out.subarray(192 + 3 * 24, 192 + 3 * 24 + 6)), [
    22.37453269958496, 161.5419464111328, 245.54385375976562, 85.60619354248047, 239.81869506835938, 37.96330261230469,
  ]);
});

test('no augmentation copies pixels exactly', (t) => {
  const images = makeImages(3, 8 * 8 * 3);
  const out = augmentImages(createRng(5), images, shape8, NO_AUGMENTATION);
  t.deepEqual(Array.from(out), images.flatMap((img) => Array.from(img)));
});

test('crop reads the zero-padded image at (top, left); flip mirrors columns', (t) => {
  const shape = { height: 2, width: 3, channels: 1 };
  const img = Uint8Array.from([1, 2, 3, 4, 5, 6]);
  const opts: AugmentationOptions = { cropPadding: 1, horizontalFlip: true };
  const out = new Float32Array(6);
  applyAugmentation(img, shape, opts, { ...still, top: 0, left: 0 }, out);
  t.deepEqual(Array.from(out), [0, 0, 0, 0, 1, 2]);
  applyAugmentation(img, shape, opts, { ...still, top: 2, left: 1 }, out);
  t.deepEqual(Array.from(out), [4, 5, 6, 0, 0, 0]);
  applyAugmentation(img, shape, opts, { ...still, top: 1, left: 1 }, out);
  t.deepEqual(Array.from(out), [1, 2, 3, 4, 5, 6]);
  applyAugmentation(img, shape, opts, { ...still, top: 1, left: 1, flip: true }, out);
  t.deepEqual(Array.from(out), [3, 2, 1, 6, 5, 4]);
  applyAugmentation(img, shape, opts, { ...still, top: 1, left: 2, flip: true }, out);
  t.deepEqual(Array.from(out), [0, 3, 2, 0, 6, 5], 'crop then flip');
});

test('crop and flip agree with a per-pixel reference for every offset', (t) => {
  const shape = { height: 5, width: 4, channels: 2 };
  const [img] = makeImages(1, 5 * 4 * 2);
  const pad = 3;
  const out = new Float32Array(40);
  for (let top = 0; top <= 2 * pad; top++) {
    for (let left = 0; left <= 2 * pad; left++) {
      for (const flip of [false, true]) {
        applyAugmentation(img!, shape, { cropPadding: pad, horizontalFlip: true }, { ...still, top, left, flip }, out);
        const ref: number[] = [];
        for (let y = 0; y < 5; y++) {
          for (let x = 0; x < 4; x++) {
            const sy = y + top - pad;
            const sx = (flip ? 3 - x : x) + left - pad;
            for (let k = 0; k < 2; k++) ref.push(sy >= 0 && sy < 5 && sx >= 0 && sx < 4 ? img![(sy * 4 + sx) * 2 + k]! : 0);
          }
        }
        t.deepEqual(Array.from(out), ref, `top=${top} left=${left} flip=${flip}`);
      }
    }
  }
});

test('colour jitter matches a hand computation (brightness, contrast, saturation, order)', (t) => {
  const shape = { height: 1, width: 2, channels: 3 };
  const img = Uint8Array.from([100, 50, 200, 0, 255, 10]);
  const opts: AugmentationOptions = { cropPadding: 0, horizontalFlip: false, colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4 } };
  const out = new Float32Array(6);
  applyAugmentation(img, shape, opts, { ...still, brightness: 1.2 }, out);
  close(t, out, [120, 60, 240, 0, 255, 12]);
  // luma: 0.299*100 + 0.587*50 + 0.114*200 = 82.05 and 0.587*255 + 0.114*10 = 150.825; mean 116.4375
  applyAugmentation(img, shape, opts, { ...still, contrast: 0.5 }, out);
  close(t, out, [108.21875, 83.21875, 158.21875, 58.21875, 185.71875, 63.21875]);
  applyAugmentation(img, shape, opts, { ...still, saturation: 0 }, out);
  close(t, out, [82.05, 82.05, 82.05, 150.825, 150.825, 150.825]);
  applyAugmentation(img, shape, opts, { ...still, saturation: 1.5 }, out);
  close(t, out, [108.975, 33.975, 255, 0, 255, 0]);
  // order matters: saturation 0 then brightness 2 vs brightness 2 (clamped) then saturation 0
  applyAugmentation(img, shape, opts, { ...still, order: [2, 0, 1], saturation: 0, brightness: 2 }, out);
  close(t, out, [164.1, 164.1, 164.1, 255, 255, 255]);
  applyAugmentation(img, shape, opts, { ...still, order: [0, 2, 1], saturation: 0, brightness: 2 }, out);
  const l1 = 0.299 * 200 + 0.587 * 100 + 0.114 * 255;
  const l2 = 0.587 * 255 + 0.114 * 20;
  close(t, out, [l1, l1, l1, l2, l2, l2]);
});

test('draws stay in range and flip is a fair coin', (t) => {
  const rng = createRng(3);
  const opts = recipeAugmentation(32);
  let flips = 0;
  for (let i = 0; i < 2000; i++) {
    const d = drawAugmentation(rng, opts);
    t.true(d.top >= 0 && d.top <= 8 && d.left >= 0 && d.left <= 8);
    for (const f of [d.brightness, d.contrast, d.saturation]) t.true(f >= 0.6 && f <= 1.4);
    t.deepEqual([...d.order].sort(), [0, 1, 2]);
    if (d.flip) flips++;
  }
  t.true(flips > 900 && flips < 1100, `flips ${flips}`);
});

test('bad inputs give one-line usage errors', (t) => {
  const err = t.throws(() => augmentImages(createRng(1), [new Uint8Array(10)], shape8, NO_AUGMENTATION), { instanceOf: UsageError });
  t.regex(err!.message, /image 0 has 10 bytes, expected 8x8x3 = 192/);
  t.throws(() => augmentImages(createRng(1), [new Uint8Array(8 * 8 * 2)], { ...shape8, channels: 2 }, recipeAugmentation(8)), {
    instanceOf: UsageError,
    message: /colour jitter needs 1- or 3-channel/,
  });
});
