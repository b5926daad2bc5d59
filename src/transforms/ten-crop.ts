/**
 * Ten-crop test views (Krizhevsky et al., 2012, the classical baseline of the SLA paper's Table 2):
 * the image zero-padded by P on every side, its four corner crops and centre crop at the original
 * size, and their horizontal mirrors. With P equal to the training crop padding the views are
 * exactly random-crop draws at the extremes and the centre (the centre crop is the image itself).
 */
import { UsageError } from '../errors.js';
import { cropFlipInto, type AugmentationDraw, type ImageShape } from './augment.js';
import { normalizeInPlace, type ChannelStats } from './normalization.js';

/** The ten views' crop offsets in the padded image and flips: TL, TR, BL, BR, centre, then mirrored. */
export function tenCropDraws(padding: number): AugmentationDraw[] {
  const corners: [number, number][] = [
    [0, 0],
    [0, 2 * padding],
    [2 * padding, 0],
    [2 * padding, 2 * padding],
    [padding, padding],
  ];
  return [false, true].flatMap((flip) =>
    corners.map(([top, left]) => ({ top, left, flip, order: [0, 1, 2], brightness: 1, contrast: 1, saturation: 1 })),
  );
}

/** View `v` (0..9) of every image, normalised: float32 NHWC data of images.length images. */
export function tenCropView(images: readonly Uint8Array[], shape: ImageShape, padding: number, view: number, normalization: ChannelStats): Float32Array {
  if (!Number.isInteger(padding) || padding < 0) throw new UsageError(`ten-crop padding must be an integer >= 0, found ${padding}`);
  const draw = tenCropDraws(padding)[view];
  if (!draw) throw new UsageError(`ten-crop has views 0..9, asked for ${view}`);
  const size = shape.height * shape.width * shape.channels;
  const out = new Float32Array(images.length * size);
  images.forEach((image, i) => cropFlipInto(image, shape, padding, draw, out, i * size));
  return normalizeInPlace(out, normalization);
}
