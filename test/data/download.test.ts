import test from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { CIFAR_ARCHIVES, cifar100ArchivePath, cifarArchivePath, downloadCifar, downloadCifar100 } from '../../src/data/cifar100-download.js';
import { loadPackedSplit } from '../../src/data/cache.js';
import { classList } from '../../src/data/class-lists.js';
import { downloadFile } from '../../src/data/download.js';
import { FIXTURES, tempDir } from './helpers.js';

// The servers here are on 127.0.0.1, reached directly: a proxy set in the environment would be in the way (download-proxy.test.ts tests proxies).
for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) delete process.env[name];

const ARCHIVE = readFileSync(join(FIXTURES, 'cifar-100-python.tar.gz'));
const MD5 = createHash('md5').update(ARCHIVE).digest('hex');
const CIFAR10_ARCHIVE = readFileSync(join(FIXTURES, 'cifar-10-python.tar.gz'));

/** A server on 127.0.0.1 serving ARCHIVE with Range support; `cutAfter` bytes drops the first full response. */
async function serve(t: import('ava').ExecutionContext, options: { cutAfter?: number } = {}) {
  const ranges: (string | undefined)[] = [];
  let cut = options.cutAfter;
  const server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/cifar-100-python.tar.gz' }).end();
      return;
    }
    if (req.url === '/cifar-10-python.tar.gz') {
      res.end(CIFAR10_ARCHIVE);
      return;
    }
    if (req.url !== '/cifar-100-python.tar.gz') {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const body = ARCHIVE.subarray(start);
    res.writeHead(range ? 206 : 200, {
      'content-length': body.length,
      ...(range ? { 'content-range': `bytes ${start}-${ARCHIVE.length - 1}/${ARCHIVE.length}` } : {}),
    });
    if (cut !== undefined) {
      res.write(body.subarray(0, cut), () => res.destroy());
      cut = undefined;
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, ranges };
}

test('downloads, verifies md5, follows a redirect, and reuses a verified file', async (t) => {
  const { base, ranges } = await serve(t);
  const dest = join(await tempDir(t), 'a', 'archive.tar.gz');
  const first = await downloadFile(`${base}/moved`, dest, { md5: MD5 });
  t.is(first.bytes, ARCHIVE.length);
  t.false(first.alreadyPresent);
  t.true(readFileSync(dest).equals(ARCHIVE));
  const again = await downloadFile(`${base}/cifar-100-python.tar.gz`, dest, { md5: MD5 });
  t.true(again.alreadyPresent);
  t.is(ranges.length, 2); // redirect + one GET, nothing for the reuse
});

test('an interrupted download resumes with a Range request', async (t) => {
  const { base, ranges } = await serve(t, { cutAfter: 3000 });
  const dest = join(await tempDir(t), 'archive.tar.gz');
  const url = `${base}/cifar-100-python.tar.gz`;
  const error = await t.throwsAsync(downloadFile(url, dest, { md5: MD5 }), { instanceOf: DataError });
  t.regex(error!.message, /stopped after \d+ bytes .*run the command again to resume/);
  const partial = (await stat(`${dest}.part`)).size;
  t.true(partial > 0 && partial < ARCHIVE.length);
  const resumed = await downloadFile(url, dest, { md5: MD5 });
  t.is(resumed.resumedFrom, partial);
  t.deepEqual(ranges, [undefined, `bytes=${partial}-`]);
  t.true(readFileSync(dest).equals(ARCHIVE));
});

test('a wrong checksum is reported in one line and leaves neither file nor partial file', async (t) => {
  const { base } = await serve(t);
  const dir = await tempDir(t);
  const dest = join(dir, 'archive.tar.gz');
  const error = await t.throwsAsync(downloadFile(`${base}/cifar-100-python.tar.gz`, dest, { md5: '0'.repeat(32) }), { instanceOf: DataError });
  t.regex(error!.message, new RegExp(`checksum mismatch .*md5 ${MD5}, expected 0{32}`));
  t.notRegex(error!.message, /\n/);
  t.deepEqual(await readdir(dir), []);
  await writeFile(dest, 'not the archive');
  await t.throwsAsync(downloadFile(`${base}/cifar-100-python.tar.gz`, dest, { md5: MD5 }), { instanceOf: DataError, message: /exists but its md5 is/ });
});

test('HTTP errors and unreachable servers give one line', async (t) => {
  const { base } = await serve(t);
  const dir = await tempDir(t);
  await t.throwsAsync(downloadFile(`${base}/missing`, join(dir, 'x'), { md5: MD5 }), { instanceOf: DataError, message: /answered HTTP 404/ });
  await t.throwsAsync(downloadFile('ftp://127.0.0.1/x', join(dir, 'x'), { md5: MD5 }), { instanceOf: DataError, message: /only http and https/ });
});

test('data download cifar-100 (from a local mirror) prepares CIFAR-FS, FC100 and whole-class CIFAR-100', async (t) => {
  const { base } = await serve(t);
  const dataDir = await tempDir(t);
  const { archive, prepared } = await downloadCifar100({ dataDir, url: `${base}/cifar-100-python.tar.gz`, md5: MD5 });
  t.is(archive.path, cifar100ArchivePath(dataDir));
  t.deepEqual(prepared.map((i) => `${i.dataset}/${i.split}:${i.classes.length}`), [
    'cifar-fs/train:64', 'cifar-fs/val:16', 'cifar-fs/test:20', 'fc100/train:60', 'fc100/val:20', 'fc100/test:20', 'cifar-100/train:100', 'cifar-100/test:100',
  ]);
  const fc100 = await loadPackedSplit(dataDir, 'fc100', 'val');
  t.deepEqual(fc100.classes.map((c) => c.name), [...classList('fc100', 'val')]);
});

test('data download cifar-10 (from a local mirror) keeps the archive under downloads/ and prepares cifar-10', async (t) => {
  const { base } = await serve(t);
  const dataDir = await tempDir(t);
  const md5 = createHash('md5').update(CIFAR10_ARCHIVE).digest('hex');
  const { archive, prepared } = await downloadCifar('cifar-10', { dataDir, url: `${base}/cifar-10-python.tar.gz`, md5 });
  t.is(archive.path, cifarArchivePath(dataDir, 'cifar-10'));
  t.is(CIFAR_ARCHIVES['cifar-10'].md5, 'c58f30108f718f92721af3b95e74349a');
  t.deepEqual(prepared.map((i) => `${i.dataset}/${i.split}:${i.images}`), ['cifar-10/train:20', 'cifar-10/test:10']);
  await t.throwsAsync(downloadCifar('cifar-10', { dataDir: await tempDir(t), url: `${base}/cifar-10-python.tar.gz` }), { instanceOf: DataError, message: /md5/ });
});
