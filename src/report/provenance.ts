/**
 * What produced a result, for the report's notes: the jointshot version and git commit (recorded
 * into results.json when written), the training seed (from the trained model's config).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EvalResults } from '../eval/results.js';

/** The software that wrote a results file; commit: `git rev-parse HEAD` of the package checkout (`+dirty` when tracked files differ), or null outside one. */
export type Software = NonNullable<EvalResults['software']>;

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
let cached: Software | undefined;

function git(args: string[]): string | null {
  try {
    return execFileSync('git', ['-C', PACKAGE_ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return null;
  }
}

/** This jointshot's version and commit (computed once per process). */
export function currentSoftware(): Software {
  if (cached) return cached;
  let version = 'unknown';
  try {
    version = String((JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version?: unknown }).version ?? 'unknown');
  } catch {
    // an unusual install without package.json: the version stays unknown
  }
  const head = git(['rev-parse', 'HEAD']);
  const dirty = head !== null && (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  cached = { name: 'jointshot', version, commit: head === null ? null : `${head}${dirty ? '+dirty' : ''}` };
  return cached;
}

/** The training seed of the evaluated model (its saved train config), or null for bare checkpoints. */
export function trainingSeed(r: EvalResults): number | null {
  const info = r.model.info as { info?: { trainConfig?: { seed?: unknown } } } | null;
  const seed = info?.info?.trainConfig?.seed;
  return typeof seed === 'number' ? seed : null;
}

/** The commit recorded in a results file, or null (written before commits were recorded). */
export function resultsCommit(r: EvalResults): string | null {
  return r.software?.commit ?? null;
}

/** `native (2 threads)`, or null when unknown or mixed (merged shards). */
export function backendLabel(r: EvalResults): string | null {
  return r.backend ? `${r.backend.name} (${r.backend.threads} thread${r.backend.threads === 1 ? '' : 's'})` : null;
}
