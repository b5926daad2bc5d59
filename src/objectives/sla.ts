/** `sla` (SDA): one joint N*M-way classifier trained on all copies with joint labels y*M + j. */
import { tf } from '../tf.js';
import { jointClassLoss } from './losses.js';
import { jointAggregated, jointSingle } from './readouts.js';
import type { Objective } from './types.js';

export const slaObjective: Objective = {
  name: 'sla',
  description: 'SDA: joint N*M-way cross-entropy over all copies (x M with largeLoss)',
  usesCopies: true,
  needsTransform: true,
  classifiers: (classes, copies) => ({ joint: classes * copies }),
  loss: (outputs, labels, options) =>
    tf.tidy(() => {
      const loss = jointClassLoss(outputs.joint!, labels, options.copies, options.classLoss);
      return (options.largeLoss ? loss.mul(options.copies) : loss) as tf.Scalar;
    }),
  inferences: { single: jointSingle, aggregated: jointAggregated },
};
