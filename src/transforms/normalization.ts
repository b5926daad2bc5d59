/** Per-dataset channel mean/std normalisation of float pixels in [0,255]: x' = (x - mean_c) / std_c. */
import { UsageError } from '../errors.js';

/** Per-channel mean and standard deviation in pixel units (0..255). */
export interface ChannelStats {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** CIFAR-FS and FC100: the constants of MetaOptNet's data/CIFAR_FS.py and data/FC100.py (both the same). */
const CIFAR_STATS: ChannelStats = {
  mean: [129.37731888, 124.10583864, 112.47758569],
  std: [68.20947949, 65.43124043, 70.45866994],
};

/** mini-ImageNet: the constants of MetaOptNet's data/mini_imagenet.py. */
const MINI_IMAGENET_STATS: ChannelStats = {
  mean: [120.39586422, 115.59361427, 104.54012653],
  std: [70.68188272, 68.27635443, 72.54505529],
};

/**
 * tiny-imagenet-fs: measured with measureChannelStats on all 35,200 train-split images at their
 * native 64x64 (command in docs/method.md); close to mini-ImageNet's (both are ImageNet subsets).
 */
const TINY_IMAGENET_STATS: ChannelStats = {
  mean: [121.0997, 113.2383, 100.0171],
  std: [71.0923, 68.5087, 72.317],
};

/** Neutral statistics for generated data: the mean and std of a uniform distribution on [0,255]. */
const UNIFORM_STATS: ChannelStats = {
  mean: [127.5, 127.5, 127.5],
  std: [255 / Math.sqrt(12), 255 / Math.sqrt(12), 255 / Math.sqrt(12)],
};

/** Normalisation constants by dataset name (see docs/method.md for where each comes from). */
export const DATASET_NORMALIZATION: Readonly<Record<string, ChannelStats>> = {
  'cifar-fs': CIFAR_STATS,
  fc100: CIFAR_STATS,
  'mini-imagenet': MINI_IMAGENET_STATS,
  'tiny-imagenet-fs': TINY_IMAGENET_STATS,
  synthetic: UNIFORM_STATS,
};

/** The constants for `dataset`, or a UsageError that lists the known names and how to get others. */
export function normalizationFor(dataset: string): ChannelStats {
  const stats = DATASET_NORMALIZATION[dataset];
  if (!stats) {
    throw new UsageError(
      `no normalisation constants for dataset '${dataset}': known are ${Object.keys(DATASET_NORMALIZATION).join(', ')}; measure others with measureChannelStats`,
    );
  }
  return stats;
}

/** Normalises interleaved HWC float pixels in place (channel = index mod channels); returns `pixels`. */
export function normalizeInPlace(pixels: Float32Array, stats: ChannelStats): Float32Array {
  const c = stats.mean.length;
  if (stats.std.length !== c) throw new UsageError(`normalisation has ${c} means but ${stats.std.length} stds`);
  if (pixels.length % c !== 0) {
    throw new UsageError(`pixel buffer of length ${pixels.length} is not a whole number of ${c}-channel pixels`);
  }
  const scale = stats.std.map((s) => 1 / s);
  for (let i = 0; i < pixels.length; i += c) {
    for (let k = 0; k < c; k++) pixels[i + k] = (pixels[i + k]! - stats.mean[k]!) * scale[k]!;
  }
  return pixels;
}

/** Measures per-channel mean and (population) std over uint8 HWC images, e.g. a training split. */
export function measureChannelStats(images: Iterable<Uint8Array>, channels: number): ChannelStats {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  let count = 0;
  for (const img of images) {
    if (img.length % channels !== 0) {
      throw new UsageError(`image of ${img.length} bytes is not a whole number of ${channels}-channel pixels`);
    }
    for (let i = 0; i < img.length; i += channels) {
      for (let k = 0; k < channels; k++) {
        const v = img[i + k]!;
        sum[k]! += v;
        sumSq[k]! += v * v;
      }
    }
    count += img.length / channels;
  }
  if (count === 0) throw new UsageError('cannot measure channel statistics of zero images');
  const mean = Array.from(sum, (s) => s / count);
  const std = Array.from(sumSq, (s, k) => Math.sqrt(Math.max(0, s / count - mean[k]! ** 2)));
  return { mean, std };
}
