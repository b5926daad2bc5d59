/**
 * Whole-class classification data from prepared datasets: CIFAR-10/100 and class folders with
 * train/test images of the same classes (their own split), or any few-shot dataset read
 * whole-class (every class of its train+val+test splits, a seeded per-class train/test split).
 * Images are views into the loaded packed splits; nothing is copied.
 */
import { DataError, UsageError } from '../errors.js';
import { loadPackedSplitAndIndex, readCacheIndex, type CacheIndex } from './cache.js';
import { pickImages, poolOfSplits, labelledImagesHash, type ClassPool } from './class-pool.js';
import { limitTraining, splitClassImages } from './class-subsets.js';
import type { ClassificationData, ClassificationOptions } from './classification-types.js';
import { registerPreparedDatasets } from './datasets.js';
import { getDataset } from './registry.js';
import { CIFAR10_SLA_VAL_INDICES, CIFAR100_SLA_VAL_INDICES } from './splits/sla-cifar-val.js';
import { WHOLE_CLASS_SOURCES } from './sources.js';
import { SPLIT_NAMES, type FewShotSplit, type SplitName } from './types.js';

/** Test images per class when a few-shot dataset is read whole-class. */
export const DEFAULT_TEST_PER_CLASS = 50;

/** The SLA reference code's validation indices of the whole-class datasets that define one. */
const SLA_VAL_INDICES: Readonly<Record<string, readonly number[]>> = { 'cifar-10': CIFAR10_SLA_VAL_INDICES, 'cifar-100': CIFAR100_SLA_VAL_INDICES };

/** A class set (pool) with its train, test and optional val picks, before the training limits. */
interface Formed {
  pool: ClassPool;
  train: number[][];
  test: { pool: ClassPool; picks: number[][] };
  val?: { pool: ClassPool; picks: number[][] };
  description: string;
}

/** Loads `name` as whole-class classification data (see the module header); one-line typed errors. */
export async function loadClassificationData(name: string, options: ClassificationOptions): Promise<ClassificationData> {
  const { dataDir } = options;
  if (!Number.isInteger(options.seed)) throw new UsageError(`seed ${options.seed} must be an integer`);
  const trainIndex = /^[a-z0-9][a-z0-9._-]*$/i.test(name) ? await readCacheIndex(dataDir, name, 'train') : undefined;
  const formed =
    Object.hasOwn(WHOLE_CLASS_SOURCES, name) || trainIndex?.layout === 'classification' ? await ownSplit(name, options) : await fewShotWholeClass(name, options);
  const train = limitTraining(name, formed.pool.classes, formed.train, options);
  const limits = describeLimits(train, options);
  const test = pickImages(formed.test.pool, formed.test.picks);
  return {
    dataset: name,
    classes: formed.pool.classes,
    train: pickImages(formed.pool, train),
    test,
    ...(formed.val ? { val: pickImages(formed.val.pool, formed.val.picks) } : {}),
    description: `${formed.description}${limits}`,
    testHash: labelledImagesHash(test),
  };
}

/** "500" or "5-500": the range of per-class counts. */
export function countRange(counts: readonly number[]): string {
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  return min === max ? `${min}` : `${min}-${max}`;
}

const total = (picks: readonly (readonly number[])[]): number => picks.reduce((n, p) => n + p.length, 0);

function describeLimits(train: number[][], options: ClassificationOptions): string {
  const parts: string[] = [];
  if (options.perClass !== undefined) parts.push(`${options.perClass} training images per class`);
  if (options.imbalance) {
    const { profile, ratio } = options.imbalance;
    const counts = train.map((p) => p.length);
    parts.push(`long-tailed (${profile}, ratio ${ratio}): ${counts[0]} down to ${counts[counts.length - 1]} per class, ${total(train)} in all`);
  }
  return parts.length === 0 ? '' : `; ${parts.join(', ')} (a seeded choice, seed ${options.seed})`;
}

