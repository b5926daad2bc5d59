/**
 * Reader for a plain folder of class sub-folders of images. The split of classes into
 * train/val/test comes from a JSON file (`{"train": [...], "val": [...], "test": [...]}`, class
 * order as listed) or is drawn with a seed (classes sorted by name, shuffled, cut by counts; each
 * split then sorted by name). Image order within a class: file names sorted.
 * A folder with `train/` and `test/` (and optionally `val/`) folders of the same class sub-folders
 * (CUB-200, MIT-67, Stanford Dogs as users lay them out) is a whole-class dataset instead: its
 * splits share the classes (sorted by name) and are packed with the `classification` layout.
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

/** True when `dir` has `train/` and `test/` folders (the whole-class layout). */
export async function isTrainTestLayout(dir: string): Promise<boolean> {
  return (await existingDir(join(dir, 'train'))) && (await existingDir(join(dir, 'test')));
}

/** The class folders of `dir`'s train/, test/ and optional val/, checked to hold the same classes. */
export async function readTrainTestFolders(dir: string): Promise<Partial<Record<SplitName, Map<string, string[]>>> & { train: Map<string, string[]> }> {
  const train = await readClassFolders(join(dir, 'train'));
  const sets: Partial<Record<SplitName, Map<string, string[]>>> & { train: Map<string, string[]> } = { train };
  for (const split of ['val', 'test'] as const) {
    if (split === 'val' && !(await existingDir(join(dir, 'val')))) continue;
    const classes = await readClassFolders(join(dir, split));
    const missing = [...train.keys()].find((c) => !classes.has(c));
    const extra = [...classes.keys()].find((c) => !train.has(c));
    if (missing !== undefined || extra !== undefined) {
      throw new DataError(
        `${join(dir, split)}: ${missing !== undefined ? `has no folder for train class '${missing}'` : `class '${extra}' has no folder in ${join(dir, 'train')}`}: train/ and ${split}/ must hold the same class folders`,
      );
    }
    sets[split] = classes;
  }
  return sets;
}

/** The splits of a train/test class-folder layout as whole-class sources (classes in train/ order). */
export function trainTestFolderSources(dataset: string, sets: Partial<Record<SplitName, Map<string, string[]>>>, size: ImageSize, source: string): SplitSource[] {
  const names = [...sets.train!.keys()];
  return SPLIT_NAMES.filter((s) => sets[s]).map((s) => ({ ...imageFilesSource(dataset, s, size, names, sets[s]!, join(source, s)), layout: 'classification' as const }));
}
