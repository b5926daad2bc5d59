/** Reading a JSON object from a user-given file with one-line UsageErrors (config files). */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** The JSON object in `path`; `label` (e.g. `--config x.json`) starts every error message. */
export async function readJsonObject(path: string, label: string, what: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8').catch(() => {
    throw new UsageError(`${label}: no such file or not readable`);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${label}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${label}: expected a JSON object of ${what}`);
  return parsed as Record<string, unknown>;
}