/** CIFAR-10/100 and class folders prepared with train/ and test/: their own train/test (and val) split. */
async function ownSplit(name: string, options: ClassificationOptions): Promise<Formed> {
  const known = Object.hasOwn(WHOLE_CLASS_SOURCES, name) ? WHOLE_CLASS_SOURCES[name] : undefined;
  const hint = known?.hint ?? `run jointshot data prepare folder --from <folder with train/ and test/> --name ${name}`;
  if (options.testPerClass !== undefined) throw new UsageError(`${name} has its own test set: drop testPerClass (--test-per-class), which applies to few-shot datasets read whole-class`);
  if (options.splits !== undefined && options.splits.length > 0) throw new UsageError(`${name} is a whole-class dataset: drop the class splits (classSplits), which choose among a few-shot dataset's train/val/test classes`);
  const load = (split: 'train' | 'val' | 'test'): Promise<{ split: FewShotSplit; index: CacheIndex }> =>
    loadPackedSplitAndIndex(options.dataDir, name, split, { missingHint: hint });
  const train = await load('train');
  const test = await load('test');
  const trainPool = poolOfSplits([train.split]);
  const testPool = poolOfSplits([test.split]);
  checkSameClasses(name, trainPool, testPool, 'test');
  const all = (pool: ClassPool): number[][] => pool.counts.map((n) => Array.from({ length: n }, (_, i) => i));
  const size = `${trainPool.height}x${trainPool.width}`;
  const base = `${name}: ${trainPool.classes.length} classes, its own split: ${total(all(trainPool))} train (${countRange(trainPool.counts)} per class) / ${total(all(testPool))} test (${countRange(testPool.counts)} per class), ${size}`;
  if (!options.holdOutVal) return { pool: trainPool, train: all(trainPool), test: { pool: testPool, picks: all(testPool) }, description: base };
  if (known) {
    const { train: kept, val } = holdOut(name, train.index, trainPool, SLA_VAL_INDICES[name]!);
    return {
      pool: trainPool,
      train: kept,
      test: { pool: testPool, picks: all(testPool) },
      val: { pool: trainPool, picks: val },
      description: `${base}; ${total(val)} training images held out for validation (the SLA reference code's indices), ${total(kept)} left to train`,
    };
  }
  if (!(await readCacheIndex(options.dataDir, name, 'val'))) {
    throw new UsageError(`${name} has no validation split (prepare it from a folder with train/, val/ and test/), so holdOutVal cannot be used`);
  }
  const valPool = poolOfSplits([(await load('val')).split]);
  checkSameClasses(name, trainPool, valPool, 'val');
  return {
    pool: trainPool,
    train: all(trainPool),
    test: { pool: testPool, picks: all(testPool) },
    val: { pool: valPool, picks: all(valPool) },
    description: `${base}; its val split (${total(all(valPool))} images) for validation`,
  };
}

function checkSameClasses(name: string, train: ClassPool, other: ClassPool, split: string): void {
  const differs = train.classes.length !== other.classes.length || train.classes.some((c, i) => other.classes[i] !== c);
  if (differs) {
    throw new DataError(`${name}: its ${split} split has classes [${other.classes.slice(0, 4).join(', ')}...], its train split [${train.classes.slice(0, 4).join(', ')}...]: prepare it again from one folder`);
  }
}

/** Splits a class-major training set into kept and held-out images by indices in the source's file order. */
function holdOut(name: string, index: CacheIndex, pool: ClassPool, valIndices: readonly number[]): { train: number[][]; val: number[][] } {
  const order = index.sourceIndex;
  if (!order || order.length !== index.images) throw new DataError(`${name}/train cache has no source order: run jointshot data prepare ${name} again`);
  const held = new Set(valIndices);
  if (index.images !== 50000) throw new DataError(`${name}/train has ${index.images} images, the SLA validation indices need the official 50,000`);
  const train: number[][] = [];
  const val: number[][] = [];
  let packed = 0;
  pool.counts.forEach((count, c) => {
    train[c] = [];
    val[c] = [];
    for (let i = 0; i < count; i++) (held.has(order[packed++]!) ? val[c]! : train[c]!).push(i);
  });
  return { train, val };
}

/**
 * Every class of a few-shot dataset's splits (those it describes or has prepared; all three when
 * it says nothing, e.g. a plugin's), each class's images split into train and test with a seed.
 */
async function fewShotWholeClass(name: string, options: ClassificationOptions): Promise<Formed> {
  const { dataDir } = options;
  await registerPreparedDatasets(dataDir);
  const definition = getDataset(name);
  if (options.holdOutVal) {
    throw new UsageError(`${name} read whole-class defines no validation set (only a train/test split per class): drop holdOutVal (--hold-out-val)`);
  }
  const known: SplitName[] = [];
  const wanted = options.splits && options.splits.length > 0 ? options.splits : SPLIT_NAMES;
  const unknown = wanted.find((s) => !SPLIT_NAMES.includes(s));
  if (unknown !== undefined) throw new UsageError(`unknown split '${unknown}' in the class splits: expected train, val or test`);
  for (const split of wanted) if (definition.describe(split) !== undefined || (await readCacheIndex(dataDir, name, split))) known.push(split);
  const splits: FewShotSplit[] = [];
  for (const split of known.length > 0 ? known : wanted) splits.push(await definition.load(split, { dataDir }));
  const pool = poolOfSplits(splits);
  const testPerClass = options.testPerClass ?? DEFAULT_TEST_PER_CLASS;
  const smallest = Math.min(...pool.counts);
  if (!Number.isInteger(testPerClass) || testPerClass < 1 || testPerClass >= smallest) {
    throw new UsageError(`testPerClass ${testPerClass} must be an integer in 1..${smallest - 1} (${name}'s smallest class has ${smallest} images)`);
  }
  const splitSeed = options.splitSeed ?? 0;
  if (!Number.isInteger(splitSeed)) throw new UsageError(`splitSeed ${splitSeed} must be an integer`);
  const parts = pool.classes.map((c, i) => splitClassImages(c, pool.counts[i]!, testPerClass, splitSeed));
  const train = parts.map((p) => p.train);
  const splitList = splits.map((s) => `${s.split} ${s.classes.length}`).join(' + ');
  return {
    pool,
    train,
    test: { pool, picks: parts.map((p) => p.test) },
    description: `${name} read whole-class: ${pool.classes.length} classes (${splitList}), each class's images split with seed ${splitSeed} into ${countRange(train.map((p) => p.length))} train / ${testPerClass} test, ${pool.height}x${pool.width}`,
  };
}
