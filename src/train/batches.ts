/**
 * Whole-class training batches: pass p over the training set is a seeded permutation of all images
 * (its own generator per pass), cut into consecutive batches, the last partial batch dropped. The
 * batch of a step is a function of (seed, step) alone, so a resumed run draws exactly the batches an
 * uninterrupted one would, with no sampler state to save.
 */
import { UsageError } from '../errors.js';
import { createRng, shuffleInPlace } from '../util/rng.js';

/** Image indices of step s (0-based) for a run over `count` images. */
export type BatchSchedule = (step: number) => number[];

/** The batch schedule of a training set of `count` images. */
export function createBatchSchedule(count: number, batchSize: number, seed: number): BatchSchedule {
  if (batchSize > count) throw new UsageError(`batchSize ${batchSize} is larger than the training set (${count} images); lower batchSize`);
  const perPass = Math.floor(count / batchSize);
  let cached: { pass: number; order: number[] } | undefined;
  return (step) => {
    const pass = Math.floor(step / perPass);
    if (cached?.pass !== pass) {
      cached = { pass, order: shuffleInPlace(createRng(`${seed}:batches:${pass}`), Array.from({ length: count }, (_, i) => i)) };
    }
    const from = (step % perPass) * batchSize;
    return cached.order.slice(from, from + batchSize);
  };
}
