/**
 * Registers the named datasets (cifar-fs, fc100, mini-imagenet, tiny-imagenet-fs, folder): their
 * splits are described from the carried class lists and loaded from the packed cache; and the
 * whole-class ones (cifar-10, cifar-100), which refuse to load as few-shot splits.
 */
import { UsageError } from '../errors.js';
import { listPackedSplits, loadPackedSplitAndIndex } from './cache.js';
import { CLASS_LISTS } from './class-lists.js';
import { listDatasets, registerDataset, type DatasetDefinition } from './registry.js';
import { WHOLE_CLASS_SOURCES } from './sources.js';
import type { SplitDescription, SplitName } from './types.js';

/** Images per class of the named datasets (the counts canonical manifests are built from). */
export const IMAGES_PER_CLASS: Readonly<Record<string, number>> = {
  'cifar-fs': 600,
  fc100: 600,
  'mini-imagenet': 600,
  'tiny-imagenet-fs': 550,
};

const PREPARE_HINTS: Readonly<Record<string, string>> = {
  'cifar-fs': 'run `jointshot data download cifar-100`, or `jointshot data prepare cifar-fs --from <cifar-100-python.tar.gz | folder of CIFAR_FS_*.pickle>`',
  fc100: 'run `jointshot data download cifar-100`, or `jointshot data prepare fc100 --from <cifar-100-python.tar.gz | folder of FC100_*.pickle>`',
  'mini-imagenet': 'run `jointshot data prepare mini-imagenet --from <folder with images/ and {train,val,test}.csv, or the MetaOptNet pickles>` (see `jointshot data download mini-imagenet`)',
  'tiny-imagenet-fs': 'run `jointshot data prepare tiny-imagenet-fs --from <tiny-imagenet-fs folder with images/ and {train,val,test}.csv>`',
};

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  'cifar-fs': 'CIFAR-FS: 64/16/20 CIFAR-100 classes, 600 images of 32x32 each',
  fc100: 'FC100: 60/20/20 CIFAR-100 classes from 12/4/4 superclasses, 600 images of 32x32 each',
  'mini-imagenet': 'mini-ImageNet (Ravi & Larochelle split): 64/16/20 classes, 600 images of 84x84 each',
  'tiny-imagenet-fs': 'tiny-imagenet-fs: 64/16/20 Tiny-ImageNet classes, 550 images of 64x64 each (Ravi layout)',
};

/** The description of a named dataset's split from its carried class list. */
export function describeNamedSplit(dataset: string, split: SplitName): SplitDescription {
  const count = IMAGES_PER_CLASS[dataset]!;
  return { dataset, split, classes: CLASS_LISTS[dataset]![split].map((name) => ({ name, count })) };
}

/** A dataset loaded from its packed cache under `name`, described only once prepared. */
function cachedDataset(name: string, description: string, describe: DatasetDefinition['describe'], hint?: string): DatasetDefinition {
  return {
    name,
    description,
    describe,
    load: async (split, location) => {
      const { split: loaded, index } = await loadPackedSplitAndIndex(location.dataDir, name, split, { missingHint: hint });
      if (index.layout === 'classification') throw wholeClassOnly(name);
      return loaded;
    },
  };
}

for (const name of Object.keys(IMAGES_PER_CLASS)) {
  registerDataset(cachedDataset(name, DESCRIPTIONS[name]!, (split) => describeNamedSplit(name, split), PREPARE_HINTS[name]));
}
registerDataset(
  cachedDataset(
    'folder',
    'a folder of class sub-folders of images, prepared with `jointshot data prepare folder --from <dir>`',
    () => undefined,
    'run `jointshot data prepare folder --from <folder of class folders> [--split-file split.json | --seed S]`',
  ),
);

/** A dataset whose splits share their classes: read whole-class only, never as few-shot splits. */
function wholeClassDataset(name: string, description: string): DatasetDefinition {
  return {
    name,
    description,
    describe: () => undefined,
    load: async () => {
      throw wholeClassOnly(name);
    },
  };
}

function wholeClassOnly(name: string): UsageError {
  return new UsageError(
    `${name} is a whole-class dataset (its train and test images share classes), not a few-shot one: use it for classification training, or use a few-shot dataset (${Object.keys(IMAGES_PER_CLASS).join(', ')}, folder)`,
  );
}

for (const [name, { description }] of Object.entries(WHOLE_CLASS_SOURCES)) registerDataset(wholeClassDataset(name, description));

/**
 * Registers every dataset prepared under `dataDir` that is not registered yet (class-folder
 * datasets prepared with `--name`), so `getDataset(name)` finds them. Returns the names added.
 */
export async function registerPreparedDatasets(dataDir: string): Promise<string[]> {
  const known = new Set(listDatasets().map((d) => d.name));
  const added: string[] = [];
  for (const index of await listPackedSplits(dataDir)) {
    if (known.has(index.dataset)) continue;
    known.add(index.dataset);
    added.push(index.dataset);
    const description = `class folders prepared from ${index.source}`;
    registerDataset(index.layout === 'classification' ? wholeClassDataset(index.dataset, `${description} (train/test of the same classes)`) : cachedDataset(index.dataset, description, () => undefined));
  }
  return added;
}
