/**
 * The evaluation embedding cache: every (image, transformation copy) an evaluation needs is
 * embedded once, in inference mode and in batches, and kept OUTSIDE the wasm heap as one
 * Float32Array per class (on a SharedArrayBuffer); batches may be embedded by worker processes.
 * A class's chunk is images x M x d floats: for ResNet-12 on mini-ImageNet 600 x 4 x 16000 x 4 B
 * = 154 MB, far below the 2 GiB limit of one ArrayBuffer; the 20 test classes together take ~3 GB.
 */
import { assertWasmHeapHealthy } from '../backend/wasm/heap.js';
import type { Backbone } from '../backbones/types.js';
import type { FewShotSplit } from '../data/types.js';
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';
import type { ChannelStats } from '../transforms/normalization.js';
import type { LabelTransform } from '../transforms/label-transform.js';
import { prepareImages } from '../transforms/pipeline.js';

/** Largest byte length of one class chunk (one ArrayBuffer): 2 GiB - 1. */
export const MAX_CHUNK_BYTES = 2 ** 31 - 1;

/** One class's embeddings: `data` row (slot*M + j) is copy j of the image in `slot`. */
export interface ClassChunk {
  /** slotOf[imageIndex] = row block of that image, or -1 when it was not embedded. */
  slotOf: Int32Array;
  data: Float32Array;
}

/** Embeddings of the images of one split under M label transformations, by class. */
export interface EmbeddingCache {
  /** Embedding size d. */
  readonly dim: number;
  /** M, copies per image (row b*M + j of an image block is copy j: the lifted heads' layout). */
  readonly copies: number;
  readonly chunks: readonly ClassChunk[];
  /** Total bytes of embeddings held. */
  readonly bytes: number;
  /** The M*d floats of image `imageIndex` of class `classIndex` (a view, not a copy). */
  rows(classIndex: number, imageIndex: number): Float32Array;
}

/** Wraps chunks (e.g. received by a worker thread) as an EmbeddingCache. */
export function cacheFromChunks(chunks: readonly ClassChunk[], dim: number, copies: number): EmbeddingCache {
  const block = dim * copies;
  const bytes = chunks.reduce((sum, c) => sum + c.data.byteLength, 0);
  return {
    dim,
    copies,
    chunks,
    bytes,
    rows(classIndex, imageIndex) {
      const chunk = chunks[classIndex];
      const slot = chunk?.slotOf[imageIndex] ?? -1;
      if (slot < 0) throw new UsageError(`embedding cache holds no embedding of image ${imageIndex} of class ${classIndex}`);
      return chunk!.data.subarray(slot * block, (slot + 1) * block);
    },
  };
}

/** Progress of the embedding pass, in images (each counts M copies). */
export type EmbedProgress = (done: number, total: number) => void;

/** Embeds a batch of raw images (uint8 HWC) under the M copies: images x M rows of d floats. */
export type ImageEmbedder = (images: Uint8Array[]) => Promise<Float32Array>;

/** How to fill the cache. */
export interface CacheBuildOptions {
  backbone: Backbone;
  transform: LabelTransform;
  normalization: ChannelStats;
  /** Images per forward pass BEFORE the M copies (default: `defaultEmbedBatch`). */
  batchSize?: number;
  onProgress?: EmbedProgress;
  /**
   * Runs the batches elsewhere (the evaluator's worker processes) instead of `embedImages` here;
   * `inFlight` batches are outstanding at once (default 1). The batches are the same either way.
   */
  embedder?: { embed: ImageEmbedder; inFlight: number };
}

/** What embedding a batch of images needs besides the images. */
export interface ImageEmbedding {
  backbone: Backbone;
  transform: LabelTransform;
  normalization: ChannelStats;
  shape: { height: number; width: number; channels: number };
}

/**
 * Prepares (normalises) a batch of raw images, makes the M transformed copies and embeds them in
 * inference mode: images x M rows of d floats, row (b*M + j) = copy j of image b. The one code
 * path of the calling thread and of the worker processes.
 */
