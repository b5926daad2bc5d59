/**
 * How many images fit in one training forward/backward pass on the wasm heap. Peak heap per image
 * grows with the pixel count; the per-pixel costs below come from measured peaks (TFJS-WASM.md:
 * ResNet-12 32x32 batch 80 3.0 GB, 84x84 batch 16 3.9 GB; Conv-4 84x84 batch 80 4.26 GB) and are
 * scaled by the first block's width relative to the recipe's 64 channels.
 */
import type { BackboneConfig } from '../backbones/types.js';

/** Peak training bytes per input pixel at 64 first-block channels, by backbone name. */
const BYTES_PER_PIXEL: Readonly<Record<string, number>> = {
  conv4: 8 * 1024,
  resnet12: 37 * 1024,
};

/** A conservative figure for backbones not listed above. */
const UNKNOWN_BYTES_PER_PIXEL = 40 * 1024;

function firstWidth(config: Readonly<BackboneConfig>): number {
  const option = config.channels ?? config.widths;
  const first = Array.isArray(option) ? option[0] : option;
  return typeof first === 'number' && first > 0 ? first : 64;
}

/** Estimated peak wasm heap bytes per training image of `height` x `width`. */
export function trainingBytesPerImage(config: Readonly<BackboneConfig>, height: number, width: number): number {
  const perPixel = BYTES_PER_PIXEL[config.name] ?? UNKNOWN_BYTES_PER_PIXEL;
  return perPixel * (firstWidth(config) / 64) * height * width;
}

/**
 * Largest default pass: bigger passes are slower per image on wasm (Conv-4 32x32, measured with
 * benchmarks/train.ts: 10.8 ms CPU per image in passes of 220 images, 25 ms in passes of 440).
 */
export const MAX_DEFAULT_MICRO_BATCH = 256;

/** Images (copies included) per pass that keep a step within `budgetMiB` of wasm heap (1..256). */
export function microBatchForBudget(config: Readonly<BackboneConfig>, height: number, width: number, budgetMiB: number): number {
  const fits = Math.floor((budgetMiB * 1024 * 1024) / trainingBytesPerImage(config, height, width));
  return Math.max(1, Math.min(MAX_DEFAULT_MICRO_BATCH, fits));
}
