/**
 * Checks on `--out` before a command does its work, so a bad path fails in one line at once
 * instead of as a raw EEXIST/EISDIR after minutes of work.
 */
import { randomUUID } from 'node:crypto';
import { rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { makeDir } from '../util/make-dir.js';

const kindOf = async (path: string): Promise<'file' | 'folder' | undefined> => {
  const found = await stat(path).catch(() => undefined);
  return found === undefined ? undefined : found.isDirectory() ? 'folder' : 'file';
};

/** Creates `dir` if needed and writes a probe file there; a UsageError naming `flag` otherwise. */
async function checkWritableFolder(dir: string, flag: string, what: string): Promise<void> {
  try {
    await makeDir(dir);
    const probe = join(dir, `.write-probe-${randomUUID()}`);
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(`${flag} ${what}: cannot create or write to folder ${dir} (${reason}); choose another ${flag}`);
  }
}

/** `--out` names a folder that will hold `files`: not an existing file, creatable, writable, none of `files` a folder. */
export async function checkOutputFolder(dir: string, files: readonly string[], flag = '--out'): Promise<void> {
  if ((await kindOf(dir)) === 'file') throw new UsageError(`${flag} ${dir} is an existing file; a folder is expected (for ${files.join(', ')}): choose another ${flag}`);
  await checkWritableFolder(dir, flag, dir);
  for (const file of files) {
    if ((await kindOf(join(dir, file))) === 'folder') throw new UsageError(`${flag} ${dir}: ${file} there is a folder, a file is expected: remove it or choose another ${flag}`);
  }
}

/** `--out` names a file to write: not an existing folder, its folder creatable and writable. */
export async function checkOutputFile(file: string, flag = '--out'): Promise<void> {
  if ((await kindOf(file)) === 'folder') throw new UsageError(`${flag} ${file} is an existing folder; a file name is expected: choose another ${flag}`);
  await checkWritableFolder(dirname(file), flag, file);
}
