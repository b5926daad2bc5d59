/** The class lists of the named datasets, per split, in their defined class order. */
import { CIFAR100_SUPERCLASSES } from './splits/cifar-100.js';
import { CIFAR_FS_TEST, CIFAR_FS_TRAIN, CIFAR_FS_VAL } from './splits/cifar-fs.js';
import { FC100_TEST_SUPERCLASSES, FC100_TRAIN_SUPERCLASSES, FC100_VAL_SUPERCLASSES } from './splits/fc100.js';
import { MINI_IMAGENET_TEST, MINI_IMAGENET_TRAIN, MINI_IMAGENET_VAL } from './splits/mini-imagenet.js';
import { TINY_IMAGENET_FS_TEST, TINY_IMAGENET_FS_TRAIN, TINY_IMAGENET_FS_VAL } from './splits/tiny-imagenet-fs.js';
import { UsageError } from '../errors.js';
import type { SplitName } from './types.js';

type PerSplit = Readonly<Record<SplitName, readonly string[]>>;

/** FC100 fine classes of some superclasses: superclasses in list order, fine classes alphabetical. */
function fineClassesOf(superclasses: readonly string[]): string[] {
  return superclasses.flatMap((s) => [...CIFAR100_SUPERCLASSES[s]!]);
}

/** Class names per split of each dataset whose split the project carries. */
export const CLASS_LISTS: Readonly<Record<string, PerSplit>> = {
  'cifar-fs': { train: CIFAR_FS_TRAIN, val: CIFAR_FS_VAL, test: CIFAR_FS_TEST },
  fc100: {
    train: fineClassesOf(FC100_TRAIN_SUPERCLASSES),
    val: fineClassesOf(FC100_VAL_SUPERCLASSES),
    test: fineClassesOf(FC100_TEST_SUPERCLASSES),
  },
  'mini-imagenet': { train: MINI_IMAGENET_TRAIN, val: MINI_IMAGENET_VAL, test: MINI_IMAGENET_TEST },
  'tiny-imagenet-fs': { train: TINY_IMAGENET_FS_TRAIN, val: TINY_IMAGENET_FS_VAL, test: TINY_IMAGENET_FS_TEST },
};

/** The class names of `dataset`'s `split` in class order. */
export function classList(dataset: string, split: SplitName): readonly string[] {
  const lists = CLASS_LISTS[dataset];
  if (!lists) throw new UsageError(`jointshot carries no class list for '${dataset}'`);
  return lists[split];
}
