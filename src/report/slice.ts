/**
 * Slices of a manifest's episodes: `--shard i/n` (for eval and bench) and quick-mode subsets.
 * A slice's results record the whole manifest's identity, and a `slice.json` beside them says
 * which episodes [start, end) they cover, so shards can be merged back into one record.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, UsageError } from '../errors.js';
import { manifestHash, type EpisodeManifest } from '../episodes/manifest.js';
import type { EvalResults } from '../eval/results.js';
import { writeFileAtomic } from '../util/atomic-file.js';

/**
 * Shard `number` of `count` (1-based: 1/4 .. 4/4). The same meaning in `eval` and `bench`: the
 * work (episodes, or bench cells x seeds) split into `count` contiguous blocks in order, sizes
 * differing by at most one; shard i takes block i.
 */
export interface Shard {
  number: number;
  count: number;
}

/** The sidecar `slice.json`: which episodes of which manifest a results file covers. */
export interface SliceInfo {
  format: typeof SLICE_FORMAT;
  /** 2: `shard.number` is 1-based (version 1 stored a 0-based `shard.index`; read as number = index + 1). */
  version: 2;
  /** The manifest that was sliced: its hash, episode count, seed and file (null when sampled in memory). */
  of: { sha256: string; count: number; seed: number; file: string | null };
  /** Episodes [start, end) of that manifest. */
  start: number;
  end: number;
  shard: Shard | null;
}

export const SLICE_FORMAT = 'jointshot-episode-slice';
/** The sidecar file name next to a sliced `results.json`. */
export const SLICE_FILE = 'slice.json';

/** Parses `i/n` (1 <= i <= n) from `--shard`; one-line UsageError otherwise. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const number = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || !Number.isSafeInteger(count) || count < 1 || number < 1 || number > count) {
    throw new UsageError(`--shard must be i/n with 1 <= i <= n (1-based, e.g. 1/4 .. 4/4), found '${text}'`);
  }
  return { number, count };
}

/** Items [start, end) of shard i/n over `total` items: contiguous blocks in order, sizes differing by at most one. */
export function shardRange(total: number, shard: Shard): { start: number; end: number } {
  return { start: Math.floor(((shard.number - 1) * total) / shard.count), end: Math.floor((shard.number * total) / shard.count) };
}

/** `i/n` as typed on the command line. */
export function shardLabel(shard: Shard): string {
  return `${shard.number}/${shard.count}`;
}

/** A manifest cut down to some of its episodes, with the slice record to keep beside its results. */
export interface ManifestSlice {
  manifest: EpisodeManifest;
  info: SliceInfo;
}

/**
 * Episodes [start, end) of `manifest` as a valid manifest of their own (count and hash updated),
 * plus the slice record. `first` limits to the first N episodes before sharding (quick mode).
 */
export function sliceManifest(manifest: EpisodeManifest, options: { shard?: Shard; first?: number; file?: string | null }): ManifestSlice {
  const limit = options.first === undefined ? manifest.count : Math.min(options.first, manifest.count);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`episodes to evaluate must be a positive integer, found ${options.first}`);
  const { start, end } = options.shard ? shardRange(limit, options.shard) : { start: 0, end: limit };
  if (end <= start) {
    throw new UsageError(`shard ${shardLabel(options.shard!)} of ${limit} episodes is empty; use at most ${limit} shards`);
  }
  const content = { ...manifest, episodes: manifest.episodes.slice(start, end), count: end - start };
  const { sha256: _whole, ...withoutHash } = content;
  const sliced: EpisodeManifest = { ...withoutHash, sha256: manifestHash(withoutHash) };
  return {
    manifest: sliced,
    info: {
      format: SLICE_FORMAT,
      version: 2,
      of: { sha256: manifest.sha256, count: manifest.count, seed: manifest.seed, file: options.file ?? null },
      start,
      end,
      shard: options.shard ?? null,
    },
  };
}

/** Results of a slice, stamped with the whole manifest's identity (the slice range lives in slice.json). */
export function stampSlice(results: EvalResults, info: SliceInfo): EvalResults {
  return { ...results, manifest: { sha256: info.of.sha256, seed: info.of.seed, file: info.of.file } };
}

/** Writes `slice.json` into `dir`. */
export async function writeSliceInfo(dir: string, info: SliceInfo): Promise<string> {
  const path = join(dir, SLICE_FILE);
  await writeFileAtomic(path, `${JSON.stringify(info, null, 2)}\n`);
  return path;
}

/** Reads `dir/slice.json`, or null when there is none (a whole-manifest result); version 1 records are upgraded. */
export async function readSliceInfo(dir: string): Promise<SliceInfo | null> {
  const path = join(dir, SLICE_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const info = JSON.parse(text) as Omit<SliceInfo, 'version' | 'shard'> & { version: number; shard: (Shard & { index?: number }) | null };
  if (info?.format !== SLICE_FORMAT || !Number.isSafeInteger(info.start) || !Number.isSafeInteger(info.end) || !info.of) {
    throw new DataError(`${path}: not a slice record (expected format '${SLICE_FORMAT}' with start, end, of)`);
  }
  if (info.version === 1 && info.shard) return { ...info, version: 2, shard: { number: info.shard.index! + 1, count: info.shard.count } };
  if (info.version !== 1 && info.version !== 2) throw new DataError(`${path}: slice record version ${info.version}; this jointshot reads versions 1 and 2`);
  return { ...info, version: 2, shard: info.shard };
}
