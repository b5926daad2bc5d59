/**
 * The packed cache: per split, one binary pixel file (all images, uint8 HWC, class-major) and a
 * JSON index (classes, counts, offsets, H/W/C, size and sha256 of the pixel file, format version).
 * Writing is atomic: pixels go to a temp file renamed to a name that carries their hash, and the
 * index is written last (temp + rename); so a half-written cache is never read, and an earlier
 * complete cache stays readable until the new index replaces it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { makeDir } from '../util/make-dir.js';
import { join } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { SPLIT_NAMES, type ClassInfo, type FewShotSplit, type SplitName } from './types.js';

/** Format name and version written in every index; a loader refuses any other. */
export const CACHE_FORMAT = 'jointshot-packed-split';
/** Bumped whenever the pixel layout or index fields change. */
export const CACHE_VERSION = 1;

/** A class in the index: name, image count, and index of its first image in the pixel file. */
export interface CachedClass extends ClassInfo {
  offset: number;
}

/** The JSON index of one packed split. */
export interface CacheIndex {
  format: typeof CACHE_FORMAT;
  version: number;
  dataset: string;
  split: SplitName;
  height: number;
  width: number;
  channels: number;
  images: number;
  classes: CachedClass[];
  pixelFile: string;
  pixelBytes: number;
  sha256: string;
  /** What the split was prepared from (e.g. `cifar-100-python.tar.gz`), for `data info`. */
  source: string;
  /**
   * `classification` when the splits share their classes (train/test images of the same classes,
   * e.g. CIFAR-10, class folders with train/ and test/); absent for few-shot class splits.
   */
  layout?: 'classification';
  /** For each packed image, its index in the source's own order (CIFAR: the official file order). */
  sourceIndex?: number[];
}

