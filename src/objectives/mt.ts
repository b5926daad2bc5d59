/** `mt`: multi-task learning, an N-way class head and an M-way transformation head on one embedding. */
import { crossEntropy } from '../sla/losses.js';
import { tf } from '../tf.js';
import { copyLabels, repeatLabels, sameClass } from './losses.js';
import { classifierOnIdentity } from './readouts.js';
import type { Objective } from './types.js';

export const multiTaskObjective: Objective = {
  name: 'mt',
  description: 'multi-task: (1/M) sum_j [CE(class(f(t_j x)), y) + CE(transformation(f(t_j x)), j)]',
  usesCopies: true,
  needsTransform: true,
  classifiers: (classes, copies) => ({ class: classes, transformation: copies }),
  loss: (outputs, labels, options) =>
    tf.tidy(() => {
      const classTerm = options.classLoss(outputs.class!, repeatLabels(labels, options.copies), sameClass);
      const transformationTerm = crossEntropy(outputs.transformation!, copyLabels(labels.shape[0], options.copies));
      return classTerm.add(transformationTerm) as tf.Scalar;
    }),
  inferences: { single: classifierOnIdentity('class') },
};
