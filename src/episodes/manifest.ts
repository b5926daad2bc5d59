/**
 * Episode manifests: a versioned, hashed record of a seeded set of episodes over one split.
 * The SHA-256 covers the canonical JSON of every field except `sha256` (see canonicalJson).
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import type { ClassInfo, SplitDescription, SplitName } from '../data/types.js';
import { createRng } from '../util/rng.js';
import { createEpisodeSampler, type Episode, type EpisodeShape } from './sampler.js';

/** The `format` value every manifest carries. */
export const MANIFEST_FORMAT = 'jointshot-episodes';
/** The manifest layout version this code writes and reads. */
export const MANIFEST_VERSION = 1;

/** What to sample: the episode shape, how many episodes, and the seed of the one Rng. */
export interface ManifestSettings extends EpisodeShape {
  count: number;
  seed: number;
}

/** A manifest in memory, exactly the fields of the JSON file. */
export interface EpisodeManifest extends ManifestSettings {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  dataset: string;
  split: SplitName;
  classes: ClassInfo[];
  episodes: Episode[];
  sha256: string;
}

/** A manifest without its hash: the content the hash is computed over. */
export type ManifestContent = Omit<EpisodeManifest, 'sha256'>;

/**
 * Canonical JSON of a value made of objects, arrays, strings and safe integers: no whitespace,
 * object keys sorted by UTF-16 code units at every level, strings as JSON.stringify writes them.
 * Python: json.dumps(v, sort_keys=True, separators=(',', ':'), ensure_ascii=False).
 */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError(`canonical JSON holds only safe integers, found ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold ${value === null ? 'null' : typeof value}`);
}

/** SHA-256 (lower-case hex) of the UTF-8 canonical JSON of `content` (any `sha256` field is ignored). */
export function manifestHash(content: ManifestContent | EpisodeManifest): string {
  const { sha256: _ignored, ...rest } = content as EpisodeManifest;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

function checkSettings(settings: ManifestSettings): void {
  if (!Number.isSafeInteger(settings.count) || settings.count < 1) {
    throw new UsageError(`--count must be a positive integer, found ${String(settings.count)}`);
  }
  if (!Number.isSafeInteger(settings.seed)) {
    throw new UsageError(`--seed must be an integer, found ${String(settings.seed)}`);
  }
}

/**
 * Samples `count` episodes of the given shape over `description`'s classes from one Rng seeded
 * with `seed`, and returns the hashed manifest. Impossible requests throw UsageError first.
 */
export function makeManifest(description: SplitDescription, settings: ManifestSettings): EpisodeManifest {
  const { ways, shots, queries, count, seed } = settings;
  const sampler = createEpisodeSampler(
    description.classes.map((c) => c.count),
    { ways, shots, queries },
    description.classes.map((c) => c.name),
  );
  checkSettings(settings);
  const rng = createRng(seed);
  const content: ManifestContent = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    dataset: description.dataset,
    split: description.split,
    ways,
    shots,
    queries,
    seed,
    count,
    classes: description.classes.map(({ name, count: images }) => ({ name, count: images })),
    episodes: Array.from({ length: count }, () => sampler(rng)),
  };
  return { ...content, sha256: manifestHash(content) };
}
