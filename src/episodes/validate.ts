/**
 * Manifest validation: turns parsed JSON into an EpisodeManifest or throws a one-line DataError
 * naming the file and the problem (format, version, fields, episodes, hash, dataset mismatch).
 */
import { DataError } from '../errors.js';
import { SPLIT_NAMES, type ClassInfo, type SplitDescription, type SplitName } from '../data/types.js';
import type { Episode } from './sampler.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, manifestHash, type EpisodeManifest } from './manifest.js';

const TOP_FIELDS = [
  'format', 'version', 'dataset', 'split', 'ways', 'shots', 'queries', 'seed', 'count', 'sha256', 'classes', 'episodes',
] as const;
const CLASS_FIELDS = ['name', 'count'] as const;
const EPISODE_FIELDS = ['classes', 'support', 'query'] as const;

type Json = Record<string, unknown>;

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isInt(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

/** Checks a manifest against its own rules; `fail` prefixes every message with the file name. */
class ManifestChecker {
  constructor(private readonly source: string) {}

  fail(problem: string): never {
    throw new DataError(`${this.source}: ${problem}`);
  }

  exactFields(value: unknown, fields: readonly string[], where: string): Json {
    if (!isRecord(value)) this.fail(`${where} must be a JSON object, found ${show(value)}`);
    const unknown = Object.keys(value).find((k) => !fields.includes(k));
    if (unknown !== undefined) this.fail(`${where} has unknown field '${unknown}' (expected ${fields.join(', ')})`);
    const missing = fields.find((k) => !(k in value));
    if (missing !== undefined) this.fail(`${where} is missing field '${missing}'`);
    return value;
  }

  int(record: Json, field: string, min: number, where = 'field'): number {
    const value = record[field];
    if (!isInt(value, min)) {
      const what = min > 0 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : 'an integer';
      this.fail(`${where} '${field}' must be ${what}, found ${show(value)}`);
    }
    return value;
  }

  header(value: unknown): Json {
    if (!isRecord(value)) this.fail(`not an episode manifest (expected a JSON object, found ${show(value)})`);
    if (value.format !== MANIFEST_FORMAT) {
      this.fail(`not an episode manifest (format is ${show(value.format)}, expected '${MANIFEST_FORMAT}')`);
    }
    if (value.version !== MANIFEST_VERSION) {
      this.fail(`manifest version ${show(value.version)} is not supported (this jointshot reads version ${MANIFEST_VERSION})`);
    }
    return this.exactFields(value, TOP_FIELDS, 'manifest');
  }

  classes(value: unknown): ClassInfo[] {
    if (!Array.isArray(value) || value.length === 0) this.fail(`'classes' must be a non-empty array, found ${show(value)}`);
    const seen = new Set<string>();
    return value.map((entry, c) => {
      const record = this.exactFields(entry, CLASS_FIELDS, `class ${c}`);
      const name = record.name;
      if (typeof name !== 'string' || name === '') this.fail(`class ${c} needs a non-empty string 'name', found ${show(name)}`);
      if (seen.has(name)) this.fail(`class name '${name}' appears twice in 'classes'`);
      seen.add(name);
      return { name, count: this.int(record, 'count', 0, `class ${c}`) };
    });
  }

  indexLists(value: unknown, ways: number, size: number, field: string, where: string): number[][] {
    if (!Array.isArray(value) || value.length !== ways) {
      this.fail(`${where} '${field}' must hold ${ways} lists (one per class), found ${show(value)}`);
    }
    return value.map((list: unknown, j) => {
      if (!Array.isArray(list) || list.length !== size) {
        this.fail(`${where} class slot ${j}: '${field}' must hold ${size} image indices, found ${show(list)}`);
      }
      return list as number[];
    });
  }

  episode(value: unknown, e: number, m: Pick<EpisodeManifest, 'ways' | 'shots' | 'queries'>, classes: ClassInfo[]): Episode {
    const where = `episode ${e}`;
    const record = this.exactFields(value, EPISODE_FIELDS, where);
    const ids = record.classes;
    if (!Array.isArray(ids) || ids.length !== m.ways) {
      this.fail(`${where} must list ${m.ways} classes, found ${show(ids)}`);
    }
    const seenClasses = new Set<number>();
    for (const id of ids) {
      if (!isInt(id, 0) || id >= classes.length) {
        this.fail(`${where} names unknown class ${show(id)} (the manifest lists classes 0..${classes.length - 1})`);
      }
      if (seenClasses.has(id)) this.fail(`${where} uses class ${id} twice`);
      seenClasses.add(id);
    }
    const support = this.indexLists(record.support, m.ways, m.shots, 'support', where);
    const query = this.indexLists(record.query, m.ways, m.queries, 'query', where);
    (ids as number[]).forEach((id, j) => {
      const { name, count } = classes[id]!;
      const seen = new Set<number>();
      for (const [field, list] of [['support', support[j]!], ['query', query[j]!]] as const) {
        for (const index of list) {
          if (!isInt(index, 0) || index >= count) {
            this.fail(`${where} class '${name}': ${field} image index ${show(index)} out of range (the class has ${count} images)`);
          }
          if (seen.has(index)) {
            this.fail(`${where} class '${name}': image ${index} is used twice (support and query must be distinct and disjoint)`);
          }
          seen.add(index);
        }
      }
    });
    return { classes: ids as number[], support, query };
  }

  matchesDescription(m: EpisodeManifest, d: SplitDescription): void {
    if (m.dataset !== d.dataset) this.fail(`manifest is for dataset '${m.dataset}', not '${d.dataset}'`);
    if (m.split !== d.split) this.fail(`manifest is for split '${m.split}', not '${d.split}'`);
    if (m.classes.length !== d.classes.length) {
      this.fail(`manifest lists ${m.classes.length} classes but ${d.dataset}/${d.split} has ${d.classes.length}`);
    }
    m.classes.forEach((c, i) => {
      const expected = d.classes[i]!;
      if (c.name !== expected.name) {
        this.fail(`class ${i} is '${c.name}' in the manifest but '${expected.name}' in ${d.dataset}/${d.split}`);
      }
      if (c.count !== expected.count) {
        this.fail(`class '${c.name}' has ${c.count} images in the manifest but ${expected.count} in ${d.dataset}/${d.split}`);
      }
    });
  }
}

/**
 * Validates parsed manifest JSON from `source` (a file name, used in messages) and returns it typed.
 * With `description`, also checks dataset, split, class names and image counts against it.
 */
export function validateManifest(value: unknown, source: string, description?: SplitDescription): EpisodeManifest {
  const check: ManifestChecker = new ManifestChecker(source);
  const raw = check.header(value);
  if (typeof raw.dataset !== 'string' || raw.dataset === '') check.fail(`field 'dataset' must be a non-empty string, found ${show(raw.dataset)}`);
  if (!SPLIT_NAMES.includes(raw.split as SplitName)) {
    check.fail(`field 'split' must be one of ${SPLIT_NAMES.join(', ')}, found ${show(raw.split)}`);
  }
  const shape = {
    ways: check.int(raw, 'ways', 1),
    shots: check.int(raw, 'shots', 1),
    queries: check.int(raw, 'queries', 0),
  };
  const seed = check.int(raw, 'seed', Number.MIN_SAFE_INTEGER);
  const count = check.int(raw, 'count', 1);
  if (typeof raw.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(raw.sha256)) {
    check.fail(`field 'sha256' must be 64 lower-case hex digits, found ${show(raw.sha256)}`);
  }
  const classes = check.classes(raw.classes);
  if (!Array.isArray(raw.episodes)) check.fail(`field 'episodes' must be an array, found ${show(raw.episodes)}`);
  if (raw.episodes.length !== count) {
    check.fail(`'count' says ${count} episodes but 'episodes' holds ${raw.episodes.length}`);
  }
  const episodes = raw.episodes.map((e: unknown, i: number) => check.episode(e, i, shape, classes));
  const manifest: EpisodeManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    dataset: raw.dataset,
    split: raw.split as SplitName,
    ...shape,
    seed,
    count,
    classes,
    episodes,
    sha256: raw.sha256,
  };
  const actual = manifestHash(manifest);
  if (actual !== manifest.sha256) {
    check.fail(
      `sha256 mismatch: the file says ${manifest.sha256.slice(0, 12)}... but its content hashes to ` +
        `${actual.slice(0, 12)}... (edited or corrupted; regenerate it with 'jointshot episodes make')`,
    );
  }
  if (description) check.matchesDescription(manifest, description);
  return manifest;
}
