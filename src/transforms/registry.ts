/** Label transformation sets by name (`--transform NAME`). */
import { UsageError } from '../errors.js';
import { BUILTIN_LABEL_TRANSFORMS } from './label-sets.js';
import type { LabelTransform } from './label-transform.js';

const registry = new Map<string, LabelTransform>(BUILTIN_LABEL_TRANSFORMS.map((t) => [t.name, t]));

/** Adds a set under its name; registering a name again replaces the earlier set. */
export function registerLabelTransform(transform: LabelTransform): void {
  registry.set(transform.name, transform);
}

/** The set called `name`, or a UsageError listing the known names. */
export function getLabelTransform(name: string): LabelTransform {
  const found = registry.get(name);
  if (!found) {
    throw new UsageError(`unknown transformation set '${name}': expected one of ${[...registry.keys()].join(', ')}`);
  }
  return found;
}

/** All registered sets in registration order (built-ins first). */
export function listLabelTransforms(): LabelTransform[] {
  return [...registry.values()];
}
