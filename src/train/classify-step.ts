/**
 * One whole-class training step's gradients: images (seeded augmentation, normalisation) -> the M
 * label-transformed copies when the objective uses them (rows b*M + j) -> backbone in training
 * mode -> linear classifiers -> the objective's loss. The batch goes through the backbone in one
 * pass, so batch norm sees all B*M images as in the reference code; a smaller `microBatch` cuts it
 * into passes of whole images with their copies (batch norm then per pass, "ghost" batch norm),
 * each weighted by its share of the images, gradients accumulated.
 */
import type { Backbone } from '../backbones/types.js';
import type { LabelledImages } from '../data/classification-types.js';
import type { LinearClassifiers } from '../objectives/classifier.js';
import type { Objective, ObjectiveOptions } from '../objectives/types.js';
import { tf } from '../tf.js';
import type { AugmentationOptions } from '../transforms/augment.js';
import type { LabelTransform } from '../transforms/label-transform.js';
import type { ChannelStats } from '../transforms/normalization.js';
import { prepareImages } from '../transforms/pipeline.js';
import type { Rng } from '../util/rng.js';
import { accumulate, normSquared, type StepGradients } from './step.js';

/** Everything a whole-class step needs besides the batch. */
export interface ClassifyStepContext {
  images: LabelledImages;
  backbone: Backbone;
  classifiers: LinearClassifiers;
  objective: Objective;
  options: ObjectiveOptions;
  transform: LabelTransform;
  normalization: ChannelStats;
  augmentation?: AugmentationOptions;
  augmentRng: Rng;
  /** Images (after the copies) per forward/backward pass; the batch is one pass when it fits. */
  microBatch: number;
  /** Trained variables by name (backbone and classifiers). */
  params: Readonly<Record<string, tf.Variable>>;
}

/** Normalised (and augmented) pixels of `indices`, as a backbone input with the objective's copies. */
export function batchInput(ctx: ClassifyStepContext, pixels: Float32Array, count: number): tf.Tensor4D {
  const { height, width, channels } = ctx.images;
  return tf.tidy(() => {
    const x = tf.tensor4d(pixels, [count, height, width, channels]);
    return ctx.objective.usesCopies && ctx.transform.count > 1 ? ctx.transform.apply(x) : x;
  });
}

/** Gradients of the objective's mean loss over the batch `indices`. */
export function classifyStepGradients(ctx: ClassifyStepContext, indices: readonly number[]): StepGradients {
  const { images } = ctx;
  const size = images.height * images.width * images.channels;
  const pixels = prepareImages(indices.map((i) => images.image(i)), {
    shape: { height: images.height, width: images.width, channels: images.channels },
    normalization: ctx.normalization,
    ...(ctx.augmentation ? { augmentation: ctx.augmentation, rng: ctx.augmentRng } : {}),
  });
  const labels = Int32Array.from(indices, (i) => images.labels[i]!);
  const copies = ctx.objective.usesCopies ? ctx.transform.count : 1;
  const perPass = Math.max(1, Math.floor(ctx.microBatch / copies));
  const names = Object.keys(ctx.params);
  const grads: Record<string, tf.Tensor> = {};
  let loss = 0;
  let correct = 0;
  let passes = 0;
  try {
    for (let from = 0; from < indices.length; from += perPass) {
      const to = Math.min(indices.length, from + perPass);
      const weight = (to - from) / indices.length;
      const { value, grads: passGrads } = tf.engine().gradients(
        () => {
          const x = batchInput(ctx, pixels.subarray(from * size, to * size), to - from);
          const outputs = ctx.classifiers.apply(ctx.backbone.embed(x, { training: true }));
          const y = tf.tensor1d(labels.subarray(from, to), 'int32');
          const single = Object.values(ctx.objective.inferences)[0]!(outputs, copies, ctx.options.classes);
          correct += tf.equal(tf.argMax(single, 1), y).sum().dataSync()[0]!;
          return ctx.objective.loss(outputs, y, { ...ctx.options, copies }).mul(weight) as tf.Scalar;
        },
        names.map((n) => ctx.params[n]!),
        undefined,
        true,
      );
      accumulate(grads, names, passGrads);
      loss += value.dataSync()[0]!;
      value.dispose();
      passes++;
    }
  } catch (error) {
    for (const g of Object.values(grads)) g.dispose();
    throw error;
  }
  for (const [name, p] of Object.entries(ctx.params)) grads[name] ??= tf.zerosLike(p);
  return { loss, accuracy: correct / indices.length, images: indices.length * copies, passes, grads, gradNormSquared: normSquared(grads) };
}
