/** Tiny training fixtures: a small synthetic dataset (16x16 glyphs) and a tiny config. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSyntheticDataset } from '../../src/data/synthetic.js';
import type { FewShotSplit } from '../../src/data/types.js';
import { resolveTrainConfig, type TrainConfig } from '../../src/train/index.js';
import { createRng } from '../../src/util/rng.js';

const tiny = createSyntheticDataset({ classes: { train: 6, val: 5, test: 5 }, imagesPerClass: 12, size: 16 });

/** The tiny synthetic train and val splits (registered name `synthetic`, 16x16, 12 images per class). */
export async function tinySplits(): Promise<{ train: FewShotSplit; val: FewShotSplit }> {
  return { train: await tiny.load('train', { dataDir: '' }), val: await tiny.load('val', { dataDir: '' }) };
}

/** A tiny config: Conv-4 with 4 channels, 3-way 2-shot 2-query, no validation. */
export function tinyConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveTrainConfig(
    {
      dataset: 'synthetic',
      backbone: 'conv4',
      backboneOptions: { channels: 4 },
      ways: 3,
      shots: 2,
      queries: 2,
      episodesPerBatch: 2,
      batchesPerEpoch: 2,
      epochs: 2,
      lrSchedule: [{ epoch: 1, lr: 0.05 }],
      validation: { episodes: 0, ways: 3, shots: 1, queries: 2 },
      checkpointEvery: 1,
    },
    overrides,
  );
}

/** Runs `body` with a fresh temporary folder, removed afterwards. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-train-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * An easy toy train split named `synthetic`: `classes` classes of 16x16 images, each class a
 * distinct flat colour plus seeded noise (a few steps of training separate them).
 */
export function colourSplit(classes = 6, imagesPerClass = 8): FewShotSplit {
  const size = 16 * 16 * 3;
  const rng = createRng('colour-split');
  const pixels = Array.from({ length: classes }, (_, c) => {
    const base = [(c * 97) % 256, (c * 53 + 80) % 256, (c * 31 + 160) % 256];
    return Array.from({ length: imagesPerClass }, () => Uint8Array.from({ length: size }, (_, i) => Math.min(255, base[i % 3]! + Math.floor(rng() * 40))));
  });
  return {
    dataset: 'synthetic',
    split: 'train',
    classes: pixels.map((_, c) => ({ name: `colour-${c}`, count: imagesPerClass })),
    height: 16,
    width: 16,
    channels: 3,
    image: (c, i) => pixels[c]![i]!,
  };
}
