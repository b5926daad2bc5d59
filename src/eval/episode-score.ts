/**
 * Scoring one episode from embeddings: gather the support and query blocks (query-major copies),
 * run the lifted head once, and read single and aggregated accuracy from the same joint logits.
 */
import type { Episode } from '../episodes/sampler.js';
import type { LiftedHead } from '../sla/lift.js';
import { tf } from '../tf.js';
import type { EmbeddingCache } from './embedding-cache.js';

/** Accuracies of one episode, fractions in [0, 1]. */
export interface EpisodeAccuracy {
  /** Identity copy only (plain inference). */
  single: number;
  /** SLA+AG: logits averaged over the M copies. */
  aggregated: number;
}

/** An episode's embeddings, laid out for a lifted head. */
export interface EpisodeEmbeddings {
  /** [nS*M, d]: row (b*M + j) = copy j of support sample b, b = slot*shots + k. */
  support: Float32Array;
  /** Episode labels of the nS support samples (class slot of each). */
  supportLabels: Int32Array;
  /** [nQ*M, d], same layout, b = slot*queries + k. */
  query: Float32Array;
  queryLabels: Int32Array;
  dim: number;
  copies: number;
  ways: number;
}

/** Copies the episode's rows out of the cache (support and query images in manifest order). */
export function gatherEpisode(cache: EmbeddingCache, episode: Episode): EpisodeEmbeddings {
  const block = cache.dim * cache.copies;
  const gather = (lists: number[][]) => {
    const total = lists.reduce((n, l) => n + l.length, 0);
    const data = new Float32Array(total * block);
    const labels = new Int32Array(total);
    let b = 0;
    lists.forEach((images, slot) => {
      const classIndex = episode.classes[slot]!;
      for (const image of images) {
        data.set(cache.rows(classIndex, image), b * block);
        labels[b++] = slot;
      }
    });
    return { data, labels };
  };
  const s = gather(episode.support);
  const q = gather(episode.query);
  return {
    support: s.data,
    supportLabels: s.labels,
    query: q.data,
    queryLabels: q.labels,
    dim: cache.dim,
    copies: cache.copies,
    ways: episode.classes.length,
  };
}

/** Fraction of rows of `predicted` equal to `labels`. */
function accuracy(predicted: ArrayLike<number>, labels: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** Runs the lifted head on an episode's embeddings; both accuracies come from one joint evaluation. */
export function scoreEpisode(head: LiftedHead, e: EpisodeEmbeddings): EpisodeAccuracy {
  const nS = e.supportLabels.length;
  const nQ = e.queryLabels.length;
  const [single, aggregated] = tf.tidy(() => {
    const support = tf.tensor2d(e.support, [nS * e.copies, e.dim]);
    const query = tf.tensor2d(e.query, [nQ * e.copies, e.dim]);
    const labels = tf.tensor1d(e.supportLabels, 'int32');
    const out = head.infer(support, labels, query, e.ways);
    return [out.single.argMax(1), out.aggregated.argMax(1)];
  });
  try {
    return { single: accuracy(single!.dataSync(), e.queryLabels), aggregated: accuracy(aggregated!.dataSync(), e.queryLabels) };
  } finally {
    single!.dispose();
    aggregated!.dispose();
  }
}
