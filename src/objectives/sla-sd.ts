/**
 * `sla+sd`: the joint classifier plus an N-way classifier u on the same embedding, distilled from
 * the detached aggregated joint logits: joint CE + CE(u(f(x)), y) + T^2 KL(softmax(agg/T) || softmax(u/T)).
 * u is read on the identity copy of the same forward pass (the reference's `single_preds[::n]`).
 */
import { aggregateJointLogits } from '../sla/joint-labels.js';
import { distillationKl } from '../sla/losses.js';
import { tf } from '../tf.js';
import { jointClassLoss, sameClass } from './losses.js';
import { classifierOnIdentity, identityRows, jointAggregated, jointSingle } from './readouts.js';
import type { Objective } from './types.js';

export const slaSelfDistillationObjective: Objective = {
  name: 'sla+sd',
  description: 'SDA+SD: joint CE + CE(u, y) + T^2 KL(softmax(agg/T) || softmax(u/T)), agg detached',
  usesCopies: true,
  needsTransform: true,
  classifiers: (classes, copies) => ({ joint: classes * copies, single: classes }),
  loss: (outputs, labels, options) =>
    tf.tidy(() => {
      const joint = jointClassLoss(outputs.joint!, labels, options.copies, options.classLoss);
      const u = identityRows(outputs.single!, options.copies);
      const agg = aggregateJointLogits(outputs.joint!, options.classes, options.copies);
      const single = options.classLoss(u, labels, sameClass);
      return (options.largeLoss ? joint.mul(options.copies) : joint)
        .add(single)
        .add(distillationKl(u, agg, options.temperature)) as tf.Scalar;
    }),
  inferences: { single: jointSingle, aggregated: jointAggregated, sd: classifierOnIdentity('single') },
};
