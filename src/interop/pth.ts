/**
 * Reading `.pth` files without running them: PyTorch's zip format (torch >= 1.6:
 * `<name>/data.pkl` + `<name>/data/<key>` storages) and the legacy format of older releases
 * (magic-number pickle, protocol, sys info, the main pickle, the storage keys, raw storages), both
 * through the safe pickle reader with the allow-list of src/interop/torch-pickle.ts.
 */
import { unzipSync } from 'fflate';
import { DataError } from '../errors.js';
import { readPickleAt, type PickleValue } from '../data/pickle.js';
import { torchPickleExtension, type TorchStorage } from './torch-pickle.js';

/** The two container layouts of `torch.save`. */
export type PthFormat = 'zip' | 'legacy';

/** A read .pth file: the unpickled object (tensors as TorchTensor, dicts as Maps) and its layout. */
export interface PthContents {
  root: PickleValue;
  format: PthFormat;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** True when `bytes` start like a zip archive. */
function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function notPth(source: string, found: string): DataError {
  return new DataError(
    `${source}: not a PyTorch checkpoint: expected a zip archive (torch.save since 1.6) or the legacy pickle format (magic number first), found ${found}`,
  );
}

function checkStorageSize(storage: TorchStorage, bytes: number, source: string): void {
  if (storage.numel !== null && storage.numel * storage.itemBytes !== bytes) {
    throw new DataError(`${source}: storage '${storage.key}' has ${bytes} bytes, its ${storage.numel} ${storage.dtype} elements need ${storage.numel * storage.itemBytes}; the file is damaged`);
  }
  if (bytes % storage.itemBytes !== 0) throw new DataError(`${source}: storage '${storage.key}' has ${bytes} bytes, not a whole number of ${storage.dtype}`);
}

function readZip(bytes: Uint8Array, source: string): PthContents {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new DataError(`${source}: damaged zip archive (${(error as Error).message}); save it again with torch.save`);
  }
  const pickles = Object.keys(entries).filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    throw notPth(source, `a zip archive with ${pickles.length === 0 ? 'no' : pickles.length} <name>/data.pkl entries`);
  }
  const prefix = pickles[0]!.slice(0, -'data.pkl'.length);
  const order = entries[`${prefix}byteorder`];
  if (order && Buffer.from(order).toString('latin1') !== 'little') {
    throw new DataError(`${source}: big-endian checkpoint (byteorder '${Buffer.from(order).toString('latin1')}') is not supported`);
  }
  const storages = new Map<string, TorchStorage>();
  const { value } = readPickleAt(entries[pickles[0]!]!, 0, `${source}:${pickles[0]}`, torchPickleExtension(source, storages));
  for (const storage of storages.values()) {
    const data = entries[`${prefix}data/${storage.key}`];
    if (!data) throw new DataError(`${source}: storage '${storage.key}' is missing from the archive (no ${prefix}data/${storage.key})`);
    checkStorageSize(storage, data.length, source);
    storage.bytes = data;
  }
  return { root: value, format: 'zip' };
}

function readLegacy(bytes: Uint8Array, source: string): PthContents {
  const header = (start: number, what: string) => {
    try {
      return readPickleAt(bytes, start, source);
    } catch (error) {
      if (start === 0) throw notPth(source, 'no pickle at the start');
      throw new DataError(`${source}: legacy checkpoint with a damaged ${what} (${(error as Error).message})`);
    }
  };
  const magic = header(0, 'magic number');
  if (typeof magic.value !== 'bigint' || magic.value !== LEGACY_MAGIC) throw notPth(source, `a pickle of ${typeof magic.value} first`);
  const protocol = header(magic.end, 'protocol version');
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new DataError(`${source}: legacy checkpoint protocol ${JSON.stringify(protocol.value)} is not supported (expected ${LEGACY_PROTOCOL})`);
  }
  const sysInfo = header(protocol.end, 'sys info');
  if (sysInfo.value instanceof Map && sysInfo.value.get('little_endian') === false) {
    throw new DataError(`${source}: big-endian checkpoint is not supported`);
  }
  const storages = new Map<string, TorchStorage>();
  const main = readPickleAt(bytes, sysInfo.end, source, torchPickleExtension(source, storages));
  const keys = readPickleAt(bytes, main.end, source);
  if (!Array.isArray(keys.value) || !keys.value.every((k) => typeof k === 'string' || typeof k === 'number')) {
    throw new DataError(`${source}: legacy checkpoint without its list of storage keys`);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const rawKey of keys.value as (string | number)[]) {
    const key = String(rawKey);
    const storage = storages.get(key);
    if (!storage) throw new DataError(`${source}: the storage list names '${key}', which no tensor uses`);
    if (pos + 8 > buf.length) throw new DataError(`${source}: truncated: storage '${key}' is cut off; get the file again`);
    const numel = Number(buf.readBigInt64LE(pos));
    const size = numel * storage.itemBytes;
    if (numel < 0 || pos + 8 + size > buf.length) throw new DataError(`${source}: truncated: storage '${key}' needs ${size} bytes past byte ${pos + 8}, the file has ${buf.length}`);
    checkStorageSize(storage, size, source);
    storage.bytes = bytes.subarray(pos + 8, pos + 8 + size);
    pos += 8 + size;
  }
  return { root: main.value, format: 'legacy' };
}

/** Reads a .pth file's bytes; `source` names it in errors. Throws a one-line DataError for anything else. */
export function readPth(bytes: Uint8Array, source: string): PthContents {
  if (isZip(bytes)) return readZip(bytes, source);
  if (bytes.length >= 2 && bytes[0] === 0x80) return readLegacy(bytes, source);
  const shown = Buffer.from(bytes.subarray(0, 8)).toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  throw notPth(source, bytes.length === 0 ? 'an empty file' : `bytes '${shown}'`);
}
