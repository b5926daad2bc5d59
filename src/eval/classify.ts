/**
 * Whole-class evaluation: one embedding pass over a labelled test set gives every inference a
 * model offers (its objective's read-outs: `single`, `aggregated`, `sd`) plus `ten-crop` (the
 * `single` read-out averaged over ten views); `ensembleLogits` combines several models. Results keep
 * per-image correctness so two runs on the same test set can be compared pairwise (McNemar).
 */
import type { LabelledImages } from '../data/classification-types.js';
import { DataError, UsageError } from '../errors.js';
import { getObjective } from '../objectives/registry.js';
import type { ClassifierOutputs } from '../objectives/types.js';
import { wilsonInterval, type ProportionInterval } from '../stats/binomial.js';
import { tf } from '../tf.js';
import { prepareImages } from '../transforms/pipeline.js';
import { tenCropView } from '../transforms/ten-crop.js';
import type { TrainedModel } from '../train/model.js';

/** The inference computed from ten views of each image. */
export const TEN_CROP = 'ten-crop';

/** Options of a whole-class evaluation. */
export interface ClassifyEvalOptions {
  /** Inference names (default: every read-out of the model's objective). */
  inferences?: readonly string[];
  /** Images per embedding pass, before the copies (default 100). */
  batchSize?: number;
  /** Zero padding of the ten-crop views (default: the recipe's training crop padding for the image size). */
  tenCropPadding?: number;
}

/** Test-set logits [n, N] (row-major) per inference, with the labels. */
export interface ClassifierLogits {
  count: number;
  classes: number;
  labels: Int32Array;
  logits: Record<string, Float32Array>;
  tenCropPadding?: number;
}

/** The inferences a whole-class model offers (its objective's read-outs, then ten-crop). */
export function availableInferences(model: TrainedModel): string[] {
  if (!model.wholeClass) throw new UsageError('this model was trained episodically: evaluate it on episodes (`jointshot eval MODEL --manifest ...`), not whole-class');
  return [...Object.keys(getObjective(model.wholeClass.objective).inferences), TEN_CROP];
}

/** Checks the requested inference names against the model; returns them (default: all but ten-crop). */
export function checkInferences(model: TrainedModel, requested?: readonly string[]): string[] {
  const available = availableInferences(model);
  const names = requested && requested.length > 0 ? [...requested] : available.filter((n) => n !== TEN_CROP);
  const unknown = names.find((n) => !available.includes(n));
  if (unknown !== undefined) {
    const why = unknown === 'sd' ? ' (`sd` needs a model trained with objective sla+sd)' : unknown === 'aggregated' ? ' (`aggregated` needs a joint classifier: objective sla or sla+sd)' : '';
    throw new UsageError(`inference '${unknown}' is not offered by this ${model.wholeClass!.objective} model${why}; available: ${available.join(', ')}`);
  }
  return names;
}

/** Outputs of the model's classifiers on a normalised batch (all M copies when the model has them). */
function outputsOf(model: TrainedModel, pixels: Float32Array, count: number, images: LabelledImages): ClassifierOutputs {
  return tf.tidy(() => {
    const x = tf.tensor4d(pixels, [count, images.height, images.width, images.channels]);
    const input = model.transform.count > 1 ? model.transform.apply(x) : x;
    return model.wholeClass!.classifiers.apply(model.backbone.embed(input, { training: false }));
  });
}

/** Logits of every requested inference on `images` (batch norm in inference mode). */
export function classifierLogits(model: TrainedModel, images: LabelledImages, options: ClassifyEvalOptions = {}): ClassifierLogits {
  const names = checkInferences(model, options.inferences);
  const { classes } = model.wholeClass!;
  const objective = getObjective(model.wholeClass!.objective);
  const M = model.transform.count;
  const N = classes.length;
  const n = images.labels.length;
  if (images.height !== model.imageSize.height || images.width !== model.imageSize.width || images.channels !== model.imageSize.channels) {
    throw new DataError(
      `the model was trained on ${model.imageSize.height}x${model.imageSize.width}x${model.imageSize.channels} images, the test set has ${images.height}x${images.width}x${images.channels}: prepare the data at the model's size`,
    );
  }
  const shape = { height: images.height, width: images.width, channels: images.channels };
  const padding = options.tenCropPadding ?? Math.min(8, Math.round(images.height / 8));
  const batchSize = options.batchSize ?? 100;
  const logits: Record<string, Float32Array> = Object.fromEntries(names.map((name) => [name, new Float32Array(n * N)]));
  const readouts = names.filter((name) => name !== TEN_CROP);
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize);
    const batch = Array.from({ length: to - from }, (_, i) => images.image(from + i));
    if (readouts.length > 0) {
      const outputs = outputsOf(model, prepareImages(batch, { shape, normalization: model.normalization }), batch.length, images);
      for (const name of readouts) {
        const readout = tf.tidy(() => objective.inferences[name]!(outputs, M, N));
        logits[name]!.set(readout.dataSync() as Float32Array, from * N);
        readout.dispose();
      }
      for (const t of Object.values(outputs)) t.dispose();
    }
    if (names.includes(TEN_CROP)) {
      const sum = new Float32Array(batch.length * N);
      for (let view = 0; view < 10; view++) {
        const outputs = outputsOf(model, tenCropView(batch, shape, padding, view, model.normalization), batch.length, images);
        const single = tf.tidy(() => objective.inferences.single!(outputs, M, N));
        const values = single.dataSync();
        single.dispose();
        for (const t of Object.values(outputs)) t.dispose();
        for (let i = 0; i < values.length; i++) sum[i]! += values[i]! / 10;
      }
      logits[TEN_CROP]!.set(sum, from * N);
    }
  }
  return { count: n, classes: N, labels: images.labels, logits, ...(names.includes(TEN_CROP) ? { tenCropPadding: padding } : {}) };
}

