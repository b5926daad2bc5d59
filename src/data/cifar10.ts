/**
 * Reader for the official CIFAR-10 files: the python batches (`cifar-10-batches-py/data_batch_1..5`,
 * `test_batch`: dicts of 'data' N x 3072 uint8 and 'labels') or the binary ones
 * (`cifar-10-batches-bin/data_batch_1..5.bin`, `test_batch.bin`: records of 1 label byte + 3072
 * pixel bytes), as tar.gz or extracted. The training set is data_batch_1..5 in that order.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DataError } from '../errors.js';
import { fromBinaryRecords, fromPythonBatch, type CifarSet } from './cifar-format.js';
import { existingFile } from './files.js';
import { readTarEntries } from './tar.js';

export type { CifarSet };

const BATCHES = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'];

/** The official train and test sets of a CIFAR archive and where they were read from. */
export interface CifarSets {
  train: CifarSet;
  test: CifarSet;
  source: string;
}

/** What `--from` accepts for CIFAR-10, for error messages. */
export const CIFAR10_FORMS =
  'cifar-10-python.tar.gz or cifar-10-binary.tar.gz (or a dir holding one), or the extracted cifar-10-batches-py/ or cifar-10-batches-bin/ dir';

const pythonBatch = (bytes: Uint8Array, source: string): CifarSet => fromPythonBatch(bytes, source, 'labels', 10);
const binaryBatch = (bytes: Uint8Array, source: string): CifarSet => fromBinaryRecords(bytes, source, 1, 0, 10, 'CIFAR-10');

function concat(sets: CifarSet[]): CifarSet {
  const join = (parts: Uint8Array[]): Uint8Array => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return { labels: join(sets.map((s) => s.labels)), rows: join(sets.map((s) => s.rows)) };
}

/** Reads the files named `name(batch)` through `read`, or undefined when one is missing. */
async function readBatches(read: (name: string) => Promise<Uint8Array | undefined>, binary: boolean, source: string): Promise<CifarSets | undefined> {
  const parse = binary ? binaryBatch : pythonBatch;
  const suffix = binary ? '.bin' : '';
  const sets: CifarSet[] = [];
  for (const batch of [...BATCHES, 'test_batch']) {
    const bytes = await read(`${batch}${suffix}`);
    if (!bytes) return undefined;
    sets.push(parse(bytes, `${source}:${batch}${suffix}`));
  }
  return { train: concat(sets.slice(0, 5)), test: sets[5]!, source };
}

/** Reads CIFAR-10 from an archive (tar/tar.gz, python or binary) or an extracted/parent dir. */
export async function readCifar10(from: string): Promise<CifarSets> {
  const info = await stat(from).catch(() => undefined);
  if (!info) throw new DataError(`${from} does not exist: expected ${CIFAR10_FORMS}`);
  if (info.isFile()) return readCifar10Archive(from);
  for (const [dir, binary] of [
    [from, false],
    [join(from, 'cifar-10-batches-py'), false],
    [from, true],
    [join(from, 'cifar-10-batches-bin'), true],
  ] as const) {
    const read = async (name: string): Promise<Uint8Array | undefined> => ((await existingFile(join(dir, name))) ? readFile(join(dir, name)) : undefined);
    if (!(await existingFile(join(dir, binary ? 'test_batch.bin' : 'test_batch')))) continue;
    const sets = await readBatches(read, binary, dir);
    if (sets) return sets;
    throw new DataError(`${dir} has test_batch but not all of ${BATCHES.join(', ')}: expected ${CIFAR10_FORMS}`);
  }
  for (const name of ['cifar-10-python.tar.gz', 'cifar-10-binary.tar.gz']) {
    if (await existingFile(join(from, name))) return readCifar10Archive(join(from, name));
  }
  throw new DataError(`${from} holds no CIFAR-10 files: expected ${CIFAR10_FORMS}`);
}

async function readCifar10Archive(path: string): Promise<CifarSets> {
  const entries = await readTarEntries(path, (name) => /(^|\/)(data_batch_[1-5]|test_batch)(\.bin)?$/.test(name));
  const byBase = new Map<string, Uint8Array>();
  for (const [name, bytes] of entries) byBase.set(name.slice(name.lastIndexOf('/') + 1), bytes);
  const binary = byBase.has('test_batch.bin');
  const sets = await readBatches(async (name) => byBase.get(name), binary, basename(path));
  if (!sets) throw new DataError(`${path}: the archive lacks some of ${[...BATCHES, 'test_batch'].join(', ')}; expected ${CIFAR10_FORMS}`);
  return sets;
}
