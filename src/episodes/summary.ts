/** A manifest at a glance: its shape and hash, and how evenly the episodes use the classes. */
import type { EpisodeManifest } from './manifest.js';

/** Summary numbers of a manifest, for `episodes show`. */
export interface ManifestSummary {
  dataset: string;
  split: string;
  ways: number;
  shots: number;
  queries: number;
  seed: number;
  count: number;
  sha256: string;
  classes: number;
  /** Classes that appear in at least one episode. */
  classesUsed: number;
  /** Episodes per class: fewest, mean and most over all classes of the split. */
  classUse: { min: number; mean: number; max: number };
  /** The distinct (class, image) pairs used anywhere, and how many the split has. */
  imagesUsed: number;
  imagesTotal: number;
}

/** Computes the ManifestSummary of `m`. */
export function summarizeManifest(m: EpisodeManifest): ManifestSummary {
  const uses = new Array<number>(m.classes.length).fill(0);
  const used = m.classes.map(() => new Set<number>());
  for (const e of m.episodes) {
    e.classes.forEach((c, j) => {
      uses[c]! += 1;
      for (const i of [...e.support[j]!, ...e.query[j]!]) used[c]!.add(i);
    });
  }
  return {
    dataset: m.dataset,
    split: m.split,
    ways: m.ways,
    shots: m.shots,
    queries: m.queries,
    seed: m.seed,
    count: m.count,
    sha256: m.sha256,
    classes: m.classes.length,
    classesUsed: uses.filter((u) => u > 0).length,
    classUse: {
      min: Math.min(...uses),
      mean: uses.reduce((a, b) => a + b, 0) / uses.length,
      max: Math.max(...uses),
    },
    imagesUsed: used.reduce((a, s) => a + s.size, 0),
    imagesTotal: m.classes.reduce((a, c) => a + c.count, 0),
  };
}

/** The summary as short human-readable lines. */
export function formatManifestSummary(s: ManifestSummary): string[] {
  return [
    `dataset  ${s.dataset} / ${s.split}`,
    `shape    ${s.ways}-way ${s.shots}-shot, ${s.queries} queries per class`,
    `episodes ${s.count} (seed ${s.seed})`,
    `sha256   ${s.sha256}`,
    `classes  ${s.classesUsed} of ${s.classes} used; episodes per class min ${s.classUse.min}, ` +
      `mean ${s.classUse.mean.toFixed(1)}, max ${s.classUse.max}`,
    `images   ${s.imagesUsed} of ${s.imagesTotal} used at least once`,
  ];
}
