/**
 * Seeded per-class choices of a classification view: the train/test split of each class's images,
 * limited-data subsets (K per class) and long-tailed subsets (exp or step profile, as LDAM-DRW's
 * `imbalance_cifar.py`). Each class draws from its own generator (seeded by purpose, seed and class
 * name), so one class's choice does not depend on the others.
 */
import { UsageError } from '../errors.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import type { ImbalanceOptions } from './classification-types.js';

/** 0..n-1 in a seeded order that depends only on (purpose, seed, class name). */
export function seededOrder(purpose: string, seed: number, className: string, n: number): number[] {
  return shuffleInPlace(createRng(`${purpose}:${seed}:${className}`), Array.from({ length: n }, (_, i) => i));
}

const ascending = (a: number, b: number): number => a - b;

/**
 * Splits image indices 0..count-1 of a class into `testPerClass` seeded test images and the rest
 * for training, each list ascending.
 */
export function splitClassImages(className: string, count: number, testPerClass: number, splitSeed: number): { train: number[]; test: number[] } {
  const order = seededOrder('split', splitSeed, className, count);
  return { test: order.slice(0, testPerClass).sort(ascending), train: order.slice(testPerClass).sort(ascending) };
}

/**
 * Training images per class of a long-tailed set with C classes, exactly as LDAM-DRW's
 * `get_img_num_per_cls`: exp n_i = floor(n_max * (1/ratio)^(i/(C-1))); step: the last floor(C/2)
 * classes get floor(n_max/ratio), the others n_max (for odd C the reference drops a class; here the
 * middle class keeps n_max).
 */
export function longTailCounts(classes: number, maxPerClass: number, imbalance: Pick<ImbalanceOptions, 'profile' | 'ratio'>): number[] {
  const { profile, ratio } = imbalance;
  if (!(Number.isFinite(ratio) && ratio >= 1)) throw new UsageError(`imbalance ratio ${ratio} must be a number >= 1 (n_max / n_min, e.g. 100 or 10)`);
  if (profile !== 'exp' && profile !== 'step') throw new UsageError(`imbalance profile '${String(profile)}' must be exp or step`);
  const factor = 1 / ratio;
  if (profile === 'step') {
    const small = Math.floor(classes / 2);
    return Array.from({ length: classes }, (_, i) => Math.floor(i < classes - small ? maxPerClass : maxPerClass * factor));
  }
  if (classes === 1) return [Math.floor(maxPerClass)];
  return Array.from({ length: classes }, (_, i) => Math.floor(maxPerClass * factor ** (i / (classes - 1))));
}

/** What limits a training set: K per class and/or a long-tailed profile. */
export interface TrainingLimits {
  seed: number;
  perClass?: number;
  imbalance?: ImbalanceOptions;
}

/**
 * The training images kept per class under `limits`: each class's images in a seeded order, the
 * first K (--per-class), then the first n_i (imbalance); so smaller subsets are nested in larger
 * ones for one seed. Lists come back ascending. Returns the picks and the counts kept.
 */
export function limitTraining(dataset: string, classes: readonly string[], train: readonly (readonly number[])[], limits: TrainingLimits): number[][] {
  const { perClass, imbalance, seed } = limits;
  if (perClass === undefined && !imbalance) return train.map((list) => [...list]);
  let counts = train.map((list) => list.length);
  if (perClass !== undefined) {
    if (!Number.isInteger(perClass) || perClass < 1) throw new UsageError(`--per-class ${perClass} must be a positive integer`);
    const smallest = Math.min(...counts);
    if (perClass > smallest) {
      const c = counts.indexOf(smallest);
      throw new UsageError(`--per-class ${perClass} is more than the ${smallest} training images of class '${classes[c]}' of ${dataset}: use at most ${smallest}`);
    }
    counts = counts.map(() => perClass);
  }
  if (imbalance) {
    const smallest = Math.min(...counts);
    const nMax = imbalance.maxPerClass ?? smallest;
    if (!Number.isInteger(nMax) || nMax < 1) throw new UsageError(`imbalance maxPerClass ${nMax} must be a positive integer`);
    const wanted = longTailCounts(classes.length, nMax, imbalance);
    const short = wanted.findIndex((n, c) => n > counts[c]!);
    if (short >= 0) {
      throw new UsageError(`imbalance asks for ${wanted[short]} training images of class '${classes[short]}' of ${dataset}, which has ${counts[short]}: lower maxPerClass to at most ${smallest}`);
    }
    const empty = wanted.findIndex((n) => n < 1);
    if (empty >= 0) throw new UsageError(`imbalance ratio ${imbalance.ratio} with n_max ${nMax} leaves class '${classes[empty]}' of ${dataset} no image: use a ratio of at most ${nMax}`);
    counts = wanted;
  }
  return train.map((list, c) => seededOrder('train-subset', seed, classes[c]!, list.length).slice(0, counts[c]).map((k) => list[k]!).sort(ascending));
}
