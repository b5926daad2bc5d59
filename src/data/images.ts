/**
 * Image decoding and resizing with sharp (libvips): JPEG, PNG, WebP, ... to uint8 RGB HWC at a
 * target size. Images larger than the target are resized (Lanczos-3, aspect not kept, as the
 * mini-ImageNet tools do); smaller ones, images with an alpha channel, and images whose header
 * claims more pixels than a limit (decompression bombs) are refused with a DataError.
 */
import sharp from 'sharp';
import { DataError } from '../errors.js';

/** Largest image (in pixels) jointshot will decode: 40 megapixels, well above any dataset photo. */
export const MAX_IMAGE_PIXELS = 40_000_000;

/** Target of decoding: output height and width (channels are always 3, RGB). */
export interface ImageSize {
  height: number;
  width: number;
}

/** The size and channel count an image's header declares, read without decoding pixels. */
export async function probeImage(input: string | Buffer, label: string): Promise<{ width: number; height: number; channels: number; hasAlpha: boolean }> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new DataError(`${label}: cannot read the image (${(e as Error).message})`);
  }
  if (!meta.width || !meta.height || !meta.channels) throw new DataError(`${label}: the image has no size`);
  return { width: meta.width, height: meta.height, channels: meta.channels, hasAlpha: meta.hasAlpha === true };
}

/**
 * Decodes `input` (a path or file bytes) to RGB uint8 HWC of exactly `size`: larger images are
 * resized down, grayscale is repeated to RGB. `label` names the image in errors.
 */
export async function decodeImage(input: string | Buffer, size: ImageSize, label: string, maxPixels = MAX_IMAGE_PIXELS): Promise<Uint8Array> {
  // Fast path (most dataset images): already RGB at the target size, one libvips call.
  const direct = await sharp(input, { limitInputPixels: maxPixels, failOn: 'error' })
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch(() => undefined);
  const bytes = size.width * size.height * 3;
  if (direct && direct.info.width === size.width && direct.info.height === size.height && direct.info.channels === 3 && direct.data.length === bytes) {
    return new Uint8Array(direct.data.buffer, direct.data.byteOffset, direct.data.byteLength);
  }
  return decodeChecked(input, size, label, maxPixels);
}

/** The careful path: reads the header first, then refuses, converts or resizes as needed. */
async function decodeChecked(input: string | Buffer, size: ImageSize, label: string, maxPixels: number): Promise<Uint8Array> {
  const meta = await probeImage(input, label);
  if (meta.width * meta.height > maxPixels) {
    throw new DataError(`${label}: refused: the image claims ${meta.width}x${meta.height} pixels, over the ${maxPixels}-pixel limit (decompression bomb?)`);
  }
  if (meta.hasAlpha) {
    throw new DataError(`${label}: has ${meta.channels} channels with alpha; expected RGB or grayscale: flatten the image first`);
  }
  if (meta.width < size.width || meta.height < size.height) {
    throw new DataError(`${label}: is ${meta.width}x${meta.height}, smaller than the target ${size.width}x${size.height}: remove it or pass a smaller --size`);
  }
  try {
    let pipeline = sharp(input, { limitInputPixels: maxPixels, failOn: 'error' }).toColourspace('srgb');
    if (meta.width !== size.width || meta.height !== size.height) {
      pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
    }
    const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size.width || info.height !== size.height) {
      throw new DataError(`${label}: decoded to ${info.width}x${info.height}x${info.channels}, expected ${size.width}x${size.height}x3`);
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(`${label}: cannot decode the image (${(e as Error).message})`);
  }
}

/**
 * Maps `items` through async `fn` with at most `limit` in flight and yields results in input
 * order (decoding in parallel while a writer consumes in order).
 */
export async function* mapOrdered<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  let next = 0;
  try {
    while (next < items.length || inFlight.length > 0) {
      while (inFlight.length < limit && next < items.length) {
        const p = fn(items[next++]!);
        p.catch(() => undefined); // handled when awaited in order
        inFlight.push(p);
      }
      yield await inFlight.shift()!;
    }
  } finally {
    await Promise.allSettled(inFlight);
  }
}
