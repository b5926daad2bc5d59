/** Small file-system checks shared by the readers. */
import { stat } from 'node:fs/promises';

/** True when `path` is an existing regular file. */
export async function existingFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() === true;
}

/** True when `path` is an existing directory. */
export async function existingDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}
