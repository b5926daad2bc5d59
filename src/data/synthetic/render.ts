/**
 * Rendering one synthetic sample: the class glyph under a per-sample jitter (stroke wobble,
 * scale, small rotation, shift, pen width), anti-aliased onto a gradient background with clutter
 * strokes, random colours and noise. Uses only + - * / and sqrt, so pixels are bit-identical on
 * every IEEE-754 machine.
 */
import type { Glyph, Point } from './glyph.js';
import { integer, keyedRng, keyedUint32, uniform, type UnitRng } from './hash-rng.js';

/** How strongly samples of a class vary; the defaults are what the `synthetic` dataset uses. */
export interface JitterOptions {
  /** Per-point wobble of the strokes, in glyph units (the glyph box is [-1, 1]). */
  wobble: number;
  /** Glyph half-size in pixels, as a range. */
  scale: readonly [number, number];
  /** Largest rotation, as tan(angle / 2) (0.1 is about 11.4 degrees). */
  rotation: number;
  /** Largest shift of the glyph centre, in pixels. */
  shift: number;
  /** Pen half-width in pixels, as a range. */
  penHalfWidth: readonly [number, number];
  /** Noise amplitude (pixel values in [0, 1]), as a range. */
  noise: readonly [number, number];
  /** Most clutter strokes behind the glyph. */
  clutter: number;
  /** Chance that a stroke other than the base is missing from a sample. */
  dropStroke: number;
  /** Glyph-to-background luminance contrast, as a range. */
  contrast: readonly [number, number];
}

export const DEFAULT_JITTER: JitterOptions = {
  wobble: 0.1,
  scale: [9, 12.5],
  rotation: 0.13,
  shift: 3,
  penHalfWidth: [0.6, 1.3],
  noise: [0.05, 0.2],
  clutter: 3,
  dropStroke: 0.1,
  contrast: [0.2, 0.6],
};

type Rgb = [number, number, number];

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Coverage of an anti-aliased pen of half-width `hw` along segment a-b, max-composited into `alpha`. */
function drawSegment(alpha: Float64Array, size: number, a: Point, b: Point, hw: number, opacity: number): void {
  const reach = hw + 1;
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - reach));
  const x1 = Math.min(size - 1, Math.ceil(Math.max(a[0], b[0]) + reach));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - reach));
  const y1 = Math.min(size - 1, Math.ceil(Math.max(a[1], b[1]) + reach));
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5 - a[1];
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - a[0];
      const t = len2 > 0 ? Math.min(1, Math.max(0, (px * dx + py * dy) / len2)) : 0;
      const ex = px - t * dx;
      const ey = py - t * dy;
      const cover = clamp01(hw + 0.5 - Math.sqrt(ex * ex + ey * ey)) * opacity;
      const k = y * size + x;
      if (cover > alpha[k]!) alpha[k] = cover;
    }
  }
}

function drawPolyline(alpha: Float64Array, size: number, points: Point[], hw: number, opacity: number): void {
  if (points.length === 1) drawSegment(alpha, size, points[0]!, points[0]!, hw, opacity);
  for (let i = 1; i < points.length; i++) drawSegment(alpha, size, points[i - 1]!, points[i]!, hw, opacity);
}

function randomColour(rng: UnitRng): Rgb {
  return [rng(), rng(), rng()];
}

