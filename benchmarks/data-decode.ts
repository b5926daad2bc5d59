/**
 * Compares JPEG decoding with sharp (libvips, native) and jpeg-js (pure JS) on real 64x64 JPEGs.
 * Usage: npx tsx benchmarks/data-decode.ts [imagesDir] [count]
 * (default ../shared/data/tiny-imagenet-fs/images, 2000 images). Not a test.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import jpeg from 'jpeg-js';
import sharp from 'sharp';

const dir = process.argv[2] ?? '../shared/data/tiny-imagenet-fs/images';
const count = Number(process.argv[3] ?? 2000);

const names = (await readdir(dir)).filter((n) => n.endsWith('.jpg')).sort().slice(0, count);
const files = await Promise.all(names.map((n) => readFile(join(dir, n))));
let bytes = 0;
for (const f of files) bytes += f.length;
console.log(`${files.length} JPEGs, ${(bytes / 1e6).toFixed(1)} MB compressed (read into memory first)`);

async function time(label: string, body: () => Promise<number>): Promise<void> {
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const pixels = await body();
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  console.log(
    `${label}: ${s.toFixed(2)} s wall, ${(files.length / s).toFixed(0)} images/s, ${((cpuMs * 1000) / files.length).toFixed(0)} us CPU per image (all threads; ${pixels} pixel bytes)`,
  );
}

/** Runs `fn` over all files with at most `limit` in flight, in order. */
async function mapLimit(limit: number, fn: (b: Buffer) => Promise<number>): Promise<number> {
  let next = 0;
  let total = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < files.length) {
        const n = await fn(files[next++]!);
        total += n;
      }
    }),
  );
  return total;
}

sharp.concurrency(1);
await time('jpeg-js decode (1 thread, pure JS)', async () => {
  let total = 0;
  for (const f of files) total += jpeg.decode(f, { useTArray: true, formatAsRGBA: false }).data.length;
  return total;
});
await time('sharp decode, 1 in flight', () => mapLimit(1, async (f) => (await sharp(f).removeAlpha().raw().toBuffer()).length));
await time('sharp decode, 4 in flight', () => mapLimit(4, async (f) => (await sharp(f).removeAlpha().raw().toBuffer()).length));
sharp.concurrency(0);
await time('sharp decode, 4 in flight, default libvips threads', () => mapLimit(4, async (f) => (await sharp(f).removeAlpha().raw().toBuffer()).length));
await time('sharp decode+resize to 32x32 (lanczos3), 4 in flight', () =>
  mapLimit(4, async (f) => (await sharp(f).resize(32, 32, { fit: 'fill' }).removeAlpha().raw().toBuffer()).length),
);