/** Row-wise softmax of logits [n, N] (float64 accumulation). */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length; row += classes) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[row + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[row + c]! - max);
    for (let c = 0; c < classes; c++) out[row + c] = Math.exp(logits[row + c]! - max) / sum;
  }
  return out;
}

/**
 * Ensemble of K models: the mean of their softmax probabilities (deep-ensemble practice; logits of
 * independently trained models have different scales, so averaging raw logits would weight models
 * by their confidence scale). Returns probabilities [n, N].
 */
export function ensembleLogits(members: readonly Float32Array[], classes: number): Float32Array {
  if (members.length === 0) throw new UsageError('an ensemble needs at least one model');
  const out = new Float32Array(members[0]!.length);
  for (const member of members) {
    if (member.length !== out.length) throw new DataError(`ensemble members disagree in size (${member.length} vs ${out.length} logits)`);
    const p = softmaxRows(member, classes);
    for (let i = 0; i < out.length; i++) out[i]! += p[i]! / members.length;
  }
  return out;
}

/** Per-image correctness (1/0) of argmax(scores) against labels. */
export function correctness(scores: Float32Array, labels: Int32Array, classes: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[i * classes + c]! > scores[i * classes + best]!) best = c;
    out[i] = best === labels[i] ? 1 : 0;
  }
  return out;
}

/** One inference's result: top-1 accuracy (percent) with its Wilson interval and per-image correctness. */
export interface InferenceResult {
  accuracy: number;
  correctCount: number;
  interval: ProportionInterval;
  correct: Uint8Array;
}

/** Accuracy, interval and per-image correctness of each inference's scores. */
export function scoreInferences(scores: Record<string, Float32Array>, labels: Int32Array, classes: number): Record<string, InferenceResult> {
  return Object.fromEntries(
    Object.entries(scores).map(([name, values]) => {
      const correct = correctness(values, labels, classes);
      const k = correct.reduce((s, v) => s + v, 0);
      return [name, { accuracy: (100 * k) / labels.length, correctCount: k, interval: wilsonInterval(k, labels.length), correct }];
    }),
  );
}

/** Frequency groups of long-tail papers: many-shot > 100, medium 20-100, few-shot < 20 training images (at n_max >= 500). */
export const FREQUENCY_THRESHOLDS = { many: 100, few: 20, atMax: 500 } as const;

/** The classes of each frequency group, with the thresholds used. */
export interface FrequencyGroups {
  /** A class is many-shot with more than `many` training images, few-shot with fewer than `few`. */
  many: number;
  few: number;
  trainCounts: number[];
  classes: { many: number[]; medium: number[]; few: number[] };
}

/**
 * Groups classes by training-set size. The thresholds 100 / 20 are for n_max >= 500 (CIFAR-100-LT,
 * tiny-imagenet-fs); smaller sets scale both by n_max / 500, so the groups keep their share.
 */
export function frequencyGroups(trainCounts: readonly number[]): FrequencyGroups {
  const factor = Math.min(1, Math.max(...trainCounts) / FREQUENCY_THRESHOLDS.atMax);
  const many = FREQUENCY_THRESHOLDS.many * factor;
  const few = FREQUENCY_THRESHOLDS.few * factor;
  const classes: FrequencyGroups['classes'] = { many: [], medium: [], few: [] };
  trainCounts.forEach((n, c) => classes[n > many ? 'many' : n < few ? 'few' : 'medium'].push(c));
  return { many, few, trainCounts: [...trainCounts], classes };
}

/** Accuracy (percent) of each frequency group: the mean of its classes' test accuracies (null for an empty group). */
export function groupAccuracies(correct: Uint8Array, labels: Int32Array, groups: FrequencyGroups): Record<'many' | 'medium' | 'few', number | null> {
  const hits = new Array<number>(groups.trainCounts.length).fill(0);
  const seen = new Array<number>(groups.trainCounts.length).fill(0);
  labels.forEach((y, i) => {
    seen[y]!++;
    hits[y]! += correct[i]!;
  });
  const mean = (cs: number[]) => {
    const tested = cs.filter((c) => seen[c]! > 0);
    return tested.length === 0 ? null : (100 * tested.reduce((s, c) => s + hits[c]! / seen[c]!, 0)) / tested.length;
  };
  return { many: mean(groups.classes.many), medium: mean(groups.classes.medium), few: mean(groups.classes.few) };
}
