import test from 'ava';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/errors.js';
import { isUnsafeEntryName, readTarEntries } from '../../src/data/tar.js';
import { FIXTURES, makeTar, tempDir } from './helpers.js';

test('reads the wanted entries of a tar.gz without extracting it', async (t) => {
  const entries = await readTarEntries(join(FIXTURES, 'cifar-100-python.tar.gz'), (name) => name.endsWith('/test'));
  t.deepEqual([...entries.keys()], ['cifar-100-python/test']);
  t.true(entries.get('cifar-100-python/test')!.length > 100 * 3072);
});

test('reads plain tar, long GNU names and skips directories', async (t) => {
  const dir = await tempDir(t);
  const long = `${'d'.repeat(120)}/file.bin`;
  const tar = makeTar([
    { name: 'top/', type: '5' },
    { name: '././@LongLink', type: 'L', data: Buffer.from(`${long}\0`) },
    { name: 'truncated-name', data: Buffer.from('long!') },
    { name: 'top/a.txt', data: Buffer.from('hello') },
  ]);
  await writeFile(join(dir, 'x.tar'), tar);
  const entries = await readTarEntries(join(dir, 'x.tar'), () => true);
  t.deepEqual([...entries.keys()].sort(), [long, 'top/a.txt'].sort());
  t.is(entries.get(long)!.toString(), 'long!');
  t.is(entries.get('top/a.txt')!.toString(), 'hello');
});

test('refuses entries with an absolute path or .. (nothing is ever written)', async (t) => {
  const dir = await tempDir(t);
  for (const name of ['/etc/passwd', '../escape.txt', 'a/../../b', 'C:/x']) {
    await writeFile(join(dir, 'bad.tar.gz'), gzipSync(makeTar([{ name: 'ok.txt', data: Buffer.from('x') }, { name, data: Buffer.from('x') }])));
    const error = await t.throwsAsync(readTarEntries(join(dir, 'bad.tar.gz'), () => true), { instanceOf: DataError });
    t.regex(error!.message, /refused: entry .* has an absolute path or '\.\.'/, name);
  }
  t.true(isUnsafeEntryName('x/../../y'));
  t.false(isUnsafeEntryName('cifar-100-python/train'));
});

test('refuses a decompression bomb by total size, and an entry over the entry limit', async (t) => {
  const dir = await tempDir(t);
  const bomb = gzipSync(makeTar([{ name: 'zeros.bin', data: new Uint8Array(8 * 2 ** 20) }]));
  t.true(bomb.length < 20_000);
  await writeFile(join(dir, 'bomb.tar.gz'), bomb);
  await t.throwsAsync(readTarEntries(join(dir, 'bomb.tar.gz'), () => true, { maxEntryBytes: 2 ** 30, maxTotalBytes: 2 ** 20 }), {
    instanceOf: DataError,
    message: /refused: decompresses to more than 1048576 bytes/,
  });
  await t.throwsAsync(readTarEntries(join(dir, 'bomb.tar.gz'), () => true, { maxEntryBytes: 2 ** 20, maxTotalBytes: 2 ** 30 }), {
    instanceOf: DataError,
    message: /refused: entry 'zeros\.bin' is 8388608 bytes, over the 1048576-byte limit/,
  });
});

test('a truncated archive (gzip or tar) gives one line', async (t) => {
  const dir = await tempDir(t);
  const full = readFileSync(join(FIXTURES, 'cifar-100-python.tar.gz'));
  await writeFile(join(dir, 'cut.tar.gz'), full.subarray(0, full.length - 200));
  const gz = await t.throwsAsync(readTarEntries(join(dir, 'cut.tar.gz'), () => true), { instanceOf: DataError });
  t.regex(gz!.message, /truncated/);
  t.notRegex(gz!.message, /\n/);
  const tar = makeTar([{ name: 'a.bin', data: new Uint8Array(5000) }]);
  await writeFile(join(dir, 'cut.tar'), tar.subarray(0, 2048));
  await t.throwsAsync(readTarEntries(join(dir, 'cut.tar'), () => true), { instanceOf: DataError, message: /truncated archive/ });
});

test('an empty file, or a file that is not an archive at all, is named as such (not "truncated")', async (t) => {
  const dir = await tempDir(t);
  const cases: [string, Buffer, RegExp][] = [
    ['empty.tar.gz', Buffer.alloc(0), /empty\.tar\.gz: empty file \(0 bytes\), not an archive/],
    ['page.tar.gz', Buffer.from('<html>404 not found</html>\n'), /page\.tar\.gz: not a tar or tar\.gz archive \(27 bytes, shorter than one tar header\)/],
    ['notes.tar', Buffer.from('x'.repeat(2000)), /notes\.tar: not a tar or tar\.gz archive \(it does not start with a tar header\)/],
    ['text.gz', gzipSync(Buffer.from('y'.repeat(2000))), /text\.gz: not a tar\.gz archive \(its content after gunzip does not start with a tar header\)/],
  ];
  for (const [name, bytes, message] of cases) {
    await writeFile(join(dir, name), bytes);
    const error = await t.throwsAsync(readTarEntries(join(dir, name), () => true), { instanceOf: DataError, message });
    t.false(/truncated/.test(error!.message), name);
  }
});
