/**
 * Downloads with resume and checksum: bytes go to `<dest>.part`; a later run continues it with an
 * HTTP Range request; the finished file is checked against its md5 and only then renamed to
 * `dest`. A file whose md5 is wrong is deleted and reported, never used. Requests go through
 * undici's EnvHttpProxyAgent, so HTTP_PROXY / HTTPS_PROXY / NO_PROXY (or lower case) are honoured.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { makeDir } from '../util/make-dir.js';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { DataError } from '../errors.js';

/** Options of a download. */
export interface DownloadOptions {
  /** Expected md5 (hex) of the whole file. */
  md5: string;
  /** Refuse files larger than this (bytes); default 2 GiB. */
  maxBytes?: number;
  /** Called now and then with bytes so far and the total when known. */
  onProgress?: (bytes: number, total: number | undefined) => void;
}

/** What a download did. */
export interface DownloadResult {
  path: string;
  bytes: number;
  /** Bytes that were already on disk from an earlier, interrupted run. */
  resumedFrom: number;
  /** True when `dest` was already complete and verified (nothing fetched). */
  alreadyPresent: boolean;
}

const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 60_000;

/** The parts of an HTTP response a download reads. */
interface Response {
  status: number;
  header(name: string): string | undefined;
  body: Readable;
}

/** md5 (hex) of a file, streamed. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Fetches `url` to `dest` with resume and md5 verification; throws DataError with one line on failure. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<DownloadResult> {
  const maxBytes = options.maxBytes ?? 2 * 2 ** 30;
  await makeDir(dirname(dest));
  if ((await stat(dest).catch(() => undefined))?.isFile()) {
    const md5 = await md5File(dest);
    if (md5 !== options.md5) throw new DataError(`${dest} exists but its md5 is ${md5}, expected ${options.md5}: delete it and run again`);
    return { path: dest, bytes: (await stat(dest)).size, resumedFrom: 0, alreadyPresent: true };
  }
  const part = `${dest}.part`;
  const resumedFrom = (await stat(part).catch(() => undefined))?.size ?? 0;
  // Loaded here so that importing jointshot does not load undici.
  const { EnvHttpProxyAgent } = await import('undici');
  const dispatcher = new EnvHttpProxyAgent({ headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  try {
    await fetchInto(dispatcher, url, part, resumedFrom, maxBytes, options.onProgress);
  } finally {
    await dispatcher.destroy();
  }
  const md5 = await md5File(part);
  if (md5 !== options.md5) {
    await unlink(part).catch(() => undefined);
    throw new DataError(`checksum mismatch for ${url}: md5 ${md5}, expected ${options.md5}; the partial file was deleted, run again (or check the URL)`);
  }
  await rename(part, dest);
  return { path: dest, bytes: (await stat(dest)).size, resumedFrom, alreadyPresent: false };
}

/** GETs `url` (following redirects) and appends from byte `from` to `part` (or rewrites it). */
async function fetchInto(
  dispatcher: Dispatcher,
  url: string,
  part: string,
  from: number,
  maxBytes: number,
  onProgress: DownloadOptions['onProgress'],
  redirects = 0,
): Promise<void> {
  const { status, header, body: response } = await get(dispatcher, url, from);
  const location = header('location');
  if (status >= 300 && status < 400 && location) {
    response.resume();
    if (redirects >= MAX_REDIRECTS) throw new DataError(`${url}: too many redirects`);
    return fetchInto(dispatcher, new URL(location, url).toString(), part, from, maxBytes, onProgress, redirects + 1);
  }
  if (status === 416 && from > 0) {
    response.resume();
    return; // the part is already complete; the checksum decides
  }
  if (status !== 200 && status !== 206) {
    response.resume();
    throw new DataError(`GET ${url} answered HTTP ${status}`);
  }
  let start = 0;
  if (status === 206) {
    const range = /^bytes (\d+)-/.exec(header('content-range') ?? '');
    if (!range || Number(range[1]) !== from) {
      response.resume();
      throw new DataError(`GET ${url}: the server resumed at '${header('content-range')}', expected byte ${from}; delete ${part} and run again`);
    }
    start = from;
  }
  const length = header('content-length') === undefined ? undefined : Number(header('content-length'));
  const total = length === undefined ? undefined : start + length;
  if (total !== undefined && total > maxBytes) {
    response.resume();
    throw new DataError(`GET ${url}: ${total} bytes is over the ${maxBytes}-byte limit`);
  }
  const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
  let bytes = start;
  try {
    await new Promise<void>((resolve, reject) => {
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes) response.destroy(new Error(`over the ${maxBytes}-byte limit`));
        else if (!out.write(chunk)) {
          response.pause();
          out.once('drain', () => response.resume());
        }
        onProgress?.(bytes, total);
      });
      response.on('error', reject);
      response.on('end', () => {
        if (total !== undefined && bytes < total) reject(new Error('connection closed early'));
        else resolve();
      });
      out.on('error', reject);
    });
  } catch (e) {
    throw new DataError(`download of ${url} stopped after ${bytes} bytes (${(e as Error).message}); run the command again to resume`);
  } finally {
    await new Promise<void>((resolve) => out.end(resolve));
  }
}

/** Starts a GET of `url` through `dispatcher`, asking for bytes from `from` on when resuming. */
async function get(dispatcher: Dispatcher, url: string, from: number): Promise<Response> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DataError(`'${url}' is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new DataError(`'${url}': only http and https downloads are supported`);
  try {
    const response = await dispatcher.request({
      origin: parsed.origin,
      path: `${parsed.pathname}${parsed.search}`,
      method: 'GET',
      headers: from > 0 ? { range: `bytes=${from}-` } : {},
    });
    const header = (name: string): string | undefined => {
      const value = response.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    return { status: response.statusCode, header, body: response.body };
  } catch (e) {
    throw new DataError(`GET ${url} failed (${(e as Error).message})${proxyHint(parsed)}; check the network and run again to resume`);
  }
}

/** Names the proxy variable that applies to `url`, without its credentials, for error messages. */
function proxyHint(url: URL): string {
  const env = process.env;
  const https = env.https_proxy ?? env.HTTPS_PROXY;
  const http = env.http_proxy ?? env.HTTP_PROXY;
  const proxy = url.protocol === 'https:' ? (https ?? http) : http;
  if (!proxy) return '';
  const name = url.protocol === 'https:' && https ? 'HTTPS_PROXY' : 'HTTP_PROXY';
  let shown = proxy;
  try {
    const p = new URL(proxy);
    p.username = '';
    p.password = '';
    shown = p.toString().replace(/\/$/, '');
  } catch {
    // not a URL: shown as set
  }
  return ` via ${name}=${shown} (hosts in NO_PROXY bypass it)`;
}