function luminance(c: Rgb): number {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

/** A colour at least `contrast` away in luminance from `from`, with a random tint. */
function contrastingColour(rng: UnitRng, from: Rgb, contrast: number): Rgb {
  const sign = luminance(from) > 0.5 ? -1 : 1;
  return from.map((v) => clamp01(v + sign * contrast + uniform(rng, -0.2, 0.2))) as Rgb;
}

/** A random unit vector, built from a rational parametrisation of the circle (no trigonometry). */
function unitVector(rng: UnitRng): Point {
  const t = uniform(rng, -1, 1);
  const d = 1 + t * t;
  const s = rng() < 0.5 ? -1 : 1;
  return [(s * (1 - t * t)) / d, (s * 2 * t) / d];
}

/**
 * Renders sample `imageIndex` of the class whose glyph is `glyph` into `out` (uint8 HWC, RGB,
 * size x size); the sample's randomness comes only from (seed, classIndex, imageIndex).
 */
export function renderSample(
  glyph: Glyph,
  seed: number,
  classIndex: number,
  imageIndex: number,
  size: number,
  out: Uint8Array,
  jitter: JitterOptions = DEFAULT_JITTER,
): Uint8Array {
  const rng = keyedRng(seed, classIndex, imageIndex);
  const centre = size / 2;
  // Sample pose: x' = centre + shift + R * (S * x), with R from tan(angle/2) (Cayley form).
  const scale = uniform(rng, jitter.scale[0], jitter.scale[1]) * (size / 32);
  const sx = scale * uniform(rng, 0.92, 1.08);
  const sy = scale * uniform(rng, 0.92, 1.08);
  const t = uniform(rng, -jitter.rotation, jitter.rotation);
  const cos = (1 - t * t) / (1 + t * t);
  const sin = (2 * t) / (1 + t * t);
  const ox = centre + uniform(rng, -jitter.shift, jitter.shift);
  const oy = centre + uniform(rng, -jitter.shift, jitter.shift);
  const pose = ([x, y]: Point): Point => {
    const gx = (x + uniform(rng, -jitter.wobble, jitter.wobble)) * sx;
    const gy = (y + uniform(rng, -jitter.wobble, jitter.wobble)) * sy;
    return [ox + cos * gx - sin * gy, oy + sin * gx + cos * gy];
  };
  const pen = uniform(rng, jitter.penHalfWidth[0], jitter.penHalfWidth[1]) * (size / 32);

  const ink = new Float64Array(size * size);
  glyph.strokes.forEach((stroke, s) => {
    const dropped = s > 0 && rng() < jitter.dropStroke;
    if (!dropped) drawPolyline(ink, size, stroke.points.map(pose), pen * stroke.weight, 1);
  });

  const clutter = new Float64Array(size * size);
  const clutterCount = integer(rng, 0, jitter.clutter);
  for (let c = 0; c < clutterCount; c++) {
    const a: Point = [uniform(rng, 0, size), uniform(rng, 0, size)];
    const b: Point = [a[0] + uniform(rng, -size / 3, size / 3), a[1] + uniform(rng, -size / 3, size / 3)];
    drawPolyline(clutter, size, [a, b], uniform(rng, 0.5, 1.1) * (size / 32), uniform(rng, 0.25, 0.7));
  }

  const bg0 = randomColour(rng);
  const bg1 = bg0.map((v) => clamp01(v + uniform(rng, -0.3, 0.3))) as Rgb;
  const bgMid = bg0.map((v, k) => (v + bg1[k]!) / 2) as Rgb;
  const fg = contrastingColour(rng, bgMid, uniform(rng, jitter.contrast[0], jitter.contrast[1]));
  const clutterColour = randomColour(rng);
  const [gx, gy] = unitVector(rng);
  const noise = uniform(rng, jitter.noise[0], jitter.noise[1]);

  // Noise: one 32-bit draw per channel value, its two 16-bit halves summed (triangular on [-1, 1)).
  const noiseBits = keyedUint32(seed, classIndex, imageIndex, 0x6e6f6973);
  const noiseScale = noise / 65536;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const k = y * size + x;
      const g = clamp01(((x + 0.5 - centre) * gx + (y + 0.5 - centre) * gy) / size + 0.5);
      const a = ink[k]!;
      const b = clutter[k]!;
      for (let ch = 0; ch < 3; ch++) {
        const back = bg0[ch]! + (bg1[ch]! - bg0[ch]!) * g;
        const cluttered = back + (clutterColour[ch]! - back) * b;
        const bits = noiseBits();
        const v = cluttered + (fg[ch]! - cluttered) * a + noiseScale * ((bits >>> 16) + (bits & 0xffff) - 65535);
        out[k * 3 + ch] = Math.floor(clamp01(v) * 255 + 0.5);
      }
    }
  }
  return out;
}
