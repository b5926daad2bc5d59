/**
 * One training step's gradients: episodes -> pixels (seeded augmentation) -> M label-transformed
 * copies -> backbone in training mode -> lifted head joint logits -> joint cross-entropy, averaged
 * over the episodes of the batch.
 *
 * Batch norm in training mode normalises with the statistics of the images embedded together, so
 * which images share a backbone call is part of the recipe (`bnGrouping`):
 * - `support-query` (MetaOptNet): the supports of all episodes of the batch in one group, their
 *   queries in another;
 * - `episode`: each episode's images (support and query) in their own group;
 * - `pass`: whatever fits the micro-batch (consecutive whole episodes; an episode too large for a
 *   pass is cut into chunks), the grouping of runs made before the option existed.
 * Groups are packed into passes of at most `microBatch` images (after the copies). Episodes whose
 * groups all sit in one pass are back-propagated in one tape; otherwise every group is embedded
 * first, the loss is differentiated with respect to the embeddings, and each pass is replayed
 * (same dropout draws, DropBlock counter and statistics) to back-propagate its slice: the exact
 * gradient of the grouped forward pass. A group is never split (that would change its
 * statistics): with `support-query` or `episode`, a group larger than `microBatch` is an error.
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
import { UsageError } from '../errors.js';
import { createRng, type Rng } from '../util/rng.js';

/** Which images share batch-norm statistics in a training step (see the file header). */
export type BnGrouping = 'support-query' | 'episode' | 'pass';

/** The batch-norm groupings, the recipe's first. */
export const BN_GROUPINGS: readonly BnGrouping[] = ['support-query', 'episode', 'pass'];

/** The episode shape of a step (every episode of a sampler has it). */
export interface StepShape {
  ways: number;
  shots: number;
  queries: number;
  episodesPerBatch: number;
}

/**
 * Images (copies included) of the largest batch-norm group of a step of this shape: the smallest
 * `microBatch` the grouping accepts (0 for `pass`, which cuts what does not fit).
 */
export function largestBnGroup(grouping: BnGrouping, shape: StepShape, copies: number): number {
  const support = shape.ways * shape.shots;
  const query = shape.ways * shape.queries;
  if (grouping === 'episode') return (support + query) * copies;
  if (grouping === 'support-query') return shape.episodesPerBatch * Math.max(support, query) * copies;
  return 0;
}

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
  /** Which images share batch-norm statistics; default `pass` (the grouping before the option). */
  bnGrouping?: BnGrouping;
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
  /** Forward/backward passes used (replayed passes count twice). */
  passes: number;
  /** Images (copies included) of each batch-norm group, in order (episodic steps). */
  bnGroups?: number[];
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

/** Images [from, to) of episode `episode` of the step. */
interface Segment {
  episode: number;
  from: number;
  to: number;
}

/** Images embedded in one backbone call, sharing batch-norm statistics. */
type BnGroup = Segment[];

const groupImages = (group: BnGroup) => group.reduce((s, g) => s + g.to - g.from, 0);

/** The `pass` grouping: consecutive whole episodes while they fit, chunks of a too-large episode. */
function passGroups(prepared: readonly PreparedEpisode[], M: number, microBatch: number): BnGroup[][] {
  const passes: BnGroup[][] = [];
  let current: BnGroup = [];
  let size = 0;
  const flush = () => {
    if (current.length > 0) passes.push([current]);
    current = [];
    size = 0;
  };
  prepared.forEach((episode, i) => {
    const images = episode.images * M;
    if (images > microBatch) {
      flush();
      const perChunk = Math.max(1, Math.floor(microBatch / M));
      for (let from = 0; from < episode.images; from += perChunk) passes.push([[{ episode: i, from, to: Math.min(episode.images, from + perChunk) }]]);
      return;
    }
    if (size + images > microBatch) flush();
    current.push({ episode: i, from: 0, to: episode.images });
    size += images;
  });
  flush();
  return passes;
}

