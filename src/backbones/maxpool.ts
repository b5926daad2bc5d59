/**
 * 2x2 / stride-2 max pooling (VALID) with tf.maxPool's own gradient: each window's upstream
 * gradient goes whole to ONE entry, the first maximum in row-major window order, which is what
 * PyTorch's CPU max_pool2d backward does (checked with torch 1.13, recorded in
 * test/backbones/maxpool.test.ts) and what MaxPoolGrad does on cpu, wasm (jointshot's kernel, which
 * setupWasm registers; stock tfjs-backend-wasm's picks differently) and native (oneDNN). Odd sizes: the last row/column, dropped by the pooling, gets zero gradient.
 *
 * An earlier custom gradient `[x == up(y)] * up(dy)` gave EVERY tied maximum the full gradient;
 * ties are common where the input is flat (zero padding of the random crop, saturated colour
 * jitter, ReLU zeros), which put Conv-4 block-1 gradients 16-30% off PyTorch's (issue 12).
 */
import { tf } from '../tf.js';

/** Max pooling 2x2 stride 2 (VALID) of NHWC `x`; ties: the first maximum takes the gradient. */
export function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}
