/** Building an EvalModel from a backbone checkpoint plus the head and transformation it was trained with. */
import { loadCheckpoint } from '../backbones/checkpoint.js';
import { createHead } from '../heads/registry.js';
import { tf } from '../tf.js';
import { getLabelTransform } from '../transforms/registry.js';
import { normalizationFor } from '../transforms/normalization.js';
import type { EvalModel } from './model.js';

/** What a bare backbone checkpoint does not say: the head, its options and the transformation set. */
export interface CheckpointModelOptions {
  head: string;
  headOptions?: Record<string, unknown>;
  transform: string;
  /** Dataset whose normalisation constants the backbone was trained with. */
  dataset: string;
}

/**
 * Loads the backbone of a checkpoint and pairs it with a fresh head. The head's learnable scale
 * starts at 1: argmax (accuracy) is the same for any positive scale, so it does not matter here.
 */
export async function loadCheckpointModel(file: string, options: CheckpointModelOptions): Promise<EvalModel> {
  const transform = getLabelTransform(options.transform);
  const normalization = normalizationFor(options.dataset);
  const head = createHead(options.head, options.headOptions);
  try {
    const { backbone, optimizer, extra } = await loadCheckpoint(file);
    for (const value of [...Object.values(optimizer), ...Object.values(extra)]) {
      if (value instanceof tf.Tensor) value.dispose();
    }
    return { backbone, head, transform, normalization, info: { checkpoint: file, head: options.head, transform: options.transform } };
  } catch (error) {
    head.dispose();
    throw error;
  }
}
