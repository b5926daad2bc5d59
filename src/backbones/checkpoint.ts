/**
 * Checkpoints: one file = magic + JSON header + one binary blob (format in docs/backbones.md).
 * Holds a backbone (config, weights, batch-norm statistics, DropBlock counter, dropout RNG state),
 * an opaque optimizer-state record and arbitrary extra state (head variables, RNG state, step).
 */
import { endianness } from 'node:os';
import { DataError, UsageError } from '../errors.js';
import { tf } from '../tf.js';
import { open } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.js';
import { createRng } from '../util/rng.js';
import { createBackbone } from './registry.js';
import type { Backbone, BackboneConfig } from './types.js';

/** JSON-serialisable values. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Named tensors and JSON values (optimizer slots, head variables, step, RNG state...). */
export type StateRecord = Record<string, tf.Tensor | JsonValue>;

/** What a checkpoint holds when saved. */
export interface CheckpointContents {
  backbone: Backbone;
  optimizer?: StateRecord;
  extra?: StateRecord;
}

/** A loaded checkpoint; its tensors (and the backbone) belong to the caller, who disposes them. */
export interface LoadedCheckpoint {
  backbone: Backbone;
  optimizer: StateRecord;
  extra: StateRecord;
}

/** The first 8 bytes of every checkpoint file. */
export const CHECKPOINT_MAGIC = 'JSHOTCK1';
export const CHECKPOINT_VERSION = 1;

type StoredDtype = 'float32' | 'int32' | 'bool';
interface TensorEntry {
  tensor: { dtype: StoredDtype; shape: number[]; offset: number; byteLength: number };
}
interface ValueEntry {
  value: JsonValue;
}
type Entry = TensorEntry | ValueEntry;
type Section = Record<string, Entry>;

/** The parsed JSON header of a checkpoint. */
export interface CheckpointHeader {
  format: 'jointshot-checkpoint';
  version: number;
  backbone: { config: BackboneConfig; trainingCalls: number; rng: JsonValue };
  sections: { weights: Section; bnState: Section; optimizer: Section; extra: Section };
}

const PREFIX_BYTES = 12; // magic (8) + header length (uint32 LE)
const ALIGN = 8;

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new UsageError('checkpoints are little-endian; this machine is big-endian');
}

