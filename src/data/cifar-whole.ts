/**
 * CIFAR-10 and CIFAR-100 as whole-class datasets: the official train and test sets as two packed
 * splits of every class in label order, images of a class in file order, each image's index in
 * the official file order kept (`sourceIndex`) so that index lists (the SLA validation indices)
 * can be applied to the packed cache.
 */
import { DataError } from '../errors.js';
import type { SplitSource } from './cache.js';
import { planesToHwc, readCifar100 } from './cifar100.js';
import { readCifar10, type CifarSet, type CifarSets } from './cifar10.js';
import { CIFAR100_FINE_NAMES } from './splits/cifar-100.js';
import { CIFAR10_NAMES } from './splits/cifar-10.js';

/** Reads CIFAR-10 or CIFAR-100 (fine labels) from `from` as train and test sets. */
export async function readCifarSets(dataset: 'cifar-10' | 'cifar-100', from: string): Promise<CifarSets> {
  if (dataset === 'cifar-10') return readCifar10(from);
  const cifar = await readCifar100(from);
  return { train: { labels: cifar.train.fineLabels, rows: cifar.train.rows }, test: { labels: cifar.test.fineLabels, rows: cifar.test.rows }, source: cifar.source };
}

/** The train and test splits of a CIFAR dataset as sources for the packed cache. */
export function cifarWholeClassSources(dataset: 'cifar-10' | 'cifar-100', sets: CifarSets): SplitSource[] {
  const names = dataset === 'cifar-10' ? CIFAR10_NAMES : CIFAR100_FINE_NAMES;
  return (['train', 'test'] as const).map((split) => {
    const set: CifarSet = sets[split];
    const members: number[][] = names.map(() => []);
    set.labels.forEach((label, i) => members[label]!.push(i));
    const empty = members.findIndex((m) => m.length === 0);
    if (empty >= 0) throw new DataError(`${sets.source}: ${dataset} class '${names[empty]}' has no ${split} image; is the archive complete?`);
    return {
      dataset,
      split,
      height: 32,
      width: 32,
      channels: 3,
      classes: names.map((name, c) => ({ name, count: members[c]!.length })),
      source: sets.source,
      layout: 'classification',
      sourceIndex: members.flat(),
      *images() {
        for (const list of members) for (const i of list) yield planesToHwc(set.rows, i);
      },
    };
  });
}
