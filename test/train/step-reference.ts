/**
 * A direct computation of a training step's loss under a batch-norm grouping, written without the
 * step's planning (passes, replays): the reference of the step and trainer tests.
 */
import type { Backbone } from '../../src/backbones/types.js';
import type { FewShotSplit } from '../../src/data/types.js';
import type { Episode } from '../../src/episodes/sampler.js';
import { jointCrossEntropy, type LiftedHead } from '../../src/sla/index.js';
import { tf } from '../../src/tf.js';
import type { LabelTransform } from '../../src/transforms/label-transform.js';
import type { ChannelStats } from '../../src/transforms/normalization.js';
import { prepareImages } from '../../src/transforms/index.js';

/** A batch's images by role, in the step's order (episode by episode, class-major). */
export function rolesOf(split: FewShotSplit, episodes: readonly Episode[], role: 'support' | 'query'): Uint8Array[] {
  return episodes.flatMap((e) => e.classes.flatMap((c, y) => e[role][y]!.map((i) => split.image(c, i))));
}

/** An episode's labels of one role, class-major. */
function labelsOf(episode: Episode, role: 'support' | 'query'): tf.Tensor1D {
  return tf.tensor1d(episode[role].flatMap((indices, y) => indices.map(() => y)), 'int32');
}

/** Who shares a backbone call: the step's groupings, with `batch` for all images of all episodes in one call. */
export type ReferenceGrouping = 'support-query' | 'episode' | 'batch';

export interface ReferenceStep {
  split: FewShotSplit;
  backbone: Backbone;
  head: LiftedHead;
  transform: LabelTransform;
  normalization: ChannelStats;
  labelSmoothing: number;
  episodes: readonly Episode[];
  grouping: ReferenceGrouping;
}

/**
 * Mean joint cross-entropy of the episodes (no augmentation) with the backbone in training mode:
 * `support-query` embeds the supports of all episodes in one call and the queries in another,
 * `episode` each episode's supports and queries in one call, `batch` every image in one call.
 */
export function referenceLoss(step: ReferenceStep): tf.Scalar {
  const { split, backbone, head, transform, normalization, episodes } = step;
  const M = transform.count;
  const embed = (images: Uint8Array[]) =>
    backbone.embed(
      transform.apply(tf.tensor4d(prepareImages(images, { shape: { height: split.height, width: split.width, channels: split.channels }, normalization }), [images.length, split.height, split.width, split.channels])),
      { training: true },
    );
  const sizes = episodes.map((e) => ({ s: rolesOf(split, [e], 'support').length * M, q: rolesOf(split, [e], 'query').length * M }));
  let parts: (readonly [tf.Tensor2D, tf.Tensor2D])[];
  if (step.grouping === 'support-query') {
    const s = embed(rolesOf(split, episodes, 'support'));
    const q = embed(rolesOf(split, episodes, 'query'));
    let atS = 0;
    let atQ = 0;
    parts = sizes.map(({ s: nS, q: nQ }) => {
      const part = [s.slice(atS, nS), q.slice(atQ, nQ)] as const;
      atS += nS;
      atQ += nQ;
      return part;
    });
  } else {
    const calls = step.grouping === 'episode' ? episodes.map((e) => [e]) : [episodes];
    parts = calls.flatMap((call) => {
      const x = embed(call.flatMap((e) => [...rolesOf(split, [e], 'support'), ...rolesOf(split, [e], 'query')]));
      let at = 0;
      return call.map((e) => {
        const { s: nS, q: nQ } = sizes[episodes.indexOf(e)]!;
        const part = [x.slice(at, nS), x.slice(at + nS, nQ)] as const;
        at += nS + nQ;
        return part;
      });
    });
  }
  let total = tf.scalar(0);
  parts.forEach(([support, query], k) => {
    const e = episodes[k]!;
    const joint = head.jointLogits(support, labelsOf(e, 'support'), query, e.classes.length);
    total = total.add(jointCrossEntropy(joint, labelsOf(e, 'query'), M, { labelSmoothing: step.labelSmoothing }).div(episodes.length));
  });
  return total;
}
