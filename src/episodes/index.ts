/** Episodes: seeded episode sampling and hashed, validated episode manifests. */
export {
  checkEpisodeShape,
  createEpisodeSampler,
  eligibleClasses,
  sampleEpisode,
  type Episode,
  type EpisodeSampler,
  type EpisodeShape,
} from './sampler.js';
export {
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  canonicalJson,
  makeManifest,
  manifestHash,
  type EpisodeManifest,
  type ManifestContent,
  type ManifestSettings,
} from './manifest.js';
export { validateManifest } from './validate.js';
export { parseManifest, readManifest, serializeManifest, writeManifest } from './manifest-file.js';
export {
  CANONICAL_SETTINGS,
  CANONICAL_SHOTS,
  PACKAGE_EPISODES_DIR,
  canonicalManifest,
  canonicalManifestPath,
  type CanonicalShots,
} from './canonical.js';
export { formatManifestSummary, summarizeManifest, type ManifestSummary } from './summary.js';