/** Serialises a checkpoint to bytes. */
export function encodeCheckpoint(contents: CheckpointContents): Uint8Array {
  assertLittleEndian();
  const chunks: Uint8Array[] = [];
  let blobBytes = 0;
  const section = (record: StateRecord | Readonly<Record<string, tf.Tensor>>, label: string): Section => {
    const out: Section = {};
    for (const [name, item] of Object.entries(record)) {
      if (!(item instanceof tf.Tensor)) {
        out[name] = { value: item as JsonValue };
        continue;
      }
      if (item.dtype !== 'float32' && item.dtype !== 'int32' && item.dtype !== 'bool') {
        throw new UsageError(`checkpoint ${label} '${name}': dtype ${item.dtype} cannot be saved (float32, int32 or bool)`);
      }
      const data = item.dataSync() as Float32Array | Int32Array | Uint8Array;
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      out[name] = { tensor: { dtype: item.dtype, shape: [...item.shape], offset: blobBytes, byteLength: bytes.length } };
      chunks.push(bytes);
      blobBytes = align(blobBytes + bytes.length);
    }
    return out;
  };
  const { backbone } = contents;
  const header: CheckpointHeader = {
    format: 'jointshot-checkpoint',
    version: CHECKPOINT_VERSION,
    backbone: { config: { ...backbone.config }, trainingCalls: backbone.trainingCalls, rng: backbone.rng.state() as JsonValue },
    sections: {
      weights: section(backbone.trainable, 'weight'),
      bnState: section(backbone.state, 'batch-norm state'),
      optimizer: section(contents.optimizer ?? {}, 'optimizer entry'),
      extra: section(contents.extra ?? {}, 'extra entry'),
    },
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const blobStart = align(PREFIX_BYTES + headerBytes.length);
  const file = new Uint8Array(blobStart + blobBytes);
  file.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  new DataView(file.buffer).setUint32(8, headerBytes.length, true);
  file.set(headerBytes, PREFIX_BYTES);
  let offset = blobStart;
  for (const chunk of chunks) {
    file.set(chunk, offset);
    offset += align(chunk.length);
  }
  return file;
}

/** Parses and checks the header of checkpoint bytes; `source` names the file in errors. */
export function readCheckpointHeader(bytes: Uint8Array, source = 'checkpoint'): { header: CheckpointHeader; blobStart: number } {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.length < PREFIX_BYTES || magic !== CHECKPOINT_MAGIC) {
    throw new DataError(`${source}: not a jointshot checkpoint (expected magic ${CHECKPOINT_MAGIC})`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (PREFIX_BYTES + headerLength > bytes.length) throw new DataError(`${source}: truncated checkpoint header`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch {
    throw new DataError(`${source}: checkpoint header is not valid JSON`);
  }
  if (header.format !== 'jointshot-checkpoint' || header.version !== CHECKPOINT_VERSION) {
    throw new DataError(`${source}: unsupported checkpoint format ${header.format} version ${header.version} (expected ${CHECKPOINT_VERSION})`);
  }
  return { header, blobStart: align(PREFIX_BYTES + headerLength) };
}

/** Rebuilds the backbone and the other records from checkpoint bytes. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): LoadedCheckpoint {
  assertLittleEndian();
  const { header, blobStart } = readCheckpointHeader(bytes, source);
  const toTensor = (name: string, entry: TensorEntry['tensor']): tf.Tensor => {
    const start = bytes.byteOffset + blobStart + entry.offset;
    if (blobStart + entry.offset + entry.byteLength > bytes.length) throw new DataError(`${source}: data of '${name}' is truncated`);
    const copy = bytes.buffer.slice(start, start + entry.byteLength);
    const data =
      entry.dtype === 'float32' ? new Float32Array(copy) : entry.dtype === 'int32' ? new Int32Array(copy) : new Uint8Array(copy);
    return tf.tensor(data, entry.shape, entry.dtype);
  };
  const record = (section: Section): StateRecord => {
    const out: StateRecord = {};
    for (const [name, entry] of Object.entries(section)) {
      out[name] = 'tensor' in entry ? toTensor(name, entry.tensor) : entry.value;
    }
    return out;
  };
  let backbone: Backbone;
  try {
    backbone = createBackbone(header.backbone.config, { initialize: false });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new DataError(`${source}: the stored backbone config is invalid here (${error.message})`);
  }
  try {
    assignAll(backbone.trainable, header.sections.weights, 'weight', toTensor, source);
    assignAll(backbone.state, header.sections.bnState, 'batch-norm state', toTensor, source);
  } catch (error) {
    backbone.dispose();
    throw error;
  }
  backbone.trainingCalls = header.backbone.trainingCalls;
  backbone.rng = createRng(0, header.backbone.rng as object);
  return { backbone, optimizer: record(header.sections.optimizer), extra: record(header.sections.extra) };
}

/** Assigns every stored tensor of `section` to the matching variable; names and shapes must agree. */
function assignAll(
  variables: Readonly<Record<string, tf.Variable>>,
  section: Section,
  label: string,
  toTensor: (name: string, entry: TensorEntry['tensor']) => tf.Tensor,
  source: string,
): void {
  const expected = Object.keys(variables).sort();
  const found = Object.keys(section).sort();
  if (expected.join('\n') !== found.join('\n')) {
    const missing = expected.filter((n) => !(n in section));
    const unexpected = found.filter((n) => !(n in variables));
    throw new DataError(`${source}: ${label} names differ from the architecture (missing: ${missing.join(', ') || 'none'}; unexpected: ${unexpected.join(', ') || 'none'})`);
  }
  for (const name of expected) {
    const entry = section[name]!;
    const variable = variables[name]!;
    if (!('tensor' in entry) || entry.tensor.shape.join(',') !== variable.shape.join(',')) {
      throw new DataError(`${source}: ${label} '${name}' should be a tensor of shape [${variable.shape.join(', ')}]`);
    }
    const value = toTensor(name, entry.tensor);
    variable.assign(value);
    value.dispose();
  }
}

/** Writes a checkpoint atomically (temporary file in the same folder, fsync, rename). */
export async function saveCheckpoint(path: string, contents: CheckpointContents): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(contents));
}

/** Reads a checkpoint written by `saveCheckpoint`. */
export async function loadCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const handle = await open(path, 'r').catch(() => {
    throw new DataError(`cannot read checkpoint ${path}: no such file or not readable`);
  });
  try {
    return decodeCheckpoint(new Uint8Array(await handle.readFile()), path);
  } finally {
    await handle.close();
  }
}
