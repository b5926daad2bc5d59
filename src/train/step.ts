/**
 * One training step's gradients: episodes -> pixels (seeded augmentation) -> M label-transformed
 * copies -> backbone in training mode -> lifted head joint logits -> joint cross-entropy, averaged
 * over the episodes of the batch. Work is cut into micro-batches of at most `microBatch` images
 * (after the copies) and the gradients are accumulated: whole episodes are grouped while they
 * fit; an episode that alone does not fit is embedded chunk by chunk and back-propagated in two
 * passes (embeddings first, then each chunk again with the gradient of its embeddings), which
 * gives the gradient of the chunked forward pass exactly.
 */
import type { Backbone } from '../backbones/types.js';
import type { FewShotSplit } from '../data/types.js';
import type { Episode } from '../episodes/sampler.js';
import { jointLabels } from '../sla/joint-labels.js';
import type { LiftedHead } from '../sla/lift.js';
import { jointCrossEntropy } from '../sla/losses.js';
import { tf } from '../tf.js';
import type { AugmentationOptions } from '../transforms/augment.js';
import type { LabelTransform } from '../transforms/label-transform.js';
import type { ChannelStats } from '../transforms/normalization.js';
import { prepareImages } from '../transforms/pipeline.js';
import { createRng, type Rng } from '../util/rng.js';

/** Everything a step needs besides the episodes. */
export interface StepContext {
  split: FewShotSplit;
  backbone: Backbone;
  /** The head lifted to `transform.count` copies. */
  head: LiftedHead;
  transform: LabelTransform;
  normalization: ChannelStats;
  /** Training augmentation (undefined: none); draws come from `augmentRng` in episode order. */
  augmentation?: AugmentationOptions;
  augmentRng: Rng;
  labelSmoothing: number;
  /** Maximum images (after the M copies) in one forward/backward pass. */
  microBatch: number;
  /** The trained variables by name (backbone and head); gradients come back under these names. */
  params: Readonly<Record<string, tf.Variable>>;
}

/** Gradients and statistics of one step. */
export interface StepGradients {
  /** Mean joint cross-entropy over the episodes. */
  loss: number;
  /** Joint-label accuracy of the training queries (argmax over N*M joint classes). */
  accuracy: number;
  /** Images through the backbone, copies included. */
  images: number;
  /** Forward/backward passes used (more than the episode count when episodes were split). */
  passes: number;
  /** d(mean loss)/d(param) by parameter name; the caller disposes them. */
  grads: Record<string, tf.Tensor>;
  /** Squared global norm of the gradients (NaN/Infinity when they are not finite). */
  gradNormSquared: number;
}

/** An episode's images in training order (support class-major, then query class-major), prepared. */
interface PreparedEpisode {
  pixels: Float32Array;
  images: number;
  supportLabels: Int32Array;
  queryLabels: Int32Array;
  ways: number;
}

/** Gathers and prepares (augments, normalises) the pixels of one episode. */
function prepareEpisode(ctx: StepContext, episode: Episode): PreparedEpisode {
  const { split } = ctx;
  const images: Uint8Array[] = [];
  const supportLabels: number[] = [];
  const queryLabels: number[] = [];
  episode.classes.forEach((c, y) => episode.support[y]!.forEach((i) => (images.push(split.image(c, i)), supportLabels.push(y))));
  episode.classes.forEach((c, y) => episode.query[y]!.forEach((i) => (images.push(split.image(c, i)), queryLabels.push(y))));
  const pixels = prepareImages(images, {
    shape: { height: split.height, width: split.width, channels: split.channels },
    normalization: ctx.normalization,
    ...(ctx.augmentation ? { augmentation: ctx.augmentation, rng: ctx.augmentRng } : {}),
  });
  return {
    pixels,
    images: images.length,
    supportLabels: Int32Array.from(supportLabels),
    queryLabels: Int32Array.from(queryLabels),
    ways: episode.classes.length,
  };
}

