/**
 * The reference path the cache must agree with: embed one episode's own images afresh (support,
 * then queries), with no sharing between episodes.
 */
import type { FewShotSplit } from '../data/types.js';
import type { Episode } from '../episodes/sampler.js';
import { tf } from '../tf.js';
import { prepareImages } from '../transforms/pipeline.js';
import type { EpisodeEmbeddings } from './episode-score.js';
import type { EvalModel } from './model.js';

/** Embeds the listed images of `episode` (per class slot, in order) as query-major copies. */
function embedLists(split: FewShotSplit, episode: Episode, lists: number[][], model: EvalModel) {
  const images: Uint8Array[] = [];
  const labels: number[] = [];
  lists.forEach((list, slot) => {
    for (const image of list) {
      images.push(split.image(episode.classes[slot]!, image));
      labels.push(slot);
    }
  });
  const shape = { height: split.height, width: split.width, channels: split.channels };
  const pixels = prepareImages(images, { shape, normalization: model.normalization });
  const embedded = tf.tidy(() => {
    const batch = tf.tensor4d(pixels, [images.length, shape.height, shape.width, shape.channels]);
    return model.backbone.embed(model.transform.apply(batch), { training: false });
  });
  try {
    return { data: Float32Array.from(embedded.dataSync()), labels: Int32Array.from(labels), dim: embedded.shape[1] };
  } finally {
    embedded.dispose();
  }
}

/** One episode's embeddings computed directly from its pixels (no cache): the naive path. */
export function embedEpisodeNaive(split: FewShotSplit, episode: Episode, model: EvalModel): EpisodeEmbeddings {
  const s = embedLists(split, episode, episode.support, model);
  const q = embedLists(split, episode, episode.query, model);
  return {
    support: s.data,
    supportLabels: s.labels,
    query: q.data,
    queryLabels: q.labels,
    dim: s.dim,
    copies: model.transform.count,
    ways: episode.classes.length,
  };
}
