/** Label transformations applied to uint8 images outside training, to look at them (PNG grids). */
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';
import { savePngGrid } from '../util/png.js';
import type { ImageShape } from './augment.js';
import type { LabelTransform } from './label-transform.js';

/**
 * Every copy of every image as uint8 HWC buffers in query-major order (image b, copy j at b*M + j),
 * ready for `savePngGrid(path, out, shape, { columns: transform.count })`: one row per image.
 */
export function transformedCopies(transform: LabelTransform, images: readonly Uint8Array[], shape: ImageShape): Uint8Array[] {
  const { height: h, width: w, channels: c } = shape;
  const flat = new Int32Array(images.length * h * w * c);
  images.forEach((img, i) => flat.set(img, i * h * w * c));
  let size = 0;
  const data = tf.tidy(() => {
    const out = transform.apply(tf.tensor4d(flat, [images.length, h, w, c], 'int32'));
    size = out.shape[1] * out.shape[2] * c;
    return out.dataSync() as Int32Array;
  });
  return Array.from({ length: images.length * transform.count }, (_, n) => Uint8Array.from(data.subarray(n * size, (n + 1) * size)));
}

/** Saves a PNG grid with one row per image and one column per copy (t_0 = identity first). */
export async function saveTransformGrid(
  path: string,
  transform: LabelTransform,
  images: readonly Uint8Array[],
  shape: ImageShape,
  scale = 1,
): Promise<void> {
  const copies = transformedCopies(transform, images, shape);
  const c = shape.channels;
  if (c !== 1 && c !== 3 && c !== 4) throw new UsageError(`a PNG grid needs 1, 3 or 4 channels, found ${c}`);
  // every built-in copy keeps H x W (odd rotations require square images)
  await savePngGrid(path, copies, { height: shape.height, width: shape.width, channels: c }, { columns: transform.count, scale });
}
