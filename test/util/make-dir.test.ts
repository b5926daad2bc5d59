import test from 'ava';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeDir } from '../../src/util/make-dir.js';

test('makeDir creates missing parents and accepts an existing folder', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'jointshot-mkdir-'));
  const deep = path.join(root, 'a', 'b', 'c');
  await makeDir(deep);
  t.true((await stat(deep)).isDirectory());
  await t.notThrowsAsync(makeDir(deep));
});

test('makeDir fails at once under /proc, where recursive mkdir never returns', async (t) => {
  const error = await t.throwsAsync(makeDir('/proc/jointshot-x/y'));
  t.is((error as NodeJS.ErrnoException).code, 'ENOENT');
});

test('makeDir names a file in the way', async (t) => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'jointshot-mkdir-'));
  await writeFile(path.join(root, 'f'), '');
  const error = await t.throwsAsync(makeDir(path.join(root, 'f', 'sub')));
  t.is((error as NodeJS.ErrnoException).code, 'ENOTDIR');
});
