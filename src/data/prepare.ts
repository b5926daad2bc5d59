/**
 * `data prepare`: reads a dataset from the files a researcher has (CIFAR-100 archive, MetaOptNet
 * pickles, Ravi layout, class folders) and writes its packed cache. All splits are read and
 * written to temp files first and published together at the end, so a failed or interrupted
 * prepare leaves no new split behind and any earlier cache untouched.
 */
import { stat } from 'node:fs/promises';
import { DataError, UsageError } from '../errors.js';
import { assertWritableDir, removeLeftoverTempFiles, stagePackedSplit, type CacheIndex, type SplitSource, type StagedSplit } from './cache.js';
import { readCifar100, cifarSplitSource } from './cifar100.js';
import { cifarWholeClassSources, readCifarSets } from './cifar-whole.js';
import { classList } from './class-lists.js';
import { drawClassSplit, firstImageSize, folderSplitSource, isTrainTestLayout, readClassFolders, readSplitFile, readTrainTestFolders, trainTestFolderSources } from './folder.js';
import { hasMetaOptNetPickles, metaOptNetSplitSource } from './metaoptnet.js';
import { isRaviLayout, raviSplitSource } from './ravi.js';
import { PREPARABLE, SOURCE_FORMS } from './sources.js';
import { SPLIT_NAMES, type SplitName } from './types.js';

export { PREPARABLE, SOURCE_FORMS };

/** What `data prepare` needs. */
export interface PrepareOptions {
  /** cifar-fs, fc100, mini-imagenet, tiny-imagenet-fs, cifar-10, cifar-100, or folder. */
  dataset: string;
  /** The source: an archive, a folder of pickles, a Ravi-layout folder, or a folder of class folders. */
  from: string;
  dataDir: string;
  /** Splits to prepare (default all three). */
  splits?: readonly SplitName[];
  /** Square image size to store (resizing larger images down); default the dataset's native size. */
  size?: number;
  /** folder only: the name to register the dataset under (default 'folder'). */
  name?: string;
  /** folder only: JSON file with the class split. */
  splitFile?: string;
  /** folder only: classes for train,val,test when drawing the split with `seed`. */
  splitCounts?: readonly number[];
  /** folder only: seed of the drawn class split (default 0). */
  seed?: number;
  /** Called with one line per finished step. */
  onProgress?: (line: string) => void;
}