export async function embedImages(images: readonly Uint8Array[], e: ImageEmbedding): Promise<Float32Array> {
  const { shape } = e;
  const pixels = prepareImages(images, { shape, normalization: e.normalization });
  const embedded = tf.tidy(() => {
    const batch = tf.tensor4d(pixels, [images.length, shape.height, shape.width, shape.channels]);
    return e.backbone.embed(e.transform.apply(batch), { training: false });
  });
  try {
    return (await embedded.data()) as Float32Array;
  } finally {
    embedded.dispose();
    assertWasmHeapHealthy();
  }
}

/**
 * Default images per forward pass: about 128 transformed 32x32 images' worth of pixels (fewer for
 * bigger images, at least 1), which keeps inference activations of ResNet-12 at 84x84 to a few
 * hundred MB of wasm heap.
 */
export function defaultEmbedBatch(height: number, width: number, copies: number): number {
  const transformed = Math.max(8, Math.floor((128 * 32 * 32) / (height * width)));
  return Math.max(1, Math.floor(transformed / copies));
}

/** For each class of `split`, the sorted image indices in `used` (a set per class). */
function sortedIndices(used: readonly Set<number>[]): number[][] {
  return used.map((set) => [...set].sort((a, b) => a - b));
}

/**
 * Embeds every image listed in `used[c]` (image indices of class c) under all M copies of the
 * transform, in inference mode, and returns the cache. Per-class chunks live outside the wasm heap.
 */
export async function buildEmbeddingCache(
  split: FewShotSplit,
  used: readonly Set<number>[],
  options: CacheBuildOptions,
): Promise<EmbeddingCache> {
  const { backbone, transform, normalization } = options;
  if (used.length !== split.classes.length) {
    throw new UsageError(`embedding cache: ${used.length} class image sets for a split of ${split.classes.length} classes`);
  }
  const M = transform.count;
  const shape = { height: split.height, width: split.width, channels: split.channels };
  transform.check([1, shape.height, shape.width, shape.channels]);
  const batchSize = options.batchSize ?? defaultEmbedBatch(shape.height, shape.width, M);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a positive integer, found ${batchSize}`);
  const dim = backbone.outputDim(shape.height, shape.width);
  const indices = sortedIndices(used);
  const chunks: ClassChunk[] = indices.map((list, c) => {
    const count = split.classes[c]!.count;
    const bytes = list.length * M * dim * 4;
    if (bytes > MAX_CHUNK_BYTES) {
      throw new UsageError(
        `class '${split.classes[c]!.name}' would need ${(bytes / 2 ** 30).toFixed(2)} GiB of embeddings in one chunk (limit 2 GiB); use fewer copies or a smaller backbone output`,
      );
    }
    const slotOf = new Int32Array(count).fill(-1);
    list.forEach((image, slot) => {
      if (!Number.isInteger(image) || image < 0 || image >= count) {
        throw new UsageError(`image ${image} of class '${split.classes[c]!.name}' is out of range (0..${count - 1})`);
      }
      slotOf[image] = slot;
    });
    return { slotOf, data: new Float32Array(new SharedArrayBuffer(bytes)) };
  });
  const work: [number, number][] = indices.flatMap((list, c) => list.map((image) => [c, image] as [number, number]));
  const block = M * dim;
  const embed: ImageEmbedder = options.embedder?.embed ?? ((images) => embedImages(images, { backbone, transform, normalization, shape }));
  let done = 0;
  const runBatch = async (start: number) => {
    const batch = work.slice(start, start + batchSize);
    const values = await embed(batch.map(([c, i]) => split.image(c, i)));
    if (values.length !== batch.length * block) {
      throw new UsageError(`backbone returned ${values.length} floats for ${batch.length} x ${M} images of dim ${dim}`);
    }
    batch.forEach(([c, image], b) => {
      const chunk = chunks[c]!;
      chunk.data.set(values.subarray(b * block, (b + 1) * block), chunk.slotOf[image]! * block);
    });
    done += batch.length;
    options.onProgress?.(done, work.length);
  };
  // A window of batches in flight (1 here: one after the other); each writes its own rows.
  const inFlight = new Set<Promise<void>>();
  const failed: unknown[] = [];
  for (let start = 0; start < work.length && failed.length === 0; start += batchSize) {
    const running: Promise<void> = runBatch(start)
      .catch((error: unknown) => void failed.push(error))
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
    if (inFlight.size >= Math.max(1, options.embedder?.inFlight ?? 1)) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failed.length > 0) throw failed[0];
  return cacheFromChunks(chunks, dim, M);
}
