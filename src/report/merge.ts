/** Merging per-episode results of shards (slices of one manifest) back into one record. */
import { UsageError } from '../errors.js';
import type { EvalResults } from '../eval/results.js';
import { trainingSeed } from './provenance.js';
import type { SliceInfo } from './slice.js';

/** A sliced results record and where it was read from. */
export interface SlicePart {
  results: EvalResults;
  info: SliceInfo;
  source: string;
}

/** What must agree between shards of one evaluation (the model, its training seed and the episodes' shape). */
export function modelIdentity(r: EvalResults): string {
  return JSON.stringify([r.dataset, r.split, r.ways, r.shots, r.queries, r.model.head, r.model.transform, r.model.copies, r.model.backbone, trainingSeed(r)]);
}

/**
 * Merges slices of one manifest evaluated with one model into one record, episodes in manifest
 * order; the slices must not overlap or leave gaps. Returns the merged slice range too (the whole
 * manifest when the shards cover it).
 */
export function mergeSlices(parts: readonly SlicePart[]): { results: EvalResults; info: SliceInfo } {
  if (parts.length === 0) throw new UsageError('nothing to merge: no sharded results found');
  const sorted = [...parts].sort((a, b) => a.info.start - b.info.start);
  const first = sorted[0]!;
  for (const part of sorted) {
    if (part.info.of.sha256 !== first.info.of.sha256) {
      throw new UsageError(`cannot merge ${part.source} with ${first.source}: they slice different manifests (${part.info.of.sha256.slice(0, 12)} vs ${first.info.of.sha256.slice(0, 12)})`);
    }
    if (modelIdentity(part.results) !== modelIdentity(first.results)) {
      throw new UsageError(`cannot merge ${part.source} with ${first.source}: different model or episode shape`);
    }
    if (part.results.count !== part.info.end - part.info.start) {
      throw new UsageError(`${part.source}: ${part.results.count} episodes but its slice.json says ${part.info.start}..${part.info.end}`);
    }
  }
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const part = sorted[i]!;
    if (part.info.start !== before.info.end) {
      const what = part.info.start < before.info.end ? 'overlap' : `leave episodes ${before.info.end}..${part.info.start - 1} out`;
      throw new UsageError(`shards ${before.source} and ${part.source} ${what}; merge each shard exactly once`);
    }
  }
  const all = sorted.map((p) => p.results);
  const sum = (f: (r: EvalResults) => number) => all.reduce((s, r) => s + f(r), 0);
  const backends = new Set(all.map((r) => JSON.stringify(r.backend)));
  const results: EvalResults = {
    ...first.results,
    count: sum((r) => r.count),
    backend: backends.size === 1 ? first.results.backend : null,
    timing: {
      embedSeconds: sum((r) => r.timing.embedSeconds),
      episodeSeconds: sum((r) => r.timing.episodeSeconds),
      totalSeconds: sum((r) => r.timing.totalSeconds),
      imagesEmbedded: sum((r) => r.timing.imagesEmbedded),
      workers: Math.max(...all.map((r) => r.timing.workers)),
      cacheBytes: Math.max(...all.map((r) => r.timing.cacheBytes)),
    },
    accuracy: { single: all.flatMap((r) => r.accuracy.single), aggregated: all.flatMap((r) => r.accuracy.aggregated) },
    finishedAt: all.map((r) => r.finishedAt).sort().at(-1)!,
  };
  const info: SliceInfo = { ...first.info, start: first.info.start, end: sorted.at(-1)!.info.end, shard: null };
  return { results, info };
}

/** true when a slice covers its whole manifest. */
export function coversWholeManifest(info: SliceInfo): boolean {
  return info.start === 0 && info.end === info.of.count;
}