/** The M copies of images [from, to) of an episode as a backbone input [n*M, H, W, C]. */
function copiesOf(ctx: StepContext, episode: PreparedEpisode, from: number, to: number): tf.Tensor4D {
  const { height, width, channels } = ctx.split;
  const size = height * width * channels;
  return tf.tidy(() => {
    const x = tf.tensor4d(episode.pixels.subarray(from * size, to * size), [to - from, height, width, channels]);
    return ctx.transform.count === 1 ? x : ctx.transform.apply(x);
  });
}

/** Loss (scaled by `weight`) of one episode from its embeddings [images*M, d]; adds to `correct`. */
function episodeLoss(ctx: StepContext, episode: PreparedEpisode, embeddings: tf.Tensor2D, weight: number, tally: { correct: number }): tf.Scalar {
  const M = ctx.transform.count;
  const nS = episode.supportLabels.length * M;
  const nQ = episode.queryLabels.length * M;
  const d = embeddings.shape[1];
  const support = embeddings.slice([0, 0], [nS, d]);
  const query = embeddings.slice([nS, 0], [nQ, d]);
  const queryLabels = tf.tensor1d(episode.queryLabels, 'int32');
  const joint = ctx.head.jointLogits(support, tf.tensor1d(episode.supportLabels, 'int32'), query, episode.ways);
  tally.correct += tf.equal(tf.argMax(joint, 1), jointLabels(queryLabels, M)).sum().dataSync()[0]!;
  return jointCrossEntropy(joint, queryLabels, M, { labelSmoothing: ctx.labelSmoothing }).mul(weight);
}

/** Adds `grads` (aligned with `names`) into `into`, taking ownership; missing grads count as zero. */
export function accumulate(into: Record<string, tf.Tensor>, names: readonly string[], grads: (tf.Tensor | undefined)[]): void {
  names.forEach((name, i) => {
    const grad = grads[i];
    if (!grad) return;
    const previous = into[name];
    into[name] = previous ? tf.tidy(() => previous.add(grad)) : grad;
    if (previous) {
      previous.dispose();
      grad.dispose();
    }
  });
}

/** Whole episodes in one pass: groups of consecutive episodes whose copies fit `microBatch`. */
function runGroup(ctx: StepContext, group: PreparedEpisode[], weight: number, acc: Record<string, tf.Tensor>, tally: { correct: number }): number {
  const names = Object.keys(ctx.params);
  const { value, grads } = tf.engine().gradients(
    () => {
      const inputs = group.map((e) => copiesOf(ctx, e, 0, e.images));
      const x = inputs.length === 1 ? inputs[0]! : tf.concat(inputs);
      const embeddings = ctx.backbone.embed(x, { training: true });
      let total = tf.scalar(0);
      let row = 0;
      for (const episode of group) {
        const rows = episode.images * ctx.transform.count;
        total = total.add(episodeLoss(ctx, episode, embeddings.slice([row, 0], [rows, -1]), weight, tally));
        row += rows;
      }
      return total;
    },
    names.map((n) => ctx.params[n]!),
    undefined,
    true,
  );
  accumulate(acc, names, grads);
  const loss = value.dataSync()[0]!;
  value.dispose();
  return loss;
}

/** Saves the batch-norm running statistics (restored after a replayed forward pass). */
function snapshotState(backbone: Backbone): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(backbone.state).map(([n, v]) => [n, v.clone()]));
}

function restoreState(backbone: Backbone, snapshot: Record<string, tf.Tensor>): void {
  for (const [name, value] of Object.entries(snapshot)) {
    backbone.state[name]!.assign(value);
    value.dispose();
  }
}

/**
 * One episode too large for a pass: embed chunks (pass 1, BN statistics per chunk), gradient of
 * the loss w.r.t. the embeddings and head variables, then replay each chunk with the same dropout
 * draws and DropBlock counter and back-propagate its slice of the embedding gradient (pass 2).
 */
