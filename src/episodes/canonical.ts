/**
 * Canonical test manifests: 5-way, 1- and 5-shot, 15 queries per class, 1000 episodes, seed 0,
 * stored as `episodes/<dataset>/test-5way-<K>shot.json` in the package.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import type { SplitDescription } from '../data/types.js';
import { makeManifest, type EpisodeManifest, type ManifestSettings } from './manifest.js';

/** The shot counts with canonical manifests. */
export const CANONICAL_SHOTS = [1, 5] as const;
export type CanonicalShots = (typeof CANONICAL_SHOTS)[number];

/** Everything but the shots of a canonical manifest (the evaluation protocol of the literature). */
export const CANONICAL_SETTINGS: Omit<ManifestSettings, 'shots'> = { ways: 5, queries: 15, count: 1000, seed: 0 };

/** The package's top-level `episodes/` folder (same place from src/ under tsx and from dist/). */
export const PACKAGE_EPISODES_DIR = fileURLToPath(new URL('../../episodes', import.meta.url));

function checkShots(shots: number): CanonicalShots {
  if (!(CANONICAL_SHOTS as readonly number[]).includes(shots)) {
    throw new UsageError(`canonical manifests exist for ${CANONICAL_SHOTS.join(' and ')} shots, not ${shots}`);
  }
  return shots as CanonicalShots;
}

/** The canonical K-shot manifest of a test split description (sampled from seed 0). */
export function canonicalManifest(description: SplitDescription, shots: number): EpisodeManifest {
  if (description.split !== 'test') {
    throw new UsageError(`canonical manifests are for test splits, not '${description.dataset}/${description.split}'`);
  }
  return makeManifest(description, { ...CANONICAL_SETTINGS, shots: checkShots(shots) });
}

/** Where the canonical K-shot manifest of `dataset` lives: `<root>/<dataset>/test-5way-<K>shot.json`. */
export function canonicalManifestPath(dataset: string, shots: number, root: string = PACKAGE_EPISODES_DIR): string {
  return join(root, dataset, `test-${CANONICAL_SETTINGS.ways}way-${checkShots(shots)}shot.json`);
}
