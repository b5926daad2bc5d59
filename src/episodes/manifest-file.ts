/**
 * Manifest files: a fixed, diffable byte layout (one class per line, one episode per line),
 * atomic writes (temp file + rename) and a reader that validates what it reads.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { SplitDescription } from '../data/types.js';
import type { EpisodeManifest } from './manifest.js';
import { validateManifest } from './validate.js';

const HEADER_FIELDS = [
  'format', 'version', 'dataset', 'split', 'ways', 'shots', 'queries', 'seed', 'count', 'sha256',
] as const;

/** The exact text of a manifest file: same manifest, same bytes (UTF-8, LF, trailing newline). */
export function serializeManifest(m: EpisodeManifest): string {
  const lines = ['{'];
  for (const field of HEADER_FIELDS) lines.push(`  ${JSON.stringify(field)}: ${JSON.stringify(m[field])},`);
  const classLines = m.classes.map((c) => `    {"name":${JSON.stringify(c.name)},"count":${c.count}}`);
  lines.push('  "classes": [', classLines.join(',\n'), '  ],');
  const episodeLines = m.episodes.map(
    (e) =>
      `    {"classes":${JSON.stringify(e.classes)},"support":${JSON.stringify(e.support)},"query":${JSON.stringify(e.query)}}`,
  );
  lines.push('  "episodes": [', episodeLines.join(',\n'), '  ]', '}');
  return `${lines.join('\n')}\n`;
}

/** Writes `m` to `path` atomically (temp file in the same folder, then rename); creates the folder. */
export async function writeManifest(path: string, m: EpisodeManifest): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, serializeManifest(m));
}

/** Parses manifest text from `source`; invalid JSON is a one-line DataError naming the file. */
export function parseManifest(text: string, source: string, description?: SplitDescription): EpisodeManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(`${source}: not valid JSON (${(error as Error).message.split('\n')[0]})`);
  }
  return validateManifest(value, source, description);
}

/** Reads and validates the manifest at `path` (against `description` when given). */
export async function readManifest(path: string, description?: SplitDescription): Promise<EpisodeManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(`${path}: cannot read the manifest (${code ?? (error as Error).message})`);
  }
  return parseManifest(text, path, description);
}
