/**
 * Reader for the official CIFAR-100 files (python pickles or binary records, as tar.gz or
 * extracted), and the CIFAR-FS / FC100 splits built from them.
 * Class order: the order of the carried class lists (CIFAR-FS: the list files' order; FC100: its
 * superclasses in list order, each superclass's five fine classes in alphabetical order).
 * Image order within a class: CIFAR-100 train images of that class in file order, then its test
 * images in file order (500 + 100 = 600 per class in the official files).
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataError } from '../errors.js';
import type { SplitSource } from './cache.js';
import { CIFAR_IMAGE_BYTES, fromBinaryRecords, fromPythonBatch } from './cifar-format.js';
import { CIFAR100_FINE_NAMES } from './splits/cifar-100.js';
import { readTarEntries } from './tar.js';
import type { ClassInfo, SplitName } from './types.js';
import { existingFile } from './files.js';

const IMAGE = CIFAR_IMAGE_BYTES;

/** One CIFAR-100 set (train or test): fine labels and rows of 3072 bytes (R, G, B planes). */
export interface Cifar100Set {
  fineLabels: Uint8Array;
  rows: Uint8Array;
}

/** The two sets of CIFAR-100 and where they were read from. */
export interface Cifar100 {
  train: Cifar100Set;
  test: Cifar100Set;
  source: string;
}

function fromPythonPickle(bytes: Uint8Array, source: string): Cifar100Set {
  const set = fromPythonBatch(bytes, source, 'fine_labels', 100);
  return { fineLabels: set.labels, rows: set.rows };
}

function fromBinary(bytes: Uint8Array, source: string): Cifar100Set {
  const set = fromBinaryRecords(bytes, source, 2, 1, 100, 'CIFAR-100');
  return { fineLabels: set.labels, rows: set.rows };
}

const ARCHIVE_NAMES = ['cifar-100-python.tar.gz', 'cifar-100-binary.tar.gz'];

/** What `--from` accepts for CIFAR-100, for error messages. */
export const CIFAR100_FORMS =
  'cifar-100-python.tar.gz or cifar-100-binary.tar.gz (or a dir holding one), or the extracted cifar-100-python/ or cifar-100-binary/ dir';

/** Reads CIFAR-100 from an archive (tar/tar.gz, python or binary) or an extracted/parent dir. */
export async function readCifar100(from: string): Promise<Cifar100> {
  const info = await stat(from).catch(() => undefined);
  if (!info) throw new DataError(`${from} does not exist: expected ${CIFAR100_FORMS}`);
  if (info.isFile()) return readCifar100Archive(from);
  for (const [dir, binary] of [
    [from, false],
    [join(from, 'cifar-100-python'), false],
    [from, true],
    [join(from, 'cifar-100-binary'), true],
  ] as const) {
    const train = join(dir, binary ? 'train.bin' : 'train');
    const test = join(dir, binary ? 'test.bin' : 'test');
    if ((await existingFile(train)) && (await existingFile(test))) {
      const read = binary ? fromBinary : fromPythonPickle;
      return { train: read(await readFile(train), train), test: read(await readFile(test), test), source: dir };
    }
  }
  for (const name of ARCHIVE_NAMES) {
    if (await existingFile(join(from, name))) return readCifar100Archive(join(from, name));
  }
  throw new DataError(`${from} holds no CIFAR-100 files: expected ${CIFAR100_FORMS}`);
}

async function readCifar100Archive(path: string): Promise<Cifar100> {
  const entries = await readTarEntries(path, (name) => /(^|\/)(train|test)(\.bin)?$/.test(name));
  const pick = (set: 'train' | 'test'): Cifar100Set => {
    for (const [name, bytes] of entries) {
      if (new RegExp(`(^|/)${set}$`).test(name)) return fromPythonPickle(bytes, `${path}:${name}`);
      if (new RegExp(`(^|/)${set}\\.bin$`).test(name)) return fromBinary(bytes, `${path}:${name}`);
    }
    throw new DataError(`${path}: the archive has no '${set}' file; expected ${CIFAR100_FORMS}`);
  };
  return { train: pick('train'), test: pick('test'), source: basename(path) };
}

/** A split of CIFAR-100 fine classes (class names in order) as a source for the packed cache. */
export function cifarSplitSource(cifar: Cifar100, dataset: string, split: SplitName, classNames: readonly string[]): SplitSource {
  const members = classNames.map((name) => {
    const label = CIFAR100_FINE_NAMES.indexOf(name);
    if (label < 0) throw new DataError(`${dataset}/${split}: '${name}' is not a CIFAR-100 class`);
    const of = (set: Cifar100Set): number[] => {
      const found: number[] = [];
      set.fineLabels.forEach((l, i) => l === label && found.push(i));
      return found;
    };
    return { name, train: of(cifar.train), test: of(cifar.test) };
  });
  const classes: ClassInfo[] = members.map((m) => ({ name: m.name, count: m.train.length + m.test.length }));
  const empty = classes.find((c) => c.count === 0);
  if (empty) throw new DataError(`${cifar.source}: CIFAR-100 class '${empty.name}' has no images; is the archive complete?`);
  return {
    dataset,
    split,
    height: 32,
    width: 32,
    channels: 3,
    classes,
    source: cifar.source,
    *images() {
      for (const m of members) {
        for (const i of m.train) yield planesToHwc(cifar.train.rows, i);
        for (const i of m.test) yield planesToHwc(cifar.test.rows, i);
      }
    },
  };
}

/** Row `i` of CIFAR's R,G,B planes (1024 bytes each) as one 32x32x3 HWC image. */
export function planesToHwc(rows: Uint8Array, i: number): Uint8Array {
  const out = new Uint8Array(IMAGE);
  const base = i * IMAGE;
  for (let p = 0; p < 1024; p++) {
    out[p * 3] = rows[base + p]!;
    out[p * 3 + 1] = rows[base + 1024 + p]!;
    out[p * 3 + 2] = rows[base + 2048 + p]!;
  }
  return out;
}
