/**
 * An exclusive lock on an output folder, so two runs cannot write into one folder at once.
 * proper-lockfile holds the lock (a `.lock` folder kept fresh by its mtime; stale after a minute
 * without updates, e.g. on another host); a file beside it says who holds it. A lock left by a
 * process of this host that no longer runs (kill -9) is taken over at once.
 */
import os from 'node:os';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { makeDir } from '../util/make-dir.js';

/** Who holds a lock, as written beside it. */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
  command: string;
}

/** Releases a lock taken by `lockOutputFolder`. */
export type ReleaseLock = () => Promise<void>;

const STALE_MS = 60_000;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock `name` (default `jointshot`) on folder `dir` (created if needed) for `command`, or
 * throws a UsageError naming the pid, host and start time of the holder.
 */
export async function lockOutputFolder(dir: string, command: string, name = 'jointshot'): Promise<ReleaseLock> {
  try {
    await makeDir(dir);
  } catch (error) {
    throw new UsageError(`--out ${dir} cannot be created (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); choose another --out`);
  }
  const lockPath = join(dir, `.${name}.lock`);
  const ownerPath = join(dir, `.${name}.lock.owner.json`);
  const options = {
    lockfilePath: lockPath,
    realpath: false,
    stale: STALE_MS,
    update: STALE_MS / 6,
    retries: 0,
    onCompromised: (error: Error) => process.stderr.write(`warning: the lock on ${dir} was lost (${error.message}); another run may now write there\n`),
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, options);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    const owner = await readOwner(ownerPath);
    if (!owner || owner.host !== os.hostname() || isRunning(owner.pid)) {
      const who = owner ? `pid ${owner.pid} on ${owner.host} (${owner.command}), started ${owner.started}` : 'another process';
      throw new UsageError(`--out ${dir} is in use by ${who}; wait for it to finish or choose another --out (a lock not refreshed for ${STALE_MS / 1000} s is taken over)`);
    }
    process.stderr.write(`note: taking over the lock on ${dir} left by pid ${owner.pid} (${owner.command}, started ${owner.started}), which no longer runs\n`);
    await rm(lockPath, { recursive: true, force: true });
    release = await lockfile.lock(dir, options);
  }
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command };
  await writeFileAtomic(ownerPath, `${JSON.stringify(owner)}\n`);
  return async () => {
    await rm(ownerPath, { force: true });
    await release();
  };
}
