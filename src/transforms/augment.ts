/**
 * Seeded training augmentation on uint8 HWC images in plain JS (MetaOptNet's recipe: random crop
 * with zero padding, colour jitter, horizontal flip). Only + and * on doubles, stored as float32,
 * so the same seed gives bit-identical pixels on every machine.
 */
import { UsageError } from '../errors.js';
import { type Rng, randomInt, shuffleInPlace } from '../util/rng.js';

/** Height, width and channels of every image of a batch (HWC layout). */
export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** ColorJitter strengths s: each factor is drawn uniformly from [max(0, 1 - s), 1 + s]. */
export interface ColorJitterStrength {
  brightness: number;
  contrast: number;
  saturation: number;
}

/** What to do to each training image; everything off is the identity. */
export interface AugmentationOptions {
  /** Zero padding on every side before a random crop back to the original size (0: no crop). */
  cropPadding: number;
  /** Mirror left-right with probability 1/2. */
  horizontalFlip: boolean;
  /** Colour jitter strengths; undefined (or all 0) disables it. */
  colorJitter?: ColorJitterStrength;
}

/** The random choices made for one image, in the order they are drawn from the Rng. */
export interface AugmentationDraw {
  /** Crop offsets in the padded image, each in [0, 2 * cropPadding]. */
  top: number;
  left: number;
  /** Jitter application order, a permutation of 0 = brightness, 1 = contrast, 2 = saturation. */
  order: number[];
  brightness: number;
  contrast: number;
  saturation: number;
  flip: boolean;
}

/** ITU-R 601-2 luma weights (PIL's `convert('L')`), used by contrast and saturation. */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** MetaOptNet's training augmentation for square images of side `imageSize` (padding 4 on 32, 8 on 84). */
export function recipeAugmentation(imageSize: number): AugmentationOptions {
  return {
    cropPadding: Math.min(8, Math.round(imageSize / 8)),
    horizontalFlip: true,
    colorJitter: { brightness: 0.4, contrast: 0.4, saturation: 0.4 },
  };
}

/** No augmentation at all (evaluation, or a training ablation). */
export const NO_AUGMENTATION: AugmentationOptions = { cropPadding: 0, horizontalFlip: false };

function jitterFactor(rng: Rng, strength: number): number {
  const u = rng();
  if (strength <= 0) return 1;
  const low = Math.max(0, 1 - strength);
  return low + u * (1 + strength - low);
}

/**
 * Draws one image's parameters. Rng order (fixed): crop top, crop left (if cropPadding > 0);
 * jitter order (Fisher-Yates on [0,1,2]), then the brightness, contrast, saturation factors (if
 * jitter is on); flip (if on: rng() < 0.5).
 */
export function drawAugmentation(rng: Rng, options: AugmentationOptions): AugmentationDraw {
  const pad = options.cropPadding;
  const top = pad > 0 ? randomInt(rng, 2 * pad + 1) : 0;
  const left = pad > 0 ? randomInt(rng, 2 * pad + 1) : 0;
  const jitter = options.colorJitter;
  let order = [0, 1, 2];
  let brightness = 1;
  let contrast = 1;
  let saturation = 1;
  if (jitter && (jitter.brightness > 0 || jitter.contrast > 0 || jitter.saturation > 0)) {
    order = shuffleInPlace(rng, order);
    brightness = jitterFactor(rng, jitter.brightness);
    contrast = jitterFactor(rng, jitter.contrast);
    saturation = jitterFactor(rng, jitter.saturation);
  }
  const flip = options.horizontalFlip ? rng() < 0.5 : false;
  return { top, left, order, brightness, contrast, saturation, flip };
}

/** Writes crop(+flip) of `src` into out[offset..]: out(y,x) = padded src(y + top, x' + left), x' = W-1-x if flipped. */
export function cropFlipInto(src: Uint8Array, shape: ImageShape, pad: number, draw: AugmentationDraw, out: Float32Array, offset: number): void {
  const { height: h, width: w, channels: c } = shape;
  const dy = draw.top - pad;
  const dx = draw.left - pad;
  out.fill(0, offset, offset + h * w * c);
  // output columns x whose source column lies inside the image
  const x0 = Math.max(0, draw.flip ? w - 1 - (w - 1 - dx) : -dx);
  const x1 = Math.min(w, draw.flip ? w + dx : w - dx);
  for (let y = Math.max(0, -dy); y < Math.min(h, h - dy); y++) {
    const srcRow = (y + dy) * w * c;
    const outRow = offset + y * w * c;
    if (!draw.flip) {
      out.set(src.subarray(srcRow + (x0 + dx) * c, srcRow + (x1 + dx) * c), outRow + x0 * c);
      continue;
    }
    for (let x = x0; x < x1; x++) {
      const si = srcRow + (w - 1 - x + dx) * c;
      const oi = outRow + x * c;
      for (let k = 0; k < c; k++) out[oi + k] = src[si + k]!;
    }
  }
}

