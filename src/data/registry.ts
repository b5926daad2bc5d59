/** The named datasets jointshot knows (`--dataset NAME`), and how to describe and load their splits. */
import { UsageError } from '../errors.js';
import type { FewShotSplit, SplitDescription, SplitName } from './types.js';

/** Where a dataset's data lives: the jointshot data dir (packed caches) and, optionally, a source path. */
export interface DatasetLocation {
  dataDir: string;
  from?: string;
}

export interface DatasetDefinition {
  name: string;
  /** One line for `data list` and `--help`. */
  description: string;
  /**
   * Class names and image counts of a split, known without pixels (from the class lists the
   * project carries), or undefined when they depend on the user's files.
   */
  describe(split: SplitName): SplitDescription | undefined;
  /** The split with its pixels (from the packed cache under dataDir, or generated). */
  load(split: SplitName, location: DatasetLocation): Promise<FewShotSplit>;
}

const datasets = new Map<string, DatasetDefinition>();

/** Adds a dataset under its name; a second registration of the same name replaces the first. */
export function registerDataset(definition: DatasetDefinition): void {
  datasets.set(definition.name, definition);
}

/** The dataset called `name`, or a UsageError that lists the known names. */
export function getDataset(name: string): DatasetDefinition {
  const found = datasets.get(name);
  if (!found) {
    throw new UsageError(`unknown dataset '${name}': expected one of ${[...datasets.keys()].sort().join(', ')}`);
  }
  return found;
}

/** All registered datasets, sorted by name. */
export function listDatasets(): DatasetDefinition[] {
  return [...datasets.values()].sort((a, b) => a.name.localeCompare(b.name));
}
