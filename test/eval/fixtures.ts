/** Tiny evaluation fixtures: a small synthetic split, a narrow seeded Conv-4, manifests over them. */
import { createBackbone } from '../../src/backbones/index.js';
import { syntheticSplit, SYNTHETIC_DEFAULTS } from '../../src/data/synthetic.js';
import type { FewShotSplit } from '../../src/data/types.js';
import { makeManifest, type EpisodeManifest } from '../../src/episodes/index.js';
import type { EvalModel } from '../../src/eval/index.js';
import { createHead } from '../../src/heads/index.js';
import { getLabelTransform, normalizationFor } from '../../src/transforms/index.js';

/** The synthetic test split shrunk to 5 classes x 10 images of 16x16. */
export function tinySplit(): FewShotSplit {
  return syntheticSplit('test', { ...SYNTHETIC_DEFAULTS, name: 'tiny-synthetic', classes: { train: 2, val: 2, test: 5 }, imagesPerClass: 10, size: 16 });
}

/** A seeded 8-channel Conv-4 with the given head and transformation set (d = 8 on 16x16). */
export function tinyModel(head = 'protonet', transform = 'rotation'): EvalModel {
  return {
    backbone: createBackbone({ name: 'conv4', channels: 8, seed: 3 }),
    head: createHead(head),
    transform: getLabelTransform(transform),
    normalization: normalizationFor('synthetic'),
  };
}

/** Disposes a model made by tinyModel. */
export function disposeModel(model: EvalModel): void {
  model.backbone.dispose();
  model.head.dispose();
}

/** A seeded manifest of `count` 3-way episodes over `split`. */
export function tinyManifest(split: FewShotSplit, count: number, shots = 2, queries = 3, ways = 3): EpisodeManifest {
  return makeManifest(split, { ways, shots, queries, count, seed: 7 });
}
