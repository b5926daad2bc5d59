import test from 'ava';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { DataError } from '../../src/errors.js';
import { decodeImage, mapOrdered } from '../../src/data/images.js';
import { makeImage } from './helpers.js';

test('decodes PNG at its own size exactly, and JPEG to RGB HWC', async (t) => {
  const png = await makeImage(5, 4, 1, 'png');
  const pixels = await decodeImage(png, { height: 4, width: 5 }, 'a.png');
  t.is(pixels.length, 4 * 5 * 3);
  t.deepEqual([...pixels.subarray(0, 6)], [37, 48, 59, 70, 81, 92]);
  const jpeg = await decodeImage(await makeImage(16, 16, 2, 'jpeg'), { height: 16, width: 16 }, 'a.jpg');
  t.is(jpeg.length, 16 * 16 * 3);
});

test('resizes larger images down to the target, refuses smaller ones', async (t) => {
  const big = await makeImage(100, 90, 3, 'jpeg');
  t.is((await decodeImage(big, { height: 84, width: 84 }, 'big.jpg')).length, 84 * 84 * 3);
  await t.throwsAsync(decodeImage(await makeImage(32, 32, 4), { height: 84, width: 84 }, 'small.png'), {
    instanceOf: DataError,
    message: 'small.png: is 32x32, smaller than the target 84x84: remove it or pass a smaller --size',
  });
});

test('grayscale becomes RGB; an alpha channel is refused', async (t) => {
  const gray = await decodeImage(await makeImage(4, 4, 5, 'png', 1), { height: 4, width: 4 }, 'gray.png');
  t.is(gray.length, 48);
  t.is(gray[0], gray[1]);
  t.is(gray[1], gray[2]);
  await t.throwsAsync(decodeImage(await makeImage(4, 4, 5, 'png', 4), { height: 4, width: 4 }, 'rgba.png'), {
    instanceOf: DataError,
    message: /rgba\.png: has 4 channels with alpha; expected RGB or grayscale/,
  });
});

/** A PNG whose header claims width x height but whose data is a few bytes: a decompression bomb. */
function bombPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1000))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('an image whose header claims far more pixels than a limit is refused before decoding', async (t) => {
  const bomb = bombPng(50_000, 50_000);
  t.true(bomb.length < 200);
  t.is((await sharp(bomb, { limitInputPixels: false }).metadata()).width, 50_000);
  await t.throwsAsync(decodeImage(bomb, { height: 84, width: 84 }, 'bomb.png'), {
    instanceOf: DataError,
    message: /bomb\.png: refused: the image claims 50000x50000 pixels, over the 40000000-pixel limit/,
  });
});

test('a corrupt image gives one line naming it', async (t) => {
  const error = await t.throwsAsync(decodeImage(Buffer.from('not an image at all'), { height: 4, width: 4 }, 'x.jpg'), { instanceOf: DataError });
  t.regex(error!.message, /^x\.jpg: cannot read the image/);
});

test('mapOrdered keeps input order with bounded parallelism', async (t) => {
  let inFlight = 0;
  let most = 0;
  const out: number[] = [];
  for await (const v of mapOrdered([5, 1, 4, 2, 3], 2, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setTimeout(r, n * 3));
    inFlight--;
    return n * 10;
  })) out.push(v);
  t.deepEqual(out, [50, 10, 40, 20, 30]);
  t.is(most, 2);
});

test('a 16-bit PNG at the target size is stored as 8-bit RGB', async (t) => {
  const raw = Buffer.alloc(4 * 4 * 3 * 2, 0xff);
  const png16 = await sharp(raw, { raw: { width: 4, height: 4, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
  const meta = await sharp(png16).metadata();
  t.is(meta.depth, 'ushort');
  const pixels = await decodeImage(png16, { height: 4, width: 4 }, 'deep.png');
  t.is(pixels.length, 48);
});
