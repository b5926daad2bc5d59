/**
 * How many images fit in one training forward/backward pass on the wasm heap. Peak heap per image
 * grows with the pixel count; the per-pixel costs below come from measured peaks (TFJS-WASM.md:
 * ResNet-12 32x32 batch 80 3.0 GB, 84x84 batch 16 3.9 GB; Conv-4 84x84 batch 80 4.26 GB) and are
 * scaled by the first block's width relative to the recipe's 64 channels.
 */
import type { BackboneConfig } from '../backbones/types.js';
import { UsageError } from '../errors.js';

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
  return Math.max(1, Math.min(MAX_DEFAULT_MICRO_BATCH, imagesForBudget(config, height, width, budgetMiB)));
}

/** Images per pass the heap budget allows, without the default cap (the wasm limit on a batch-norm group). */
export function imagesForBudget(config: Readonly<BackboneConfig>, height: number, width: number, budgetMiB: number): number {
  return Math.floor((budgetMiB * 1024 * 1024) / trainingBytesPerImage(config, height, width));
}

/**
 * The default pass size of an episodic step: the budget's (at most 256), raised to the largest
 * batch-norm group, which is never split (docs/training.md#batch-norm-grouping). On wasm the heap
 * is a hard cap, so a group the budget cannot hold is a UsageError naming the fixes; on other
 * backends the group sets the step's memory.
 */
export function episodicMicroBatch(config: Readonly<BackboneConfig>, height: number, width: number, budgetMiB: number, largestGroup: number, wasm: boolean): number {
  const budget = microBatchForBudget(config, height, width, budgetMiB);
  if (largestGroup <= budget) return budget;
  const fits = imagesForBudget(config, height, width, budgetMiB);
  if (wasm && largestGroup > fits) {
    const perImageMiB = trainingBytesPerImage(config, height, width) / (1024 * 1024);
    const needed = Math.ceil(largestGroup * perImageMiB);
    const raise = needed < 4096 ? `set heapBudgetMiB >= ${needed}, or ` : '';
    throw new UsageError(
      `a batch-norm group of ${largestGroup} images (copies included) does not fit the wasm heap budget of ${budgetMiB} MiB (${fits} ${config.name} ${height}x${width} images): ` +
        `${raise}lower episodesPerBatch, or use bnGrouping 'episode', or train on the native backend`,
    );
  }
  return largestGroup;
}
