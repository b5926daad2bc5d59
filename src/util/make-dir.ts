/**
 * Creating a folder and its missing parents, one level at a time. Own code for safety: Node's
 * `mkdir(path, { recursive: true })` never returns for a path under /proc such as /proc/x/y
 * (`node -e "fs.mkdirSync('/proc/x/y', { recursive: true })"` spins at 100% CPU), so a bad
 * `--data-dir` or `--out` would hang instead of failing.
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Creates `dir` and its missing parents (bounded by the path's depth); throws the errno error of the first level that fails. */
export async function makeDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    const found = await stat(current).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (found) {
      if (!found.isDirectory()) throw Object.assign(new Error(`ENOTDIR: ${current} is not a folder`), { code: 'ENOTDIR', path: current });
      break;
    }
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const level of missing.reverse()) {
    await mkdir(level).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}
