/** What the evaluator needs of a trained model: backbone, head, label transformation, normalisation. */
import type { Backbone } from '../backbones/types.js';
import type { JsonValue } from '../backbones/checkpoint.js';
import { UsageError } from '../errors.js';
import type { Head } from '../heads/types.js';
import type { ChannelStats } from '../transforms/normalization.js';
import type { LabelTransform } from '../transforms/label-transform.js';

/** A model ready to evaluate; the evaluator never disposes it (its owner does). */
export interface EvalModel {
  backbone: Backbone;
  /** The plain (N-way) head; the evaluator lifts it to `transform.count` copies. */
  head: Head;
  /** Options `head` was created with (`createHead(head.name, headOptions)`): worker threads rebuild it. */
  headOptions?: Record<string, unknown>;
  transform: LabelTransform;
  normalization: ChannelStats;
  /** Image size the model was trained on; when given, the evaluated split must match it. */
  imageSize?: { height: number; width: number; channels: number };
  /** Free-form description recorded in the results (file, config, training run...). */
  info?: JsonValue;
}

/** Minimum ways per head: the Crammer-Singer SVM has nothing to separate with one class. */
const MIN_WAYS: Readonly<Record<string, number>> = { svm: 2 };

/** Throws a one-line UsageError when `head` cannot run `ways`-way episodes (e.g. svm with --ways 1). */
export function checkHeadWays(head: string, ways: number): void {
  const min = MIN_WAYS[head] ?? 1;
  if (ways < min) throw new UsageError(`head '${head}' needs at least ${min} ways per episode, found --ways ${ways}`);
}

/** Throws a one-line UsageError when the split's images differ in size from the model's training images. */
export function checkImageSize(model: EvalModel, split: { dataset: string; split: string; height: number; width: number; channels: number }): void {
  const want = model.imageSize;
  if (!want) return;
  if (want.height !== split.height || want.width !== split.width || want.channels !== split.channels) {
    throw new UsageError(
      `the model was trained on ${want.height}x${want.width}x${want.channels} images but ${split.dataset}/${split.split} has ${split.height}x${split.width}x${split.channels}; prepare the data at that size (jointshot data prepare ... --size ${want.height})`,
    );
  }
}
