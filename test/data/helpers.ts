/** Helpers for data tests: temp dirs, committed fixture paths, in-memory tar archives, test images. */
import type { ExecutionContext } from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** The committed data fixtures (made by test/fixtures/data/make_fixtures.py). */
export const FIXTURES = fileURLToPath(new URL('../fixtures/data/', import.meta.url));

/** A fresh temp dir, removed when the test ends. */
export async function tempDir(t: ExecutionContext, prefix = 'jointshot-data-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** One tar entry to write: a name, its bytes, and optionally a type flag ('0' file, '5' dir). */
export interface TarEntrySpec {
  name: string;
  data?: Uint8Array;
  type?: string;
  /** Claimed size in the header (default the data length), to forge bombs. */
  size?: number;
}

/** A ustar archive of `entries` (plus the two zero end blocks). */
export function makeTar(entries: TarEntrySpec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? new Uint8Array());
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${(entry.size ?? data.length).toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write(entry.type ?? '0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** An RGB (or `channels`-channel) image whose pixels encode `seed`, encoded as `format`. */
export async function makeImage(width: number, height: number, seed: number, format: 'jpeg' | 'png' = 'png', channels: 1 | 3 | 4 = 3): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * channels);
  for (let i = 0; i < raw.length; i++) raw[i] = (seed * 37 + i * 11) % 256;
  const image = sharp(raw, { raw: { width, height, channels } });
  return format === 'jpeg' ? image.jpeg({ quality: 95 }).toBuffer() : image.png().toBuffer();
}
