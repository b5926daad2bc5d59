/** Hand-made eval-class results for report tests: per inference a 0/1 correctness list (or an accuracy alone). */
import type { ClassificationResults, InferenceRecord } from '../../src/eval/classify-results.js';

/** A record from per-image correctness (accuracy = its mean), or from an accuracy with no per-image list. */
export function record(value: number[] | number): InferenceRecord {
  const correct = typeof value === 'number' ? [] : value;
  const accuracy = typeof value === 'number' ? value : correct.reduce((a, b) => a + b, 0) / correct.length;
  return { accuracy, correctCount: Math.round(accuracy * correct.length), low: 0, high: 1, interval: 'wilson 95%', correct };
}

/** Results of one model (or an ensemble of `models` models) on a `images`-image test set. */
export function results(inferences: Record<string, number[] | number>, images = 10, models = 1): ClassificationResults {
  return {
    format: 'jointshot-classification-results',
    version: 1,
    dataset: 'cifar-100',
    testHash: 'abcdef0123456789',
    data: 'hand-made',
    images,
    classes: 100,
    models: Array.from({ length: models }, (_, i) => `m${i}.jsm`),
    ensemble: models > 1,
    inferences: Object.fromEntries(Object.entries(inferences).map(([n, v]) => [n, record(v)])),
    backend: null,
    seconds: 1,
  };
}

/** `1` at the given positions of a 10-image correctness list. */
export const right = (...indices: number[]): number[] => Array.from({ length: 10 }, (_, i) => (indices.includes(i) ? 1 : 0));