/** A split to pack: its shape, classes, and its images in class-major order. */
export interface SplitSource {
  dataset: string;
  split: SplitName;
  height: number;
  width: number;
  channels: number;
  classes: ClassInfo[];
  source: string;
  layout?: CacheIndex['layout'];
  sourceIndex?: number[];
  /** Every image, class by class, each of length height*width*channels. */
  images(): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** The folder holding one dataset's packed splits. */
export function datasetCacheDir(dataDir: string, dataset: string): string {
  return join(dataDir, dataset);
}

/** Path of a split's JSON index. */
export function cacheIndexPath(dataDir: string, dataset: string, split: SplitName): string {
  return join(datasetCacheDir(dataDir, dataset), `${split}.json`);
}

const WRITE_BUFFER_BYTES = 4 * 2 ** 20;
const PROGRESS_EVERY = 5000;

/** A split whose pixels are written to a temp file: `commit` publishes it, `abort` removes it. */
export interface StagedSplit {
  commit(): Promise<CacheIndex>;
  abort(): Promise<void>;
}

/** Packs `source` under `dataDir` atomically and returns its index. Throws DataError on bad images. */
export async function writePackedSplit(dataDir: string, source: SplitSource): Promise<CacheIndex> {
  return (await stagePackedSplit(dataDir, source)).commit();
}

/**
 * Writes the pixels of `source` to a temp file (checking every image's size and the counts) and
 * returns a handle to publish it. Nothing is visible to readers until `commit`.
 */
export async function stagePackedSplit(dataDir: string, source: SplitSource, onImages?: (done: number, total: number) => void): Promise<StagedSplit> {
  const dir = datasetCacheDir(dataDir, source.dataset);
  await makeDir(dir);
  const imageBytes = source.height * source.width * source.channels;
  const total = source.classes.reduce((n, c) => n + c.count, 0);
  if (source.sourceIndex && source.sourceIndex.length !== total) {
    throw new DataError(`${source.dataset}/${source.split}: ${source.sourceIndex.length} source indices for ${total} images`);
  }
  const temp = join(dir, `.${source.split}.${randomUUID()}.tmp`);
  const hash = createHash('sha256');
  const handle = await open(temp, 'w');
  let written = 0;
  try {
    const buffer = Buffer.alloc(Math.max(imageBytes, Math.min(WRITE_BUFFER_BYTES, imageBytes * total)));
    let fill = 0;
    const flush = async (): Promise<void> => {
      const part = buffer.subarray(0, fill);
      hash.update(part);
      await handle.write(part);
      fill = 0;
    };
    for await (const image of source.images()) {
      if (image.length !== imageBytes) {
        throw new DataError(`${source.dataset}/${source.split}: image ${written} has ${image.length} bytes, expected ${source.height}x${source.width}x${source.channels}`);
      }
      if (written === total) throw new DataError(`${source.dataset}/${source.split}: the source gave more images than its classes count (${total})`);
      if (fill + imageBytes > buffer.length) await flush();
      buffer.set(image, fill);
      fill += imageBytes;
      written++;
      if (onImages && written % PROGRESS_EVERY === 0) onImages(written, total);
    }
    if (written !== total) throw new DataError(`${source.dataset}/${source.split}: the source gave ${written} images, its classes count ${total}`);
    await flush();
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  const sha256 = hash.digest('hex');
  const pixelFile = `${source.split}-${sha256.slice(0, 16)}.pixels`;
  let offset = 0;
  const index: CacheIndex = {
    format: CACHE_FORMAT,
    version: CACHE_VERSION,
    dataset: source.dataset,
    split: source.split,
    height: source.height,
    width: source.width,
    channels: source.channels,
    images: total,
    classes: source.classes.map((c) => {
      const entry = { name: c.name, count: c.count, offset };
      offset += c.count;
      return entry;
    }),
    pixelFile,
    pixelBytes: total * imageBytes,
    sha256,
    source: source.source,
    ...(source.layout ? { layout: source.layout } : {}),
    ...(source.sourceIndex ? { sourceIndex: source.sourceIndex } : {}),
  };
  return {
    async commit() {
      await rename(temp, join(dir, pixelFile));
      await writeFileAtomic(cacheIndexPath(dataDir, source.dataset, source.split), `${JSON.stringify(index, null, 1)}\n`);
      await removeStalePixelFiles(dir, source.split, pixelFile);
      return index;
    },
    async abort() {
      await unlink(temp).catch(() => undefined);
    },
  };
}


async function removeStalePixelFiles(dir: string, split: SplitName, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name !== keep && name.startsWith(`${split}-`) && name.endsWith('.pixels')) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/** The index of a packed split, or undefined when none was written. Throws DataError if corrupt. */
export async function readCacheIndex(dataDir: string, dataset: string, split: SplitName): Promise<CacheIndex | undefined> {
  const path = cacheIndexPath(dataDir, dataset, split);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DataError(`cannot read cache index ${path}: ${(e as Error).message}`);
  }
  let index: CacheIndex;
  try {
    index = JSON.parse(text) as CacheIndex;
  } catch {
    throw new DataError(`cache index ${path} is not valid JSON: delete it and run jointshot data prepare ${dataset} again`);
  }
  if (index.format !== CACHE_FORMAT || index.version !== CACHE_VERSION) {
    throw new DataError(`cache index ${path} has format ${index.format} v${index.version}, expected ${CACHE_FORMAT} v${CACHE_VERSION}: run jointshot data prepare ${dataset} again`);
  }
  if (index.dataset !== dataset || index.split !== split) {
    throw new DataError(`cache index ${path} describes ${index.dataset}/${index.split}, expected ${dataset}/${split}`);
  }
  return index;
}

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Options for loading a packed split. */
export interface LoadOptions {
  /** Also check the pixel file's sha256 (reads it twice; size is always checked). */
  verify?: boolean;
  /** The one-line hint given when no cache exists (e.g. which prepare command to run). */
  missingHint?: string;
}

/** Loads a packed split into one Buffer; `image(c, i)` returns views into it. */
export async function loadPackedSplit(dataDir: string, dataset: string, split: SplitName, options: LoadOptions = {}): Promise<FewShotSplit> {
  return (await loadPackedSplitAndIndex(dataDir, dataset, split, options)).split;
}

/** `loadPackedSplit` that also returns the split's index (layout, source order). */
export async function loadPackedSplitAndIndex(
  dataDir: string,
  dataset: string,
  split: SplitName,
  options: LoadOptions = {},
): Promise<{ split: FewShotSplit; index: CacheIndex }> {
  const index = await readCacheIndex(dataDir, dataset, split);
  if (!index) {
    throw new DataError(
      `no prepared ${dataset}/${split} in ${datasetCacheDir(dataDir, dataset)}: ${options.missingHint ?? `run jointshot data prepare ${dataset} --from <path>`}`,
    );
  }
  const pixelPath = join(datasetCacheDir(dataDir, dataset), index.pixelFile);
  const info = await stat(pixelPath).catch(() => undefined);
  if (!info) throw new DataError(`cache ${dataset}/${split}: pixel file ${pixelPath} is missing: run jointshot data prepare ${dataset} again`);
  if (info.size !== index.pixelBytes) {
    throw new DataError(`cache ${dataset}/${split}: ${pixelPath} has ${info.size} bytes, its index says ${index.pixelBytes}: run jointshot data prepare ${dataset} again`);
  }
  const pixels = await readFile(pixelPath);
  if (options.verify) {
    const sha = createHash('sha256').update(pixels).digest('hex');
    if (sha !== index.sha256) throw new DataError(`cache ${dataset}/${split}: ${pixelPath} has sha256 ${sha}, its index says ${index.sha256}: run jointshot data prepare ${dataset} again`);
  }
  return { split: packedSplitView(index, pixels), index };
}

/** A FewShotSplit over the pixels of a packed split. */
function packedSplitView(index: CacheIndex, pixels: Buffer): FewShotSplit {
  const imageBytes = index.height * index.width * index.channels;
  const classes = index.classes.map(({ name, count }) => ({ name, count }));
  return {
    dataset: index.dataset,
    split: index.split,
    classes,
    height: index.height,
    width: index.width,
    channels: index.channels,
    image(c: number, i: number): Uint8Array {
      const cls = index.classes[c];
      if (!cls || !Number.isInteger(i) || i < 0 || i >= cls.count) {
        throw new UsageError(`${index.dataset}/${index.split} has no image ${i} of class ${c} (classes: ${index.classes.length}${cls ? `, images in class: ${cls.count}` : ''})`);
      }
      const start = (cls.offset + i) * imageBytes;
      return pixels.subarray(start, start + imageBytes);
    },
  };
}

/** Every packed split under `dataDir`, by dataset folder name then split order. */
export async function listPackedSplits(dataDir: string): Promise<CacheIndex[]> {
  const entries = await readdir(dataDir, { withFileTypes: true }).catch(() => []);
  const found: CacheIndex[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    for (const split of SPLIT_NAMES) {
      const index = await readCacheIndex(dataDir, entry.name, split).catch(() => undefined);
      if (index) found.push(index);
    }
  }
  return found;
}

/**
 * Deletes temp files left in `dataset`'s cache folder by a prepare that was killed (they are never
 * read). Not safe while another prepare of the same dataset runs.
 */
export async function removeLeftoverTempFiles(dataDir: string, dataset: string): Promise<string[]> {
  const dir = datasetCacheDir(dataDir, dataset);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.tmp'));
  await Promise.all(names.map((n) => unlink(join(dir, n)).catch(() => undefined)));
  return names;
}

/** Fails with a DataError unless `dataDir` can be created and written (probes with a temp file). */
export async function assertWritableDir(dataDir: string): Promise<void> {
  const probe = join(dataDir, `.write-probe-${randomUUID()}`);
  try {
    await makeDir(dataDir);
    await writeFile(probe, '');
    await unlink(probe);
  } catch (e) {
    throw new DataError(`data dir ${dataDir} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): pass a writable --data-dir or set JOINTSHOT_DATA`);
  }
}
