/** Typed wrapper over tf.customGrad for ops whose forward pass runs in plain JS. */
import { tf } from '../tf.js';

/** The forward value of a custom op and its vector-Jacobian product (one gradient per input). */
export interface CustomOpResult {
  value: tf.Tensor;
  gradFunc: (dy: tf.Tensor) => tf.Tensor | tf.Tensor[];
}

/** Makes a differentiable op from a forward function over tensors (tf.customGrad, typed). */
export function customOp(forward: (...inputs: tf.Tensor[]) => CustomOpResult): (...inputs: tf.Tensor[]) => tf.Tensor {
  // tf.customGrad appends its `save` function to the inputs; the forward functions here keep
  // what the backward pass needs in their closures instead.
  const wrapped = (...args: unknown[]) => forward(...(args.filter((a) => typeof a !== 'function') as tf.Tensor[]));
  return tf.customGrad(wrapped as unknown as Parameters<typeof tf.customGrad>[0]);
}
