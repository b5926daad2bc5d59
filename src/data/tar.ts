/**
 * Streaming reader for tar and tar.gz archives that never extracts to disk: it returns the bytes
 * of the entries asked for. Entries with an absolute path or a `..` segment are refused, and so
 * are archives that decompress to more than a size limit (decompression bombs).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { DataError } from '../errors.js';

/** Size limits for reading an archive. */
export interface TarLimits {
  /** Largest single entry (bytes). */
  maxEntryBytes: number;
  /** Largest total decompressed size of the archive (bytes). */
  maxTotalBytes: number;
}

/** Defaults sized for CIFAR-100 (a 150 MB train pickle, 180 MB in all). */
export const DEFAULT_TAR_LIMITS: TarLimits = { maxEntryBytes: 512 * 2 ** 20, maxTotalBytes: 1024 * 2 ** 20 };

/** True when an entry name could write outside a target dir: absolute, drive-letter or `..`. */
export function isUnsafeEntryName(name: string): boolean {
  return name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || name.split(/[/\\]/).includes('..');
}

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end < 0 ? length : end);
}

function octal(header: Buffer, start: number, length: number, archive: string): number {
  if (header[start]! & 0x80) {
    // GNU base-256 size
    let v = 0;
    for (let i = start + 1; i < start + length; i++) v = v * 256 + header[i]!;
    return v;
  }
  const text = field(header, start, length).trim();
  if (!/^[0-7]*$/.test(text)) throw new DataError(`${archive}: corrupt tar header (size '${text}'); is it a tar archive?`);
  return text === '' ? 0 : parseInt(text, 8);
}

/** Whether the file at `path` starts with the gzip magic bytes. */
async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/**
 * Reads the archive at `path` (tar or tar.gz) and returns the regular-file entries for which
 * `wanted(name)` is true, keyed by name. Throws DataError on unsafe names, size limits, or a
 * truncated/corrupt archive.
 */
export async function readTarEntries(
  path: string,
  wanted: (name: string) => boolean,
  limits: TarLimits = DEFAULT_TAR_LIMITS,
): Promise<Map<string, Buffer>> {
  if ((await stat(path)).size === 0) throw new DataError(`${path}: empty file (0 bytes), not an archive (an interrupted download leaves one): get it again`);
  const gzip = await isGzip(path);
  // A file that is not an archive at all is named as such, not as a truncated or corrupt one.
  const notAnArchive = (why: string) => new DataError(`${path}: not a ${gzip ? 'tar.gz' : 'tar or tar.gz'} archive (${why}); expected e.g. cifar-100-python.tar.gz`);
  const raw = createReadStream(path);
  const stream = gzip ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (e) => stream.destroy(e));
  const found = new Map<string, Buffer>();
  const header = Buffer.alloc(BLOCK);
  let headerFill = 0;
  let total = 0;
  let ended = false;
  let zeroBlocks = 0;
  let headers = 0;
  // Current entry: bytes still to consume (data + padding), and where its data goes.
  let remaining = 0;
  let padding = 0;
  let target: Buffer | undefined;
  let targetFill = 0;
  let longName: string | undefined;
  let meta: Buffer | undefined; // a GNU long-name or pax header being read
  let metaKind = '';

  const startEntry = (): void => {
    if (header.every((b) => b === 0)) {
      zeroBlocks++;
      if (zeroBlocks === 2) ended = true;
      return;
    }
    zeroBlocks = 0;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
    const checksum = /^[0-7 \0]*$/.test(header.toString('latin1', 148, 156)) ? octal(header, 148, 8, path) : Number.NaN;
    if (sum !== checksum && headers === 0) throw notAnArchive(`${gzip ? 'its content after gunzip' : 'it'} does not start with a tar header`);
    if (sum !== checksum) throw new DataError(`${path}: corrupt tar header (bad checksum); is it a tar archive?`);
    headers++;
    const type = String.fromCharCode(header[156]! || 0x30);
    const prefix = field(header, 345, 155);
    let name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    const size = octal(header, 124, 12, path);
    if (type !== 'L' && type !== 'x' && type !== 'g' && isUnsafeEntryName(name)) {
      throw new DataError(`${path}: refused: entry '${name}' has an absolute path or '..' (it could write outside the target dir)`);
    }
    if (size > limits.maxEntryBytes) {
      throw new DataError(`${path}: refused: entry '${name}' is ${size} bytes, over the ${limits.maxEntryBytes}-byte limit`);
    }
    remaining = size;
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    target = undefined;
    meta = undefined;
    if (type === 'L' || type === 'x') {
      meta = Buffer.alloc(size);
      metaKind = type;
      target = meta;
    } else if ((type === '0' || type === '7') && wanted((name = name.replace(/^\.\//, '')))) {
      target = Buffer.alloc(size);
      found.set(name, target);
    }
    targetFill = 0;
    if (remaining + padding === 0) finishEntry();
  };
  const finishEntry = (): void => {
    if (meta) {
      if (metaKind === 'L') longName = field(meta, 0, meta.length);
      else {
        const paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(meta.toString('utf8'));
        if (paxPath) longName = paxPath[1];
      }
      if (longName !== undefined && isUnsafeEntryName(longName)) {
        throw new DataError(`${path}: refused: entry '${longName}' has an absolute path or '..' (it could write outside the target dir)`);
      }
      meta = undefined;
    }
    target = undefined;
  };

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limits.maxTotalBytes) {
        throw new DataError(`${path}: refused: decompresses to more than ${limits.maxTotalBytes} bytes (limit); not a dataset archive`);
      }
      let at = 0;
      while (at < chunk.length && !ended) {
        if (remaining + padding > 0) {
          const n = Math.min(chunk.length - at, remaining + padding);
          const dataPart = Math.min(n, remaining);
          if (target && dataPart > 0) chunk.copy(target, targetFill, at, at + dataPart);
          targetFill += dataPart;
          remaining -= dataPart;
          padding -= n - dataPart;
          at += n;
          if (remaining + padding === 0) finishEntry();
        } else {
          const n = Math.min(chunk.length - at, BLOCK - headerFill);
          chunk.copy(header, headerFill, at, at + n);
          headerFill += n;
          at += n;
          if (headerFill === BLOCK) {
            headerFill = 0;
            startEntry();
          }
        }
      }
      if (ended) break;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    if (gzip && total === 0) throw notAnArchive(`its gzip data cannot be read: ${(e as Error).message}`);
    throw new DataError(`${path}: cannot read the archive (${(e as Error).message}); it is truncated or corrupt: get it again`);
  } finally {
    raw.destroy();
  }
  if (headers === 0 && zeroBlocks === 0) throw notAnArchive(`${total} bytes${gzip ? ' after gunzip' : ''}, shorter than one tar header`);
  if (!ended && (remaining + padding > 0 || headerFill > 0 || zeroBlocks === 0)) {
    throw new DataError(`${path}: truncated archive (ends inside an entry); get it again`);
  }
  return found;
}