/** Reads the source and writes the packed cache of each split; returns the written indexes. */
export async function prepareDataset(options: PrepareOptions): Promise<CacheIndex[]> {
  const { dataset, from, dataDir } = options;
  if (!(dataset in PREPARABLE)) {
    throw new UsageError(`cannot prepare '${dataset}': expected one of ${Object.keys(PREPARABLE).join(', ')}`);
  }
  if (!(await stat(from).catch(() => undefined))) throw new DataError(`--from ${from} does not exist: expected ${SOURCE_FORMS[dataset]}`);
  const splits = options.splits ?? SPLIT_NAMES;
  await assertWritableDir(dataDir);
  const started = Date.now();
  const sources = await splitSources(options, splits);
  for (const dataset of new Set(sources.map((s) => s.dataset))) {
    const removed = await removeLeftoverTempFiles(dataDir, dataset);
    if (removed.length > 0) options.onProgress?.(`removed ${removed.length} temp file(s) left by an interrupted prepare of ${dataset}`);
  }
  const staged: StagedSplit[] = [];
  try {
    for (const source of sources) {
      const t0 = Date.now();
      const progress = (done: number, total: number): void => options.onProgress?.(`${source.dataset}/${source.split}: ${done} of ${total} images`);
      staged.push(await stagePackedSplit(dataDir, source, progress));
      options.onProgress?.(
        `${source.dataset}/${source.split}: ${source.classes.length} classes, ${source.classes.reduce((n, c) => n + c.count, 0)} images ${source.height}x${source.width}x${source.channels} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
  } catch (e) {
    await Promise.all(staged.map((s) => s.abort()));
    throw e;
  }
  const indexes: CacheIndex[] = [];
  for (const s of staged) indexes.push(await s.commit());
  options.onProgress?.(`prepared ${sources[0]?.dataset} in ${((Date.now() - started) / 1000).toFixed(1)} s under ${dataDir}`);
  return indexes;
}

function squareSize(options: PrepareOptions, native: number): { height: number; width: number } {
  const size = options.size ?? native;
  if (!Number.isInteger(size) || size < 1 || size > 1024) throw new UsageError(`--size ${size} must be an integer in 1..1024`);
  return { height: size, width: size };
}

async function splitSources(options: PrepareOptions, splits: readonly SplitName[]): Promise<SplitSource[]> {
  const { dataset, from } = options;
  const native = PREPARABLE[dataset];
  const isDir = (await stat(from)).isDirectory();
  if (dataset === 'cifar-10' || dataset === 'cifar-100') {
    if (options.size !== undefined && options.size !== 32) throw new UsageError(`${dataset} images are 32x32; --size ${options.size} is not supported`);
    if (options.splits && options.splits.some((s) => s === 'val')) throw new UsageError(`${dataset} has train and test splits only (--hold-out-val takes its validation images from train)`);
    const sources = cifarWholeClassSources(dataset, await readCifarSets(dataset, from));
    return sources.filter((s) => splits.includes(s.split));
  }
  if (dataset === 'cifar-fs' || dataset === 'fc100') {
    if (options.size !== undefined && options.size !== 32) throw new UsageError(`${dataset} images are 32x32; --size ${options.size} is not supported (resize at load time)`);
    if (isDir && (await hasMetaOptNetPickles(from, dataset))) {
      return Promise.all(splits.map((s) => metaOptNetSplitSource(from, dataset, s, classList(dataset, s), 32)));
    }
    const cifar = await readCifar100(from);
    return splits.map((s) => cifarSplitSource(cifar, dataset, s, classList(dataset, s)));
  }
  if (dataset === 'mini-imagenet' && isDir && (await hasMetaOptNetPickles(from, dataset))) {
    if (options.size !== undefined && options.size !== 84) throw new UsageError(`MetaOptNet's mini-ImageNet pickles are 84x84; --size ${options.size} is not supported`);
    return Promise.all(splits.map((s) => metaOptNetSplitSource(from, dataset, s, classList(dataset, s), 84)));
  }
  if (dataset === 'mini-imagenet' || dataset === 'tiny-imagenet-fs') {
    if (!isDir || !(await isRaviLayout(from))) throw new DataError(`${from} is not a ${dataset} source: expected ${SOURCE_FORMS[dataset]}`);
    const size = squareSize(options, native!);
    return Promise.all(splits.map((s) => raviSplitSource(from, dataset, s, size, classList(dataset, s))));
  }
  return folderSources(options, splits);
}

async function folderSources(options: PrepareOptions, splits: readonly SplitName[]): Promise<SplitSource[]> {
  const name = options.name ?? 'folder';
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new UsageError(`--name '${name}' must be letters, digits, '.', '_' or '-'`);
  if (name in PREPARABLE && name !== 'folder') throw new UsageError(`--name '${name}' is a built-in dataset; choose another name`);
  if (await isTrainTestLayout(options.from)) {
    if (options.splitFile || options.splitCounts) throw new UsageError(`${options.from} has train/ and test/ folders (their own split): drop --split-file and --split-counts`);
    const sets = await readTrainTestFolders(options.from);
    const size = options.size ? squareSize(options, options.size) : await firstImageSize(sets.train);
    return trainTestFolderSources(name, sets, size, options.from).filter((s) => splits.includes(s.split));
  }
  const classes = await readClassFolders(options.from);
  const names = [...classes.keys()];
  const plan = options.splitFile ? await readSplitFile(options.splitFile, names) : drawClassSplit(names, options.seed ?? 0, options.splitCounts);
  const size = options.size ? squareSize(options, options.size) : await firstImageSize(classes);
  return splits
    .filter((s) => plan[s].length > 0)
    .map((s) => folderSplitSource(name, s, classes, plan[s], size, options.from));
}
