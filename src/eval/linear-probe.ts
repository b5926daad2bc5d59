/**
 * Frozen-feature linear probes: what a backbone's embeddings make linearly readable. A softmax
 * regression (multinomial logistic regression, L2-regularised, on standardised features) is fitted
 * on one set of embeddings and scored on another. Two probes of a few-shot model:
 * - transformation: which of the M label transformations produced an image copy, fitted on base
 *   (train-split) classes and scored on novel (test-split) classes;
 * - class: which novel class an image belongs to, fitted on part of each test class's images and
 *   scored on the rest (identity copies).
 * Own code: a dozen lines of tfjs (no maintained npm package fits softmax regression on tensors).
 */
import type { FewShotSplit } from '../data/types.js';
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';
import { getLabelTransform } from '../transforms/registry.js';
import { createRng } from '../util/rng.js';
import { buildEmbeddingCache, type EmbeddingCache } from './embedding-cache.js';
import type { EvalModel } from './model.js';

/** Labelled feature vectors: `x` holds count x dim floats, row-major. */
export interface ProbeData {
  x: Float32Array;
  y: Int32Array;
  dim: number;
}

/** How a probe is fitted. */
export interface ProbeOptions {
  /** Full-batch Adam steps (default 300). */
  steps?: number;
  /** Adam learning rate (default 0.05). */
  learningRate?: number;
  /** L2 penalty on the weights, lambda/2 ||W||^2 (default 1e-4). */
  weightDecay?: number;
}

/** A fitted probe's scores, and the fit itself (for checking). */
export interface ProbeResult {
  trainAccuracy: number;
  testAccuracy: number;
  trainCount: number;
  testCount: number;
  classes: number;
  /** Final objective: mean cross-entropy on the training set + lambda/2 ||W||^2. */
  objective: number;
  /** Fitted weights [dim x classes] and bias [classes], on features standardised with mean/std. */
  weights: Float32Array;
  bias: Float32Array;
  mean: Float32Array;
  std: Float32Array;
}

/** Per-feature mean and standard deviation (floored at 1e-6) of `data`. */
function moments(data: ProbeData): { mean: Float32Array; std: Float32Array } {
  const n = data.y.length;
  const mean = new Float32Array(data.dim);
  const sq = new Float64Array(data.dim);
  for (let r = 0; r < n; r++) for (let c = 0; c < data.dim; c++) mean[c]! += data.x[r * data.dim + c]! / n;
  for (let r = 0; r < n; r++) for (let c = 0; c < data.dim; c++) sq[c]! += (data.x[r * data.dim + c]! - mean[c]!) ** 2 / n;
  return { mean, std: Float32Array.from(sq, (v) => Math.max(Math.sqrt(v), 1e-6)) };
}

/** Fits a softmax regression on `train` (zero init, full-batch Adam) and scores it on `test`. */
export function linearProbe(train: ProbeData, test: ProbeData, classes: number, options: ProbeOptions = {}): ProbeResult {
  const steps = options.steps ?? 300;
  const lambda = options.weightDecay ?? 1e-4;
  if (train.dim !== test.dim) throw new UsageError(`linearProbe: train features have ${train.dim} dimensions, test features ${test.dim}`);
  if (train.y.length === 0 || test.y.length === 0) throw new UsageError('linearProbe: the training and the test set need at least one example each');
  const { mean, std } = moments(train);
  const standardised = (d: ProbeData) => tf.tidy(() => tf.tensor2d(d.x, [d.y.length, d.dim]).sub(tf.tensor1d(mean)).div(tf.tensor1d(std)) as tf.Tensor2D);
  const w = tf.tidy(() => tf.variable(tf.zeros([train.dim, classes])));
  const b = tf.tidy(() => tf.variable(tf.zeros([classes])));
  const optimizer = tf.train.adam(options.learningRate ?? 0.05);
  const xTrain = standardised(train);
  const xTest = standardised(test);
  const yTrain = tf.tidy(() => tf.oneHot(tf.tensor1d(train.y, 'int32'), classes).toFloat());
  const objective = () => tf.tidy(() => tf.losses.softmaxCrossEntropy(yTrain, xTrain.matMul(w).add(b)).add(w.square().sum().mul(lambda / 2)) as tf.Scalar);
  const accuracy = (x: tf.Tensor2D, y: Int32Array) => tf.tidy(() => tf.equal(x.matMul(w).add(b).argMax(1), tf.tensor1d(y, 'int32')).sum().dataSync()[0]! / y.length);
  try {
    for (let s = 0; s < steps; s++) tf.tidy(() => void optimizer.minimize(objective));
    const final = objective();
    const result: ProbeResult = {
      trainAccuracy: accuracy(xTrain, train.y),
      testAccuracy: accuracy(xTest, test.y),
      trainCount: train.y.length,
      testCount: test.y.length,
      classes,
      objective: final.dataSync()[0]!,
      weights: w.dataSync() as Float32Array,
      bias: b.dataSync() as Float32Array,
      mean,
      std,
    };
    final.dispose();
    return result;
  } finally {
    tf.dispose([w, b, xTrain, xTest, yTrain]);
    optimizer.dispose();
  }
}

