/**
 * The safetensors format (8-byte little-endian header length, JSON header of
 * `{name: {dtype, shape, data_offsets}}` plus `__metadata__`, then the raw little-endian data),
 * written and read for float32 and int64 tensors. Own code (absence: the format is a page long and
 * no maintained npm package writes it without a native runtime).
 */
import { DataError } from '../errors.js';
import type { HostTensor } from './state-dict.js';

/** safetensors dtypes written and read here. */
export type SafeDtype = 'F32' | 'I64';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const ALIGN = 8;

/**
 * Encodes host tensors in insertion order; names in `int64` are stored as I64 (e.g. BN counters),
 * the rest as F32. `metadata` becomes `__metadata__` (string values only, as the format requires).
 */
export function encodeSafetensors(tensors: ReadonlyMap<string, HostTensor>, metadata: Record<string, string>, int64: ReadonlySet<string> = new Set()): Uint8Array {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const dtype: SafeDtype = int64.has(name) ? 'I64' : 'F32';
    let data: Uint8Array;
    if (dtype === 'I64') {
      const ints = BigInt64Array.from(tensor.values, (v) => BigInt(Math.round(v)));
      data = new Uint8Array(ints.buffer);
    } else {
      data = new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength);
    }
    header[name] = { dtype, shape: [...tensor.shape], data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((ALIGN - ((8 + Buffer.byteLength(json)) % ALIGN)) % ALIGN);
  const head = Buffer.from(json, 'utf8');
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** True when `bytes` start like a safetensors file (plausible header length, then '{'). */
export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return length > 1n && length <= BigInt(bytes.length - 8) && bytes[8] === 0x7b;
}

/** A decoded safetensors file: host tensors (F32/F64/F16/I64/I32 read as float32) and metadata. */
export interface SafetensorsContents {
  tensors: Map<string, HostTensor>;
  dtypes: Map<string, string>;
  metadata: Record<string, string>;
}

/** Decodes a safetensors file; `source` names it in DataErrors. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsContents {
  if (!isSafetensors(bytes)) throw new DataError(`${source}: not a safetensors file (no header length and JSON header at the start)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = Number(view.getBigUint64(0, true));
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, length).toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new DataError(`${source}: safetensors header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + length;
  const tensors = new Map<string, HostTensor>();
  const dtypes = new Map<string, string>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = raw as Partial<HeaderEntry>;
    const shape = entry.shape;
    const offsets = entry.data_offsets;
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2 || typeof entry.dtype !== 'string') {
      throw new DataError(`${source}: safetensors entry '${name}' lacks dtype, shape or data_offsets`);
    }
    const count = shape.reduce((p, d) => p * d, 1);
    const [begin, end] = offsets;
    const readers: Record<string, [number, (at: number) => number]> = {
      F32: [4, (at) => view.getFloat32(at, true)],
      F64: [8, (at) => view.getFloat64(at, true)],
      I64: [8, (at) => Number(view.getBigInt64(at, true))],
      I32: [4, (at) => view.getInt32(at, true)],
    };
    const reader = readers[entry.dtype];
    if (!reader) throw new DataError(`${source}: safetensors entry '${name}' has dtype ${entry.dtype}; only ${Object.keys(readers).join(', ')} are read`);
    const [size, read] = reader;
    if (end - begin !== count * size || dataStart + end > bytes.length || begin < 0) {
      throw new DataError(`${source}: safetensors entry '${name}' [${shape.join(', ')}] ${entry.dtype} has bytes ${begin}..${end}, which do not fit (file data is ${bytes.length - dataStart} bytes)`);
    }
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = read(dataStart + begin + i * size);
    tensors.set(name, { shape: [...shape], values });
    dtypes.set(name, entry.dtype);
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { tensors, dtypes, metadata };
}