/** The batch-norm groups of a step, packed into passes of at most `microBatch` images. */
function planPasses(ctx: StepContext, prepared: readonly PreparedEpisode[]): BnGroup[][] {
  const M = ctx.transform.count;
  const grouping = ctx.bnGrouping ?? 'pass';
  if (!BN_GROUPINGS.includes(grouping)) throw new UsageError(`bnGrouping must be one of ${BN_GROUPINGS.join(', ')}, found ${JSON.stringify(grouping)}`);
  if (grouping === 'pass') return passGroups(prepared, M, ctx.microBatch);
  const groups: BnGroup[] =
    grouping === 'episode'
      ? prepared.map((e, i) => [{ episode: i, from: 0, to: e.images }])
      : [
          prepared.map((e, i) => ({ episode: i, from: 0, to: e.supportLabels.length })),
          prepared.map((e, i) => ({ episode: i, from: e.supportLabels.length, to: e.images })),
        ];
  const largest = Math.max(...groups.map((g) => groupImages(g) * M));
  if (largest > ctx.microBatch) {
    throw new UsageError(
      `bnGrouping '${grouping}' puts ${largest} images (copies included) through batch norm together, more than microBatch ${ctx.microBatch}: ` +
        `set microBatch >= ${largest} (a batch-norm group is never split, that would change its statistics), or lower episodesPerBatch, or use bnGrouping 'episode'`,
    );
  }
  const passes: BnGroup[][] = [];
  let size = Infinity;
  for (const group of groups) {
    const images = groupImages(group) * M;
    if (size + images > ctx.microBatch) {
      passes.push([]);
      size = 0;
    }
    passes[passes.length - 1]!.push(group);
    size += images;
  }
  return passes;
}

/** Runs of consecutive passes that no episode crosses (each is back-propagated on its own). */
function clustersOf(passes: BnGroup[][]): BnGroup[][][] {
  const last = new Map<number, number>();
  passes.forEach((pass, p) => pass.forEach((group) => group.forEach((s) => last.set(s.episode, p))));
  const clusters: BnGroup[][][] = [];
  let reach = -1;
  passes.forEach((pass, p) => {
    if (p > reach) clusters.push([]);
    clusters[clusters.length - 1]!.push(pass);
    for (const group of pass) for (const s of group) reach = Math.max(reach, last.get(s.episode)!);
  });
  return clusters;
}

/** The backbone input of a group: the M copies of its segments, in order. */
function groupInput(ctx: StepContext, prepared: readonly PreparedEpisode[], group: BnGroup): tf.Tensor4D {
  return tf.tidy(() => {
    const parts = group.map((s) => copiesOf(ctx, prepared[s.episode]!, s.from, s.to));
    return parts.length === 1 ? parts[0]! : (tf.concat(parts) as tf.Tensor4D);
  });
}

/**
 * Sum of the weighted losses of the episodes in `groups` from the groups' embeddings (rows in
 * segment order); each episode's rows are gathered back into support-then-query order.
 */
function groupsLoss(ctx: StepContext, prepared: readonly PreparedEpisode[], groups: BnGroup[], embeddings: tf.Tensor2D[], weight: number, tally: { correct: number }): tf.Scalar {
  const M = ctx.transform.count;
  const parts = new Map<number, { from: number; rows: tf.Tensor2D }[]>();
  groups.forEach((group, g) => {
    let row = 0;
    for (const s of group) {
      const rows = (s.to - s.from) * M;
      const list = parts.get(s.episode) ?? [];
      list.push({ from: s.from, rows: embeddings[g]!.slice([row, 0], [rows, -1]) });
      parts.set(s.episode, list);
      row += rows;
    }
  });
  let total = tf.scalar(0);
  for (const episode of [...parts.keys()].sort((a, b) => a - b)) {
    const list = parts.get(episode)!.sort((a, b) => a.from - b.from);
    const rows = list.length === 1 ? list[0]!.rows : (tf.concat(list.map((p) => p.rows)) as tf.Tensor2D);
    total = total.add(episodeLoss(ctx, prepared[episode]!, rows, weight, tally));
  }
  return total;
}

