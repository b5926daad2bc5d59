/**
 * Reader for the Ravi & Larochelle layout: `images/*.jpg` plus `{train,val,test}.csv` with
 * columns `filename,label` (mini-ImageNet, tiny-imagenet-fs, or any dataset laid out so).
 * Class order: the carried class list when the dataset has one, else first appearance in the CSV.
 * Image order within a class: CSV row order.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import type { SplitSource } from './cache.js';
import { existingDir, existingFile } from './files.js';
import { decodeImage, mapOrdered, type ImageSize } from './images.js';
import type { ClassInfo, SplitName } from './types.js';

/** Images decoded in parallel while the cache writer consumes them in order. */
export const DECODE_CONCURRENCY = 8;

/** True when `dir` has an `images/` folder and at least one split CSV. */
export async function isRaviLayout(dir: string): Promise<boolean> {
  if (!(await existingDir(join(dir, 'images')))) return false;
  for (const split of ['train', 'val', 'test']) if (await existingFile(join(dir, `${split}.csv`))) return true;
  return false;
}

/** The rows of a Ravi CSV (`filename,label` header), with their 1-based line numbers. */
export async function readRaviCsv(path: string): Promise<{ filename: string; label: string; line: number }[]> {
  if (!(await existingFile(path))) throw new DataError(`missing file ${path}: the Ravi layout needs images/ and {train,val,test}.csv`);
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/);
  if (lines[0]?.trim() !== 'filename,label') throw new DataError(`${path}: first line must be 'filename,label', found '${lines[0]?.slice(0, 60)}'`);
  const rows: { filename: string; label: string; line: number }[] = [];
  lines.forEach((text, i) => {
    if (i === 0 || text.trim() === '') return;
    const parts = text.split(',');
    if (parts.length !== 2 || !parts[0] || !parts[1]) throw new DataError(`${path} line ${i + 1}: expected 'filename,label', found '${text.slice(0, 60)}'`);
    rows.push({ filename: parts[0].trim(), label: parts[1].trim(), line: i + 1 });
  });
  return rows;
}

/**
 * The `split` of the Ravi-layout dataset in `dir` as a source of RGB images at `size`, with the
 * classes in `classNames` order (must match the CSV's labels) or, without it, in CSV order.
 */
export async function raviSplitSource(
  dir: string,
  dataset: string,
  split: SplitName,
  size: ImageSize,
  classNames?: readonly string[],
): Promise<SplitSource> {
  const csv = join(dir, `${split}.csv`);
  const rows = await readRaviCsv(csv);
  const byClass = new Map<string, string[]>();
  for (const row of rows) {
    const file = join(dir, 'images', row.filename);
    if (row.filename.includes('/') || row.filename.includes('\\') || row.filename.startsWith('.')) {
      throw new DataError(`${csv} line ${row.line}: filename '${row.filename}' must be a plain name inside images/`);
    }
    if (!byClass.has(row.label)) byClass.set(row.label, []);
    byClass.get(row.label)!.push(file);
  }
  const missing = await firstMissing(rows.map((r) => ({ file: join(dir, 'images', r.filename), line: r.line })));
  if (missing) throw new DataError(`${csv} line ${missing.line} names ${missing.file}, which does not exist`);
  const order = classNames ?? [...byClass.keys()];
  if (classNames) {
    const extra = [...byClass.keys()].filter((c) => !classNames.includes(c));
    const absent = classNames.filter((c) => !byClass.has(c));
    if (extra.length > 0 || absent.length > 0) {
      throw new DataError(`${csv}: its classes differ from ${dataset}/${split}: missing [${absent.slice(0, 5).join(', ')}], unexpected [${extra.slice(0, 5).join(', ')}]`);
    }
  }
  if (order.length === 0) throw new DataError(`${csv}: no rows`);
  return imageFilesSource(dataset, split, size, order, byClass, dir);
}

/**
 * A split whose images are files (class name -> paths, classes in `order`), decoded to RGB at
 * `size` in parallel and served in order.
 */
export function imageFilesSource(
  dataset: string,
  split: SplitName,
  size: ImageSize,
  order: readonly string[],
  filesByClass: Map<string, string[]>,
  source: string,
): SplitSource {
  const classes: ClassInfo[] = order.map((name) => ({ name, count: filesByClass.get(name)!.length }));
  const files = order.flatMap((name) => filesByClass.get(name)!);
  return {
    dataset,
    split,
    height: size.height,
    width: size.width,
    channels: 3,
    classes,
    source,
    images: () => mapOrdered(files, DECODE_CONCURRENCY, async (file) => decodeImage(await readFile(file), size, file)),
  };
}

/** The first of `entries` whose file does not exist (checked a few at a time), or undefined. */
export async function firstMissing<T extends { file: string }>(entries: T[]): Promise<T | undefined> {
  for (let start = 0; start < entries.length; start += 256) {
    const batch = entries.slice(start, start + 256);
    const exists = await Promise.all(batch.map((e) => existingFile(e.file)));
    const at = exists.indexOf(false);
    if (at >= 0) return batch[at];
  }
  return undefined;
}
