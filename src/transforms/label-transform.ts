/**
 * The label-transformation contract of SLA: a fixed list of M image transformations t_0..t_{M-1}
 * (t_0 = identity) whose index j becomes part of the joint label y*M + j.
 */
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';

/** One transformation t_j of a set: a name for logs and its application to a batch. */
export interface TransformCopy {
  /** Short name, e.g. `rot90` or `rot180+rgb(1,2,0)`. */
  readonly name: string;
  /** NHWC images (float32 or int32) -> the transformed batch, same dtype; caller disposes. */
  apply(images: tf.Tensor4D): tf.Tensor4D;
  /** Throws a UsageError when this copy cannot be applied to images of this shape. */
  check?(shape: readonly number[]): void;
}

/** A set of M label transformations (the extension point for new self-supervised label sets). */
export interface LabelTransform {
  /** Registry name, e.g. `rotation`. */
  readonly name: string;
  /** One line for `--help` and docs. */
  readonly description: string;
  /** M, the number of copies (1 for `none`). */
  readonly count: number;
  /** Names of the copies, index j = joint-label offset; copy 0 is the identity. */
  readonly copyNames: readonly string[];
  /** Copy j of every image: [N,H,W,C] -> [N,H',W',C]; caller disposes. */
  applyCopy(images: tf.Tensor4D, j: number): tf.Tensor4D;
  /** All copies, query-major: row b*M + j of the [N*M,H',W',C] result is copy j of image b. */
  apply(images: tf.Tensor4D): tf.Tensor4D;
  /** Throws a UsageError naming the problem when the set cannot transform images of `shape` (NHWC). */
  check(shape: readonly number[]): void;
}

/** Builds a LabelTransform from its copies; copy 0 must be the identity. */
export function defineLabelTransform(
  name: string,
  description: string,
  copies: readonly TransformCopy[],
): LabelTransform {
  if (copies.length === 0) throw new UsageError(`label transformation '${name}' needs at least one copy`);
  const check = (shape: readonly number[]): void => {
    if (shape.length !== 4) {
      throw new UsageError(`label transformation '${name}' expects NHWC images (rank 4), found shape [${shape.join(',')}]`);
    }
    for (const copy of copies) copy.check?.(shape);
  };
  const applyCopy = (images: tf.Tensor4D, j: number): tf.Tensor4D => {
    const copy = copies[j];
    if (!copy || !Number.isInteger(j)) {
      throw new UsageError(`label transformation '${name}' has copies 0..${copies.length - 1}, asked for ${j}`);
    }
    check(images.shape);
    return copy.apply(images);
  };
  return {
    name,
    description,
    count: copies.length,
    copyNames: copies.map((c) => c.name),
    check,
    applyCopy,
    apply(images: tf.Tensor4D): tf.Tensor4D {
      check(images.shape);
      return tf.tidy(() => {
        const out = copies.map((c) => c.apply(images));
        const [n, h, w, ch] = out[0]!.shape;
        return tf.stack(out, 1).reshape([n * copies.length, h, w, ch]) as tf.Tensor4D;
      });
    },
  };
}
