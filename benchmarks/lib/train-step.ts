/**
 * The training step every speed benchmark times, as benchmarks/torch_reference.py times it on
 * PyTorch: loss mean(embedding^2), the gradient of every trainable variable, one update of
 * src/train's Sgd (Nesterov 0.9, weight decay 5e-4; on native the fused update unless
 * JOINTSHOT_NATIVE_FUSED_SGD=0) at lr 0.01.
 */
import type { Backbone } from '../../src/backbones/types.js';
import { tf } from '../../src/tf.js';
import { Sgd } from '../../src/train/sgd.js';

/** The benchmarks' optimizer over the backbone's trainable variables by name. */
export function createBenchmarkSgd(backbone: Backbone): Sgd {
  return new Sgd(backbone.trainable, { momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
}

/** One training step on the batch x; `runUpdate` runs the Sgd update it is given (to time it apart). */
export function benchmarkTrainStep(backbone: Backbone, x: tf.Tensor4D, sgd: Sgd, runUpdate: (update: () => void) => void = (update) => update()): void {
  const { value, grads } = tf.variableGrads(() => backbone.embed(x, { training: true }).square().mean() as tf.Scalar, backbone.variables);
  try {
    const named = Object.fromEntries(Object.entries(backbone.trainable).map(([name, v]) => [name, grads[v.name]!]));
    runUpdate(() => sgd.step(named, 0.01));
    value.dataSync();
  } finally {
    value.dispose();
    tf.dispose(Object.values(grads));
  }
}
