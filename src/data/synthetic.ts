/**
 * The `synthetic` dataset: 100 procedurally generated glyph classes (64 train / 16 val / 20 test),
 * 600 images per class, 32x32 RGB, drawn upright so that rotation is informative. Pixels are a
 * pure function of (seed, class, image): nothing to download, identical on every machine.
 */
import { UsageError } from '../errors.js';
import { registerDataset, type DatasetDefinition } from './registry.js';
import type { FewShotSplit, SplitDescription, SplitName } from './types.js';
import { makeGlyph, type Glyph } from './synthetic/glyph.js';
import { DEFAULT_JITTER, renderSample, type JitterOptions } from './synthetic/render.js';

/** The registered name. */
export const SYNTHETIC_DATASET = 'synthetic';

/** Shape of a synthetic dataset; the defaults define the registered `synthetic` dataset. */
export interface SyntheticOptions {
  name: string;
  seed: number;
  /** Classes per split, in the order train, val, test (classes are numbered across splits). */
  classes: Readonly<Record<SplitName, number>>;
  imagesPerClass: number;
  /** Image height and width in pixels. */
  size: number;
  jitter: JitterOptions;
}

export const SYNTHETIC_DEFAULTS: SyntheticOptions = {
  name: SYNTHETIC_DATASET,
  seed: 0,
  classes: { train: 64, val: 16, test: 20 },
  imagesPerClass: 600,
  size: 32,
  jitter: DEFAULT_JITTER,
};

function splitRange(options: SyntheticOptions, split: SplitName): { first: number; count: number } {
  const { train, val, test } = options.classes;
  if (split === 'train') return { first: 0, count: train };
  if (split === 'val') return { first: train, count: val };
  return { first: train + val, count: test };
}

function checkSplit(split: string): SplitName {
  if (split !== 'train' && split !== 'val' && split !== 'test') {
    throw new UsageError(`unknown split '${split}': expected train, val or test`);
  }
  return split;
}

/** The class names and counts of a synthetic split (`glyph-000` ... numbered across splits). */
export function describeSynthetic(split: SplitName, options: SyntheticOptions = SYNTHETIC_DEFAULTS): SplitDescription {
  const { first, count } = splitRange(options, checkSplit(split));
  const width = String(Math.max(1, options.classes.train + options.classes.val + options.classes.test - 1)).length;
  return {
    dataset: options.name,
    split,
    classes: Array.from({ length: count }, (_, c) => ({
      name: `glyph-${String(first + c).padStart(Math.max(3, width), '0')}`,
      count: options.imagesPerClass,
    })),
  };
}

/** A synthetic split whose images are rendered on demand (about 20 us each on one core). */
export function syntheticSplit(split: SplitName, options: SyntheticOptions = SYNTHETIC_DEFAULTS): FewShotSplit {
  const description = describeSynthetic(split, options);
  const { first } = splitRange(options, split);
  const glyphs = new Map<number, Glyph>();
  const { size, seed, imagesPerClass } = options;
  return {
    ...description,
    height: size,
    width: size,
    channels: 3,
    image(classIndex: number, imageIndex: number): Uint8Array {
      if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= description.classes.length) {
        throw new UsageError(`${options.name}/${split} has classes 0..${description.classes.length - 1}, not ${classIndex}`);
      }
      if (!Number.isInteger(imageIndex) || imageIndex < 0 || imageIndex >= imagesPerClass) {
        throw new UsageError(`${options.name}/${split} classes have images 0..${imagesPerClass - 1}, not ${imageIndex}`);
      }
      const global = first + classIndex;
      let glyph = glyphs.get(global);
      if (!glyph) glyphs.set(global, (glyph = makeGlyph(seed, global)));
      return renderSample(glyph, seed, global, imageIndex, size, new Uint8Array(size * size * 3), options.jitter);
    },
  };
}

/** A dataset definition for synthetic glyphs with the given options (defaults: `synthetic`). */
export function createSyntheticDataset(overrides: Partial<SyntheticOptions> = {}): DatasetDefinition {
  const options: SyntheticOptions = { ...SYNTHETIC_DEFAULTS, ...overrides };
  return {
    name: options.name,
    description: `procedural upright glyphs, ${options.classes.train}/${options.classes.val}/${options.classes.test} classes x ${options.imagesPerClass} images, ${options.size}x${options.size} RGB, no download`,
    describe: (split) => describeSynthetic(split, options),
    load: async (split) => syntheticSplit(split, options),
  };
}

registerDataset(createSyntheticDataset());