/** A seeded choice of up to `perClass` image indices of each class. */
export function chooseImages(counts: readonly number[], perClass: number, seed: number | string): number[][] {
  const rng = createRng(seed);
  return counts.map((count) => {
    const order = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const k = Math.floor(rng() * (i + 1));
      [order[i], order[k]] = [order[k]!, order[i]!];
    }
    return order.slice(0, Math.min(perClass, count));
  });
}

/** Every copy j of the chosen images, labelled j. */
function copiesData(cache: EmbeddingCache, chosen: readonly number[][]): ProbeData {
  const { dim, copies } = cache;
  const rows = chosen.reduce((s, c) => s + c.length, 0) * copies;
  const x = new Float32Array(rows * dim);
  const y = new Int32Array(rows);
  let r = 0;
  chosen.forEach((images, c) =>
    images.forEach((i) => {
      x.set(cache.rows(c, i), r * dim);
      for (let j = 0; j < copies; j++) y[r + j] = j;
      r += copies;
    }),
  );
  return { x, y, dim };
}

/** Copy 0 (identity) of the chosen images, labelled by class. */
function classData(cache: EmbeddingCache, chosen: readonly number[][]): ProbeData {
  const { dim } = cache;
  const rows = chosen.reduce((s, c) => s + c.length, 0);
  const x = new Float32Array(rows * dim);
  const y = new Int32Array(rows);
  let r = 0;
  chosen.forEach((images, c) =>
    images.forEach((i) => {
      x.set(cache.rows(c, i).subarray(0, dim), r * dim);
      y[r++] = c;
    }),
  );
  return { x, y, dim };
}

/** Which images the probes of `probeModel` use. */
export interface ModelProbeOptions extends ProbeOptions {
  /** Label transformation of the transformation probe (default the model's; `rotation` for a plain model). */
  transform?: string;
  /** Images per class embedded for each probe (default 100). */
  imagesPerClass?: number;
  /** Share of each novel class's chosen images the class probe is fitted on (default 0.5). */
  classTrainFraction?: number;
  seed?: number;
}

/** Both probes of one model. */
export interface ModelProbeReport {
  /** Name and M of the probed transformation set. */
  transform: string;
  copies: number;
  transformation: ProbeResult;
  class: ProbeResult;
}

/**
 * The transformation probe (fitted on `base` classes, scored on `novel` classes) and the class
 * probe (novel classes, split per class) of a model, from inference-mode embeddings.
 */
export async function probeModel(model: EvalModel, base: FewShotSplit, novel: FewShotSplit, options: ModelProbeOptions = {}): Promise<ModelProbeReport> {
  const transform = getLabelTransform(options.transform ?? (model.transform.count > 1 ? model.transform.name : 'rotation'));
  if (transform.count < 2) throw new UsageError(`the transformation probe needs at least 2 copies; '${transform.name}' has ${transform.count}`);
  const perClass = options.imagesPerClass ?? 100;
  const fraction = options.classTrainFraction ?? 0.5;
  if (!(fraction > 0 && fraction < 1)) throw new UsageError(`classTrainFraction must be in (0, 1), found ${fraction}`);
  const seed = options.seed ?? 0;
  const embed = async (split: FewShotSplit, chosen: number[][]) =>
    buildEmbeddingCache(split, chosen.map((c) => new Set(c)), { backbone: model.backbone, transform, normalization: model.normalization });
  const baseChosen = chooseImages(base.classes.map((c) => c.count), perClass, `${seed}:probe:base`);
  const novelChosen = chooseImages(novel.classes.map((c) => c.count), perClass, `${seed}:probe:novel`);
  const baseCache = await embed(base, baseChosen);
  const novelCache = await embed(novel, novelChosen);
  const transformation = linearProbe(copiesData(baseCache, baseChosen), copiesData(novelCache, novelChosen), transform.count, options);
  const cut = (c: number[]) => Math.max(1, Math.min(c.length - 1, Math.round(fraction * c.length)));
  const classProbe = linearProbe(
    classData(novelCache, novelChosen.map((c) => c.slice(0, cut(c)))),
    classData(novelCache, novelChosen.map((c) => c.slice(cut(c)))),
    novel.classes.length,
    options,
  );
  return { transform: transform.name, copies: transform.count, transformation, class: classProbe };
}