function clampedBlend(v: number, f: number, t: number): number {
  const r = f * v + t;
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/** v = clamp(f v + t) over px[start..end): brightness (t = 0) and contrast (t = (1 - f) mean). */
function scaleShiftInPlace(px: Float32Array, start: number, end: number, f: number, t: number): void {
  for (let i = start; i < end; i++) px[i] = clampedBlend(px[i]!, f, t);
}

/** Mean luma of the image at px[start..end). */
function meanLuma(px: Float32Array, start: number, end: number, channels: number): number {
  let sum = 0;
  if (channels === 3) {
    for (let i = start; i < end; i += 3) sum += LUMA_WEIGHTS[0] * px[i]! + LUMA_WEIGHTS[1] * px[i + 1]! + LUMA_WEIGHTS[2] * px[i + 2]!;
  } else {
    for (let i = start; i < end; i++) sum += px[i]!;
  }
  return sum / ((end - start) / channels);
}

/** v = clamp(f v + (1 - f) luma(pixel)) for 3-channel pixels in px[start..end). */
function saturateInPlace(px: Float32Array, start: number, end: number, f: number): void {
  const g = 1 - f;
  for (let i = start; i < end; i += 3) {
    const t = g * (LUMA_WEIGHTS[0] * px[i]! + LUMA_WEIGHTS[1] * px[i + 1]! + LUMA_WEIGHTS[2] * px[i + 2]!);
    px[i] = clampedBlend(px[i]!, f, t);
    px[i + 1] = clampedBlend(px[i + 1]!, f, t);
    px[i + 2] = clampedBlend(px[i + 2]!, f, t);
  }
}

/**
 * Colour jitter in place on float pixels in [0,255], ops in `draw.order`:
 * brightness v' = clamp(b v); contrast v' = clamp(c v + (1-c) m), m = mean luma of the image;
 * saturation v' = clamp(s v + (1-s) luma(pixel)) (skipped for 1 channel). clamp is to [0,255].
 */
function jitterInPlace(px: Float32Array, offset: number, shape: ImageShape, draw: AugmentationDraw): void {
  const c = shape.channels;
  const end = offset + shape.height * shape.width * c;
  for (const op of draw.order) {
    if (op === 0 && draw.brightness !== 1) {
      scaleShiftInPlace(px, offset, end, draw.brightness, 0);
    } else if (op === 1 && draw.contrast !== 1) {
      scaleShiftInPlace(px, offset, end, draw.contrast, (1 - draw.contrast) * meanLuma(px, offset, end, c));
    } else if (op === 2 && draw.saturation !== 1 && c === 3) {
      saturateInPlace(px, offset, end, draw.saturation);
    }
  }
}

/** Applies drawn parameters to one uint8 HWC image, writing float pixels in [0,255] to out[offset..]. */
export function applyAugmentation(
  src: Uint8Array,
  shape: ImageShape,
  options: AugmentationOptions,
  draw: AugmentationDraw,
  out: Float32Array,
  offset = 0,
): void {
  cropFlipInto(src, shape, options.cropPadding, draw, out, offset);
  jitterInPlace(out, offset, shape, draw);
}

/** Throws a UsageError unless every image is a uint8 HWC buffer of `shape` that the options can handle. */
export function checkImages(images: readonly Uint8Array[], shape: ImageShape, options?: AugmentationOptions): void {
  const size = shape.height * shape.width * shape.channels;
  images.forEach((img, i) => {
    if (img.length !== size) {
      throw new UsageError(
        `image ${i} has ${img.length} bytes, expected ${shape.height}x${shape.width}x${shape.channels} = ${size}`,
      );
    }
  });
  if (options?.colorJitter && shape.channels !== 1 && shape.channels !== 3) {
    throw new UsageError(`colour jitter needs 1- or 3-channel images, found ${shape.channels} channels`);
  }
  if (options && (!Number.isInteger(options.cropPadding) || options.cropPadding < 0)) {
    throw new UsageError(`crop padding must be a non-negative integer, found ${options.cropPadding}`);
  }
}

/** Augments a batch in order (one draw per image from `rng`): [N*H*W*C] float pixels in [0,255]. */
export function augmentImages(
  rng: Rng,
  images: readonly Uint8Array[],
  shape: ImageShape,
  options: AugmentationOptions,
): Float32Array {
  checkImages(images, shape, options);
  const size = shape.height * shape.width * shape.channels;
  const out = new Float32Array(images.length * size);
  images.forEach((img, i) => applyAugmentation(img, shape, options, drawAugmentation(rng, options), out, i * size));
  return out;
}
