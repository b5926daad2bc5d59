/** Label transformations applied to uint8 images outside training, to look at them (PNG grids). */
import { tf } from '../tf.js';
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
