import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { crc32, inflateSync } from 'node:zlib';
import { UsageError } from '../../src/errors.js';
import { encodePng, savePngGrid, tileImages } from '../../src/util/png.js';

interface Chunk {
  type: string;
  data: Buffer;
}

/** Splits PNG bytes into chunks, checking the signature and every CRC. */
function readChunks(png: Buffer): Chunk[] {
  if (!png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new Error('bad signature');
  const chunks: Chunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    if ((crc32(typeAndData) >>> 0) !== png.readUInt32BE(at + 8 + length)) throw new Error('bad CRC');
    chunks.push({ type: typeAndData.subarray(0, 4).toString('latin1'), data: Buffer.from(typeAndData.subarray(4)) });
    at += 12 + length;
  }
  return chunks;
}

/** Decodes the pixels of a filter-0 PNG (what encodePng writes). */
function decode(png: Buffer): { width: number; height: number; colorType: number; pixels: Buffer } {
  const chunks = readChunks(png);
  const ihdr = chunks[0]!;
  const width = ihdr.data.readUInt32BE(0);
  const height = ihdr.data.readUInt32BE(4);
  const colorType = ihdr.data[9]!;
  const channels = { 0: 1, 2: 3, 6: 4 }[colorType]!;
  const raw = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = width * channels;
  const rows = Array.from({ length: height }, (_, y) => {
    if (raw[y * (stride + 1)] !== 0) throw new Error('unexpected filter');
    return raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
  });
  return { width, height, colorType, pixels: Buffer.concat(rows) };
}

test('encodePng round-trips header, size and pixels (RGB and grey)', (t) => {
  const rgb = Uint8Array.from({ length: 3 * 2 * 3 }, (_, i) => i * 13);
  const png = encodePng({ pixels: rgb, width: 3, height: 2, channels: 3 });
  t.deepEqual(readChunks(png).map((c) => c.type), ['IHDR', 'IDAT', 'IEND']);
  const d = decode(png);
  t.like(d, { width: 3, height: 2, colorType: 2 });
  t.deepEqual(Array.from(d.pixels), Array.from(rgb));
  const ihdr = readChunks(png)[0]!.data;
  t.is(ihdr[8], 8, 'bit depth 8');
  const grey = decode(encodePng({ pixels: Uint8Array.from([0, 255, 7, 9]), width: 1, height: 4, channels: 1 }));
  t.like(grey, { width: 1, height: 4, colorType: 0 });
  t.deepEqual(Array.from(grey.pixels), [0, 255, 7, 9]);
  t.throws(() => encodePng({ pixels: new Uint8Array(5), width: 2, height: 1, channels: 3 }), { instanceOf: UsageError });
});

test('tileImages places tiles row by row with gaps and integer scaling', (t) => {
  const a = Uint8Array.from([1, 2, 3, 4]);
  const b = Uint8Array.from([5, 6, 7, 8]);
  const c = Uint8Array.from([9, 9, 9, 9]);
  const grid = tileImages([a, b, c], { height: 2, width: 2, channels: 1 }, { columns: 2, gap: 1, background: 0 });
  t.is(grid.width, 2 * 2 + 3);
  t.is(grid.height, 2 * 2 + 3);
  const at = (x: number, y: number) => grid.pixels[y * grid.width + x];
  t.deepEqual([at(1, 1), at(2, 1), at(1, 2), at(2, 2)], [1, 2, 3, 4]);
  t.deepEqual([at(4, 1), at(5, 2)], [5, 8]);
  t.deepEqual([at(1, 4), at(4, 4), at(0, 0)], [9, 0, 0]);
  const big = tileImages([a], { height: 2, width: 2, channels: 1 }, { columns: 1, gap: 0, scale: 2 });
  t.deepEqual(Array.from(big.pixels), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
});

test('savePngGrid writes a readable PNG file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-png-'));
  try {
    const path = join(dir, 'grid.png');
    await savePngGrid(path, [new Uint8Array(12).fill(200), new Uint8Array(12)], { height: 2, width: 2, channels: 3 }, { columns: 2 });
    const d = decode(await readFile(path));
    t.like(d, { width: 2 * 2 + 3 * 2, height: 2 + 2 * 2, colorType: 2 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an independent decoder (sharp/libvips) reads back the same pixels, and the IEND CRC is the constant of the PNG spec', async (t) => {
  const cases = [
    { channels: 1 as const, width: 5, height: 3 },
    { channels: 3 as const, width: 4, height: 2 },
    { channels: 4 as const, width: 3, height: 3 },
  ];
  for (const { channels, width, height } of cases) {
    const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 37 + 11) % 256);
    const png = encodePng({ pixels, width, height, channels });
    t.is(png.subarray(-12).toString('hex'), '0000000049454e44ae426082', 'IEND chunk with CRC ae426082');
    t.like(await sharp(png).metadata(), { format: 'png', width, height, channels });
    const decoder = channels === 1 ? sharp(png).toColourspace('b-w') : sharp(png);
    const { data, info } = await decoder.raw().toBuffer({ resolveWithObject: true });
    t.is(info.channels, channels);
    t.deepEqual(Array.from(data), Array.from(pixels), `${channels} channel(s)`);
  }
});