/** One pass holding whole episodes: forward and backward in one tape; returns the loss. */
function runDirect(ctx: StepContext, prepared: readonly PreparedEpisode[], pass: BnGroup[], weight: number, acc: Record<string, tf.Tensor>, tally: { correct: number }): number {
  const names = Object.keys(ctx.params);
  const { value, grads } = tf.engine().gradients(
    () => {
      const embeddings = pass.map((group) => ctx.backbone.embed(groupInput(ctx, prepared, group), { training: true }));
      return groupsLoss(ctx, prepared, pass, embeddings, weight, tally);
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
 * Passes that episodes cross: embed every group (pass 1, running statistics updated once per
 * group), take the gradient of the loss w.r.t. the group embeddings and the head variables, then
 * replay each pass with the same dropout draws and DropBlock counter and back-propagate its
 * groups' slices of the embedding gradient (pass 2, running statistics restored afterwards).
 */
function runReplayed(ctx: StepContext, prepared: readonly PreparedEpisode[], passes: BnGroup[][], weight: number, acc: Record<string, tf.Tensor>, tally: { correct: number }): number {
  const { backbone } = ctx;
  const groups = passes.flat();
  const records: { rng: object; calls: number }[] = [];
  const embeddings = groups.map((group) => {
    records.push({ rng: backbone.rng.state(), calls: backbone.trainingCalls });
    return tf.tidy(() => backbone.embed(groupInput(ctx, prepared, group), { training: true }));
  });
  const headNames = Object.keys(ctx.params).filter((n) => !(n in backbone.trainable));
  let dEmbeddings: (tf.Tensor | undefined)[] = [];
  let loss: number;
  try {
    const { value, grads } = tf.engine().gradients(
      () => groupsLoss(ctx, prepared, groups, embeddings, weight, tally),
      [...embeddings, ...headNames.map((n) => ctx.params[n]!)],
      undefined,
      true,
    );
    dEmbeddings = grads.slice(0, groups.length);
    accumulate(acc, headNames, grads.slice(groups.length));
    loss = value.dataSync()[0]!;
    value.dispose();
  } finally {
    embeddings.forEach((e) => e.dispose());
  }
  const backboneNames = Object.keys(backbone.trainable);
  const callsAfter = backbone.trainingCalls;
  try {
    let first = 0;
    for (const pass of passes) {
      const at = first;
      first += pass.length;
      const snapshot = snapshotState(backbone);
      const dy = tf.tidy(() => tf.concat(dEmbeddings.slice(at, first).map((d, j) => d ?? tf.zeros([groupImages(pass[j]!) * ctx.transform.count, backbone.outputDim(ctx.split.height, ctx.split.width)]))));
      try {
        const replay = tf.engine().gradients(
          () => {
            const out = pass.map((group, j) => {
              backbone.trainingCalls = records[at + j]!.calls;
              return backbone.embed(groupInput(ctx, prepared, group), { training: true, rng: createRng(0, records[at + j]!.rng) });
            });
            return out.length === 1 ? out[0]! : tf.concat(out);
          },
          backboneNames.map((n) => backbone.trainable[n]!),
          dy,
          true,
        );
        replay.value.dispose();
        accumulate(acc, backboneNames, replay.grads);
      } finally {
        dy.dispose();
        restoreState(backbone, snapshot);
      }
    }
  } finally {
    backbone.trainingCalls = callsAfter;
    dEmbeddings.forEach((d) => d?.dispose());
  }
  return loss;
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
  const passes = planPasses(ctx, prepared);
  const grads: Record<string, tf.Tensor> = {};
  const tally = { correct: 0 };
  let loss = 0;
  let passCount = 0;
  try {
    for (const cluster of clustersOf(passes)) {
      if (cluster.length === 1) {
        loss += runDirect(ctx, prepared, cluster[0]!, weight, grads, tally);
        passCount++;
      } else {
        loss += runReplayed(ctx, prepared, cluster, weight, grads, tally);
        passCount += 2 * cluster.length;
      }
    }
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
    passes: passCount,
    bnGroups: passes.flat().map((g) => groupImages(g) * M),
    grads,
    gradNormSquared: normSquared(grads),
  };
}
