/** Objectives by name (the reference code's mode names): a new objective is one file plus one line here. */
import { UsageError } from '../errors.js';
import { baselineObjective } from './baseline.js';
import { dataAugmentationObjective } from './da.js';
import { multiTaskObjective } from './mt.js';
import { slaSelfDistillationObjective } from './sla-sd.js';
import { slaObjective } from './sla.js';
import type { Objective } from './types.js';

const objectives = new Map<string, Objective>();

/** Adds (or replaces) an objective under its name. */
export function registerObjective(objective: Objective): void {
  objectives.set(objective.name, objective);
}

/** The registered objective names, in registration order. */
export function objectiveNames(): string[] {
  return [...objectives.keys()];
}

/** The objective `name`, or a UsageError listing the known names. */
export function getObjective(name: string): Objective {
  const found = objectives.get(name);
  if (!found) throw new UsageError(`unknown objective '${name}': expected one of ${objectiveNames().join(', ')}`);
  return found;
}

registerObjective(baselineObjective);
registerObjective(dataAugmentationObjective);
registerObjective(multiTaskObjective);
registerObjective(slaObjective);
registerObjective(slaSelfDistillationObjective);