function runSplitEpisode(ctx: StepContext, episode: PreparedEpisode, weight: number, acc: Record<string, tf.Tensor>, tally: { correct: number }): { loss: number; passes: number } {
  const { backbone } = ctx;
  const M = ctx.transform.count;
  const perChunk = Math.max(1, Math.floor(ctx.microBatch / M));
  const chunks: { from: number; to: number; rng: object; calls: number }[] = [];
  const parts: tf.Tensor2D[] = [];
  for (let from = 0; from < episode.images; from += perChunk) {
    const chunk = { from, to: Math.min(episode.images, from + perChunk), rng: backbone.rng.state(), calls: backbone.trainingCalls };
    chunks.push(chunk);
    parts.push(tf.tidy(() => backbone.embed(copiesOf(ctx, episode, chunk.from, chunk.to), { training: true })));
  }
  const embeddings = tf.concat(parts) as tf.Tensor2D;
  parts.forEach((p) => p.dispose());
  const headNames = Object.keys(ctx.params).filter((n) => !(n in backbone.trainable));
  const { value, grads } = tf.engine().gradients(
    () => episodeLoss(ctx, episode, embeddings, weight, tally),
    [embeddings, ...headNames.map((n) => ctx.params[n]!)],
    undefined,
    true,
  );
  const [dEmbeddings, ...headGrads] = grads;
  accumulate(acc, headNames, headGrads);
  embeddings.dispose();
  const loss = value.dataSync()[0]!;
  value.dispose();
  const backboneNames = Object.keys(backbone.trainable);
  const callsAfter = backbone.trainingCalls;
  try {
    for (const chunk of chunks) {
      const snapshot = snapshotState(backbone);
      backbone.trainingCalls = chunk.calls;
      const dChunk = dEmbeddings!.slice([chunk.from * M, 0], [(chunk.to - chunk.from) * M, -1]);
      try {
        const pass = tf.engine().gradients(
          () => backbone.embed(copiesOf(ctx, episode, chunk.from, chunk.to), { training: true, rng: createRng(0, chunk.rng) }),
          backboneNames.map((n) => backbone.trainable[n]!),
          dChunk,
          true,
        );
        pass.value.dispose();
        accumulate(acc, backboneNames, pass.grads);
      } finally {
        dChunk.dispose();
        restoreState(backbone, snapshot);
      }
    }
  } finally {
    backbone.trainingCalls = callsAfter;
    dEmbeddings?.dispose();
  }
  return { loss, passes: chunks.length * 2 };
}

/** Squared global norm of a set of gradients (one sync). */
export function normSquared(grads: Record<string, tf.Tensor>): number {
  const values = Object.values(grads);
  if (values.length === 0) return 0;
  return tf.tidy(() => tf.addN(values.map((g) => g.square().sum())).dataSync()[0]!);
}

/** Gradients of the mean episode loss of `episodes`, within the micro-batch budget. */
export function stepGradients(ctx: StepContext, episodes: readonly Episode[]): StepGradients {
  const prepared = episodes.map((e) => prepareEpisode(ctx, e));
  const M = ctx.transform.count;
  const weight = 1 / episodes.length;
  const grads: Record<string, tf.Tensor> = {};
  const tally = { correct: 0 };
  let loss = 0;
  let passes = 0;
  try {
    let group: PreparedEpisode[] = [];
    let groupImages = 0;
    const flush = () => {
      if (group.length === 0) return;
      loss += runGroup(ctx, group, weight, grads, tally);
      passes++;
      group = [];
      groupImages = 0;
    };
    for (const episode of prepared) {
      const images = episode.images * M;
      if (images > ctx.microBatch) {
        flush();
        const split = runSplitEpisode(ctx, episode, weight, grads, tally);
        loss += split.loss;
        passes += split.passes;
        continue;
      }
      if (groupImages + images > ctx.microBatch) flush();
      group.push(episode);
      groupImages += images;
    }
    flush();
  } catch (error) {
    for (const g of Object.values(grads)) g.dispose();
    throw error;
  }
  for (const [name, p] of Object.entries(ctx.params)) grads[name] ??= tf.zerosLike(p);
  const queries = prepared.reduce((s, e) => s + e.queryLabels.length * M, 0);
  return {
    loss,
    accuracy: tally.correct / queries,
    images: prepared.reduce((s, e) => s + e.images * M, 0),
    passes,
    grads,
    gradNormSquared: normSquared(grads),
  };
}
