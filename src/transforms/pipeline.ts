/** One call per batch: uint8 HWC images -> (seeded augmentation) -> normalised float32 NHWC data. */
import { UsageError } from '../errors.js';
import type { Rng } from '../util/rng.js';
import { type AugmentationOptions, type ImageShape, augmentImages, checkImages } from './augment.js';
import { type ChannelStats, normalizeInPlace } from './normalization.js';

/** How to turn a batch of images into backbone input. */
export interface ImagePreparation {
  shape: ImageShape;
  normalization: ChannelStats;
  /** Training augmentation; omit for evaluation. */
  augmentation?: AugmentationOptions;
  /** Required with `augmentation`: one draw per image, in batch order. */
  rng?: Rng;
}

/** Float32 NHWC data for `tf.tensor4d(data, [N, H, W, C])`: augmented (if asked) and normalised. */
export function prepareImages(images: readonly Uint8Array[], prep: ImagePreparation): Float32Array {
  const { shape, normalization } = prep;
  if (normalization.mean.length !== shape.channels) {
    throw new UsageError(
      `normalisation has ${normalization.mean.length} channels but the images have ${shape.channels}`,
    );
  }
  let pixels: Float32Array;
  if (prep.augmentation) {
    if (!prep.rng) throw new UsageError('augmentation needs a seeded rng (pass rng from createRng)');
    pixels = augmentImages(prep.rng, images, shape, prep.augmentation);
  } else {
    checkImages(images, shape);
    const size = shape.height * shape.width * shape.channels;
    pixels = new Float32Array(images.length * size);
    images.forEach((img, i) => pixels.set(img, i * size));
  }
  return normalizeInPlace(pixels, normalization);
}
