/**
 * Reader for MetaOptNet's pickles (`CIFAR_FS_<split>.pickle`, `FC100_<split>.pickle`,
 * `miniImageNet_category_split_<split>.pickle`): dicts with `data`, uint8 N x H x W x 3, and
 * `labels`, N ints (CIFAR-100 fine labels for CIFAR-FS/FC100; for mini-ImageNet, labels named by
 * the pickle's `catname2label`). Image order within a class: the pickle's order.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import type { SplitSource } from './cache.js';
import { existingFile } from './files.js';
import { isNdArray, readPickle, type PickleValue } from './pickle.js';
import { CIFAR100_FINE_NAMES } from './splits/cifar-100.js';
import type { ClassInfo, SplitName } from './types.js';

const PICKLE_FILES: Readonly<Record<string, Readonly<Record<SplitName, string>>>> = {
  'cifar-fs': { train: 'CIFAR_FS_train.pickle', val: 'CIFAR_FS_val.pickle', test: 'CIFAR_FS_test.pickle' },
  fc100: { train: 'FC100_train.pickle', val: 'FC100_val.pickle', test: 'FC100_test.pickle' },
  'mini-imagenet': {
    train: 'miniImageNet_category_split_train_phase_train.pickle',
    val: 'miniImageNet_category_split_val.pickle',
    test: 'miniImageNet_category_split_test.pickle',
  },
};

const ALLOWED_KEYS = new Set(['data', 'labels', 'catname2label', 'label2catname']);

/** The MetaOptNet pickle file name of a dataset's split, or undefined if MetaOptNet has none. */
export function metaOptNetPickleName(dataset: string, split: SplitName): string | undefined {
  return PICKLE_FILES[dataset]?.[split];
}

/** True when `dir` holds at least one of `dataset`'s MetaOptNet pickles. */
export async function hasMetaOptNetPickles(dir: string, dataset: string): Promise<boolean> {
  const names = PICKLE_FILES[dataset];
  if (!names) return false;
  for (const name of Object.values(names)) if (await existingFile(join(dir, name))) return true;
  return false;
}

/** Reads `dataset`'s `split` pickle from `dir` as a source of `size`x`size` RGB images in `classNames` order. */
export async function metaOptNetSplitSource(
  dir: string,
  dataset: string,
  split: SplitName,
  classNames: readonly string[],
  size: number,
): Promise<SplitSource> {
  const file = join(dir, metaOptNetPickleName(dataset, split)!);
  if (!(await existingFile(file))) throw new DataError(`missing file ${file}: put MetaOptNet's ${split} pickle there, or pass --splits without ${split}`);
  const dict = readPickle(await readFile(file), file);
  if (!(dict instanceof Map)) throw new DataError(`${file}: expected a dict with 'data' and 'labels'`);
  const unexpected = [...dict.keys()].filter((k) => !ALLOWED_KEYS.has(String(k)));
  if (unexpected.length > 0 || !dict.has('data') || !dict.has('labels')) {
    throw new DataError(`${file}: unexpected keys [${[...dict.keys()].join(', ')}]; a MetaOptNet pickle has 'data' and 'labels' (and optionally 'catname2label')`);
  }
  const data = dict.get('data');
  const labels = dict.get('labels');
  if (!isNdArray(data) || data.dtype !== 'u1' || data.shape.length !== 4 || data.shape[1] !== size || data.shape[2] !== size || data.shape[3] !== 3) {
    const found = isNdArray(data) ? `${data.dtype} ${data.shape.join('x')}` : typeof data;
    throw new DataError(`${file}: 'data' must be uint8 N x ${size} x ${size} x 3, found ${found}`);
  }
  const n = data.shape[0]!;
  const labelList = integerList(labels);
  if (!labelList || labelList.length !== n || !labelList.every((l) => Number.isInteger(l) && l >= 0)) {
    throw new DataError(`${file}: 'labels' must be ${n} non-negative integers, one per image`);
  }
  const nameOf = labelNames(dict.get('catname2label'), dataset, file);
  const byClass = new Map<string, number[]>(classNames.map((c) => [c, []]));
  labelList.forEach((label, i) => {
    const name = nameOf(label);
    const members = name === undefined ? undefined : byClass.get(name);
    if (!members) throw new DataError(`${file}: image ${i} has label ${label} (${name ?? 'unnamed'}), which is not a ${dataset}/${split} class`);
    members.push(i);
  });
  const classes: ClassInfo[] = classNames.map((name) => ({ name, count: byClass.get(name)!.length }));
  const empty = classes.find((c) => c.count === 0);
  if (empty) throw new DataError(`${file}: class '${empty.name}' of ${dataset}/${split} has no images`);
  const imageBytes = size * size * 3;
  return {
    dataset,
    split,
    height: size,
    width: size,
    channels: 3,
    classes,
    source: file,
    *images() {
      for (const name of classNames) for (const i of byClass.get(name)!) yield data.data.subarray(i * imageBytes, (i + 1) * imageBytes);
    },
  };
}

/** A list of ints, or a 1-D integer numpy array, as numbers; undefined for anything else. */
function integerList(value: PickleValue | undefined): number[] | undefined {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'number') ? (value as number[]) : undefined;
  if (!isNdArray(value) || value.shape.length !== 1) return undefined;
  const view = new DataView(value.data.buffer, value.data.byteOffset, value.data.byteLength);
  const read: Record<string, (i: number) => number> = {
    u1: (i) => view.getUint8(i),
    i1: (i) => view.getInt8(i),
    u2: (i) => view.getUint16(2 * i, true),
    i2: (i) => view.getInt16(2 * i, true),
    u4: (i) => view.getUint32(4 * i, true),
    i4: (i) => view.getInt32(4 * i, true),
    i8: (i) => Number(view.getBigInt64(8 * i, true)),
    u8: (i) => Number(view.getBigUint64(8 * i, true)),
  };
  const at = read[value.dtype];
  return at ? Array.from({ length: value.shape[0]! }, (_, i) => at(i)) : undefined;
}

/** How labels map to class names: CIFAR-100 fine names, or the pickle's own catname2label. */
function labelNames(catname2label: PickleValue | undefined, dataset: string, file: string): (label: number) => string | undefined {
  if (dataset !== 'mini-imagenet') return (label) => CIFAR100_FINE_NAMES[label];
  if (!(catname2label instanceof Map)) throw new DataError(`${file}: has no 'catname2label' dict, so its labels cannot be named`);
  const names = new Map<number, string>();
  for (const [name, label] of catname2label) if (typeof label === 'number') names.set(label, String(name));
  return (label) => names.get(label);
}
