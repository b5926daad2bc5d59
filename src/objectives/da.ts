/** `da`: the M transformed copies as plain data augmentation, every copy labelled with its class. */
import { tf } from '../tf.js';
import { repeatLabels, sameClass } from './losses.js';
import { classifierOnIdentity } from './readouts.js';
import type { Objective } from './types.js';

export const dataAugmentationObjective: Objective = {
  name: 'da',
  description: 'the M copies as data augmentation: (1/M) sum_j CE(class(f(t_j x)), y)',
  usesCopies: true,
  needsTransform: true,
  classifiers: (classes) => ({ class: classes }),
  loss: (outputs, labels, options) =>
    tf.tidy(() => options.classLoss(outputs.class!, repeatLabels(labels, options.copies), sameClass)),
  inferences: { single: classifierOnIdentity('class') },
};
