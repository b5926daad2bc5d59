/** `baseline`: cross-entropy of an N-way linear classifier on the original images. */
import { classifierOnIdentity } from './readouts.js';
import { sameClass } from './losses.js';
import type { Objective } from './types.js';

export const baselineObjective: Objective = {
  name: 'baseline',
  description: 'cross-entropy of an N-way classifier on the original images',
  usesCopies: false,
  needsTransform: false,
  classifiers: (classes) => ({ class: classes }),
  loss: (outputs, labels, options) => options.classLoss(outputs.class!, labels, sameClass),
  inferences: { single: classifierOnIdentity('class') },
};
