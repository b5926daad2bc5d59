/**
 * Reader for a plain folder of class sub-folders of images. The split of classes into
 * train/val/test comes from a JSON file (`{"train": [...], "val": [...], "test": [...]}`, class
 * order as listed) or is drawn with a seed (classes sorted by name, shuffled, cut by counts; each
 * split then sorted by name). Image order within a class: file names sorted.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import type { SplitSource } from './cache.js';
import { existingDir } from './files.js';
import { probeImage, type ImageSize } from './images.js';
import { imageFilesSource } from './ravi.js';
import { SPLIT_NAMES, type SplitName } from './types.js';

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|tiff?|gif)$/i;

/** Class name -> image paths (sorted), for every sub-folder of `dir` that holds images. */
export async function readClassFolders(dir: string): Promise<Map<string, string[]>> {
  if (!(await existingDir(dir))) throw new DataError(`${dir} is not a folder: expected a folder of class sub-folders of images`);
  const classes = new Map<string, string[]>();
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.'));
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const files = (await readdir(join(dir, entry.name))).filter((n) => IMAGE_EXTENSIONS.test(n)).sort();
    if (files.length === 0) throw new DataError(`${join(dir, entry.name)}: class folder without images (.jpg, .png, .webp, .tif, .gif)`);
    classes.set(entry.name, files.map((f) => join(dir, entry.name, f)));
  }
  if (classes.size === 0) throw new DataError(`${dir}: no class sub-folders of images found`);
  return classes;
}

/** Class names per split. */
export type ClassSplit = Record<SplitName, string[]>;

/** Reads a split file `{"train": [...], "val": [...], "test": [...]}` and checks it against `known` classes. */
export async function readSplitFile(path: string, known: readonly string[]): Promise<ClassSplit> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new DataError(`cannot read split file ${path}: ${(e as Error).message}`);
  }
  const split = {} as ClassSplit;
  const seen = new Set<string>();
  for (const name of SPLIT_NAMES) {
    const list = (parsed as Record<string, unknown>)?.[name] ?? [];
    if (!Array.isArray(list) || !list.every((c) => typeof c === 'string')) throw new DataError(`${path}: '${name}' must be a list of class folder names`);
    for (const c of list as string[]) {
      if (!known.includes(c)) throw new DataError(`${path}: ${name} class '${c}' has no folder`);
      if (seen.has(c)) throw new DataError(`${path}: class '${c}' is in two splits`);
      seen.add(c);
    }
    split[name] = list as string[];
  }
  return split;
}

/** Draws a class split with `seed`: `counts` classes for train/val/test (default 64%/16%/rest). */
export function drawClassSplit(classNames: readonly string[], seed: number, counts?: readonly number[]): ClassSplit {
  const n = classNames.length;
  const [train, val] = counts ?? [Math.round(n * 0.64), Math.round(n * 0.16)];
  const test = counts ? counts[2]! : n - train! - val!;
  if (train! + val! + test > n || [train, val, test].some((c) => !Number.isInteger(c) || c! < 0)) {
    throw new UsageError(`--split-counts ${[train, val, test].join(',')} asks for more classes than the ${n} folders`);
  }
  const order = shuffleInPlace(createRng(seed), [...classNames].sort());
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return {
    train: order.slice(0, train).sort(byName),
    val: order.slice(train, train! + val!).sort(byName),
    test: order.slice(train! + val!, train! + val! + test).sort(byName),
  };
}

/** The size of the first image of the first class (the default target size of a folder dataset). */
export async function firstImageSize(classes: Map<string, string[]>): Promise<ImageSize> {
  const first = [...classes.values()][0]![0]!;
  const meta = await probeImage(await readFile(first), first);
  return { height: meta.height, width: meta.width };
}

/** One split of a class-folder dataset as a source of RGB images at `size`. */
export function folderSplitSource(
  dataset: string,
  split: SplitName,
  classes: Map<string, string[]>,
  classNames: readonly string[],
  size: ImageSize,
  source: string,
): SplitSource {
  return imageFilesSource(dataset, split, size, classNames, classes, source);
}
