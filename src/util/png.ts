/**
 * Minimal PNG writing and image grids, for looking at transformed data. Own code on Node's zlib
 * (deflate, crc32: Node >= 20.15 / 22.2, inside package.json engines) rather than sharp, so that
 * writing a grid does not load libvips.
 */
import { writeFileAtomic } from './atomic-file.js';
import { crc32, deflateSync } from 'node:zlib';
import { UsageError } from '../errors.js';

/** 8-bit pixels, row-major HWC, with 1 (grey), 3 (RGB) or 4 (RGBA) channels. */
export interface RasterImage {
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_TYPE: Record<number, number> = { 1: 0, 3: 2, 4: 6 };

function chunk(type: string, data: Buffer): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData) >>> 0, 8 + data.length);
  return out;
}

/** Encodes an 8-bit image as PNG bytes (filter 0 on every row, zlib-deflated). */
export function encodePng(image: RasterImage): Buffer {
  const { pixels, width, height, channels } = image;
  const colorType = COLOR_TYPE[channels];
  if (colorType === undefined) throw new UsageError(`PNG needs 1, 3 or 4 channels, found ${channels}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new UsageError(`PNG size must be positive integers, found ${width}x${height}`);
  }
  const stride = width * channels;
  if (pixels.length !== stride * height) {
    throw new UsageError(`PNG pixel buffer has ${pixels.length} bytes, expected ${width}x${height}x${channels} = ${stride * height}`);
  }
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = colorType;
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Options for `tileImages`: columns per row, the gap in pixels and its grey level. */
export interface GridOptions {
  columns: number;
  gap?: number;
  background?: number;
  /** Integer upscaling factor per pixel (nearest neighbour), to make tiny images visible. */
  scale?: number;
}

/** Lays equally sized HWC images out row by row in a grid with gaps. */
export function tileImages(
  images: readonly Uint8Array[],
  tile: { height: number; width: number; channels: 1 | 3 | 4 },
  options: GridOptions,
): RasterImage {
  const { height: h, width: w, channels: c } = tile;
  const gap = options.gap ?? 2;
  const scale = options.scale ?? 1;
  if (images.length === 0) throw new UsageError('an image grid needs at least one image');
  if (!Number.isInteger(options.columns) || options.columns < 1) {
    throw new UsageError(`grid columns must be a positive integer, found ${options.columns}`);
  }
  if (!Number.isInteger(scale) || scale < 1) throw new UsageError(`grid scale must be a positive integer, found ${scale}`);
  const columns = Math.min(options.columns, images.length);
  const rows = Math.ceil(images.length / columns);
  const th = h * scale;
  const tw = w * scale;
  const width = columns * tw + (columns + 1) * gap;
  const height = rows * th + (rows + 1) * gap;
  const pixels = new Uint8Array(width * height * c).fill(options.background ?? 255);
  images.forEach((img, n) => {
    if (img.length !== h * w * c) {
      throw new UsageError(`grid image ${n} has ${img.length} bytes, expected ${h}x${w}x${c} = ${h * w * c}`);
    }
    const x0 = gap + (n % columns) * (tw + gap);
    const y0 = gap + Math.floor(n / columns) * (th + gap);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const s = (Math.floor(y / scale) * w + Math.floor(x / scale)) * c;
        pixels.set(img.subarray(s, s + c), ((y0 + y) * width + x0 + x) * c);
      }
    }
  });
  return { pixels, width, height, channels: c };
}

/** Writes `images` as a PNG grid to `path` (e.g. one row per sample, one column per transformation). */
export async function savePngGrid(
  path: string,
  images: readonly Uint8Array[],
  tile: { height: number; width: number; channels: 1 | 3 | 4 },
  options: GridOptions,
): Promise<void> {
  await writeFileAtomic(path, encodePng(tileImages(images, tile, options)));
}
