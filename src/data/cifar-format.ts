/**
 * The two official CIFAR file formats, shared by the CIFAR-10 and CIFAR-100 readers: python
 * pickles (a dict of 'data', N x 3072 uint8 in R, G, B planes, and a label list) and binary
 * records (label byte(s) then 3072 pixel bytes).
 */
import { DataError } from '../errors.js';
import { isNdArray, readPickle } from './pickle.js';

/** Bytes of one CIFAR image (32x32, R, G, B planes). */
export const CIFAR_IMAGE_BYTES = 32 * 32 * 3;

/** One CIFAR set: labels and rows of 3072 bytes (R, G, B planes), in file order. */
export interface CifarSet {
  labels: Uint8Array;
  rows: Uint8Array;
}

/** A python-pickle batch: 'data' N x 3072 uint8 and `labelKey` N integers in 0..classes-1. */
export function fromPythonBatch(bytes: Uint8Array, source: string, labelKey: string, classes: number): CifarSet {
  const dict = readPickle(bytes, source);
  if (!(dict instanceof Map)) throw new DataError(`${source}: expected a dict of 'data' and '${labelKey}'`);
  const data = dict.get('data');
  const labels = dict.get(labelKey);
  if (!isNdArray(data) || data.dtype !== 'u1' || data.shape.length !== 2 || data.shape[1] !== CIFAR_IMAGE_BYTES) {
    throw new DataError(`${source}: 'data' must be a uint8 array N x ${CIFAR_IMAGE_BYTES}, found ${isNdArray(data) ? `${data.dtype} ${data.shape.join('x')}` : typeof data}`);
  }
  const n = data.shape[0]!;
  if (!Array.isArray(labels) || labels.length !== n || !labels.every((l) => typeof l === 'number' && Number.isInteger(l) && l >= 0 && l < classes)) {
    throw new DataError(`${source}: '${labelKey}' must be ${n} integers in 0..${classes - 1}`);
  }
  return { labels: Uint8Array.from(labels as number[]), rows: data.data };
}

/** Binary records of `header` bytes (the label at `labelAt`) then the 3072 pixel bytes. */
export function fromBinaryRecords(bytes: Uint8Array, source: string, header: number, labelAt: number, classes: number, format: string): CifarSet {
  const record = CIFAR_IMAGE_BYTES + header;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new DataError(`${source}: ${bytes.length} bytes is not a whole number of ${record}-byte ${format} records (truncated?)`);
  }
  const n = bytes.length / record;
  const labels = new Uint8Array(n);
  const rows = new Uint8Array(n * CIFAR_IMAGE_BYTES);
  for (let i = 0; i < n; i++) {
    const label = bytes[i * record + labelAt]!;
    if (label >= classes) throw new DataError(`${source}: record ${i} has ${classes === 100 ? 'fine ' : ''}label ${label}, expected 0..${classes - 1}`);
    labels[i] = label;
    rows.set(bytes.subarray(i * record + header, (i + 1) * record), i * CIFAR_IMAGE_BYTES);
  }
  return { labels, rows };
}
