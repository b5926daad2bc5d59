/**
 * Why the `mt` objective trained badly at the cpu-classify recipe (issue 11), measured three ways:
 *   dead   MODEL...   block-4 channels of a Conv-4 whole-class model that are never positive on 500
 *                    training images (no augmentation, running statistics), and how many have BN
 *                    beta < -2|gamma| (a ReLU that stays off); for mt models also the transformation
 *                    head: kernel norm against its seeded init, rotation recognised on those images;
 *   heads            a fresh Conv-4's embeddings of the run's first batch (4 rotations, training-mode
 *                    BN) frozen, and only a linear head trained on them by full-batch SGD (momentum
 *                    0.9, weight decay 1e-4) at several learning rates: the 4-way transformation head
 *                    against the 100-way class head, with lr * lambda_max(E[e e^T]) / K beside each
 *                    (the curvature of a K-way softmax head at uniform p; heavy-ball SGD is stable
 *                    below 2 (1 + momentum));
 *   early            the first --steps steps of whole-class training (seed 0, lr 0.1, the trainer's
 *                    step function) for each of --variants (objective names; `mt-zero` = mt with its
 *                    transformation kernel started at zero): loss and the count of block-4 channels
 *                    with beta < -2|gamma| after every step, dead channels at the end.
 *   usage: npx tsx benchmarks/mt-diagnostics.ts dead|heads|early [MODEL...] --data-dir DIR [--reference MODEL]
 *          [--steps 40] [--variants da,mt,mt-zero] [--backend native]
 * `heads` and `early` read the data and normalisation through --reference (any cpu-classify model file).
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/select.js';
import { normalSampler } from '../src/backbones/init.js';
import { createBackbone } from '../src/backbones/registry.js';
import type { Backbone } from '../src/backbones/types.js';
import type { ClassificationData } from '../src/data/classification-types.js';
import { loadClassificationData } from '../src/data/classification.js';
import { trainConfigOf } from '../src/eval/classify-run.js';
import { createClassifiers, getObjective, plainCrossEntropy } from '../src/objectives/index.js';
import { crossEntropy } from '../src/sla/losses.js';
import { tf } from '../src/tf.js';
import { createBatchSchedule } from '../src/train/batches.js';
import { classifyStepGradients, type ClassifyStepContext } from '../src/train/classify-step.js';
import { classificationOptionsOf } from '../src/train/config.js';
import { disposeLoadedModel, loadModel, type LoadedModel } from '../src/train/model.js';
import { Sgd } from '../src/train/sgd.js';
import type { ChannelStats } from '../src/transforms/normalization.js';
import { prepareImages } from '../src/transforms/pipeline.js';
import { getLabelTransform } from '../src/transforms/registry.js';
import { createRng } from '../src/util/rng.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'data-dir': { type: 'string' },
    reference: { type: 'string' },
    steps: { type: 'string', default: '40' },
    variants: { type: 'string', default: 'da,mt,mt-zero' },
    backend: { type: 'string' },
  },
});
const [mode, ...models] = positionals;
if (!values['data-dir'] || !['dead', 'heads', 'early'].includes(mode ?? '')) throw new Error('usage: dead|heads|early [MODEL...] --data-dir DIR [--reference MODEL]');
await initBackend(values.backend);

const CHANNELS = 64;
const PROBE = 500;
const AUGMENTATION = { cropPadding: 4, horizontalFlip: true };

/** The whole-class data and normalisation a model file was trained with. */
async function dataOf(file: string): Promise<{ data: ClassificationData; normalization: ChannelStats }> {
  const model = await loadModel(file);
  const config = trainConfigOf(model, file);
  const normalization = model.normalization;
  disposeLoadedModel(model);
  return { data: await loadClassificationData(config.dataset, classificationOptionsOf(config, values['data-dir']!)), normalization };
}

/** Block-4 channels (of the flattened NHWC embedding) never positive on `x`, and those with beta < -2|gamma|. */
function deadChannels(backbone: Backbone, x: tf.Tensor4D, training: boolean): { dead: number; offBeta: number } {
  const embedding = tf.tidy(() => backbone.embed(x, { training }).dataSync());
  const positive = new Array<number>(CHANNELS).fill(0);
  embedding.forEach((v, k) => {
    if (v > 0) positive[k % CHANNELS]!++;
  });
  return { dead: positive.filter((n) => n === 0).length, offBeta: offBeta(backbone) };
}

function offBeta(backbone: Backbone): number {
  const gamma = backbone.trainable['block4/conv/bn/gamma']!.dataSync();
  const beta = backbone.trainable['block4/conv/bn/beta']!.dataSync();
  return Array.from(beta).filter((b, c) => b < -2 * Math.abs(gamma[c]!)).length;
}

/** The transformation head of an mt model: kernel norm now and at its seeded init, and how often it names each copy's rotation. */
function transformationHead(model: LoadedModel, x: tf.Tensor4D, seed: number): string {
  const { classifiers } = model.wholeClass!;
  const M = model.transform.count;
  const init = createClassifiers(classifiers.sizes, classifiers.variables['classifier/transformation/kernel']!.shape[0]!, createRng(`${seed}:classifiers`));
  const norm = (t: tf.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0]!);
  const predicted = tf.tidy(() => tf.argMax(classifiers.apply(model.backbone.embed(model.transform.apply(x), { training: false })).transformation!, 1).dataSync());
  const confusion = Array.from({ length: M }, () => new Array<number>(M).fill(0));
  predicted.forEach((p, r) => confusion[r % M]![p]!++);
  const right = confusion.reduce((s, row, j) => s + row[j]!, 0);
  const line = `transformation kernel norm ${norm(classifiers.variables['classifier/transformation/kernel']!).toFixed(2)} (init ${norm(init.variables['classifier/transformation/kernel']!).toFixed(2)}); rotation recognised on ${((100 * right) / predicted.length).toFixed(1)}% of copies; confusion (rows: true j) ${JSON.stringify(confusion)}`;
  init.dispose();
  return line;
}

/** `PROBE` training images spread over the classes, normalised, no augmentation. */
function probeImages(data: ClassificationData, normalization: ChannelStats): tf.Tensor4D {
  const { train } = data;
  const stride = Math.floor(train.labels.length / PROBE);
  const images = Array.from({ length: PROBE }, (_, i) => train.image(i * stride));
  return tf.tensor4d(prepareImages(images, { shape: train, normalization }), [PROBE, train.height, train.width, train.channels]);
}

const freshConv4 = (): Backbone => createBackbone({ name: 'conv4', seed: 0, inChannels: 3 });

if (mode === 'dead') {
  let shared: { data: ClassificationData; normalization: ChannelStats } | undefined;
  for (const file of models) {
    shared ??= await dataOf(file);
    const model = await loadModel(file);
    const x = probeImages(shared.data, model.normalization);
    const { dead, offBeta: off } = deadChannels(model.backbone, x, false);
    console.log(`${file} (${model.wholeClass?.objective}): block-4 channels never positive on ${PROBE} training images ${dead}/${CHANNELS}, beta < -2|gamma| ${off}/${CHANNELS}`);
    if (model.wholeClass?.classifiers.sizes.transformation !== undefined) console.log(`  ${transformationHead(model, x, trainConfigOf(model, file).seed)}`);
    x.dispose();
    disposeLoadedModel(model);
  }
} else {
  if (!values.reference) throw new Error(`${mode} needs --reference MODEL (a cpu-classify model: its data and normalisation)`);
  const { data, normalization } = await dataOf(values.reference);
  const { train } = data;
  const rotation = getLabelTransform('rotation');
  const M = rotation.count;
  const schedule = createBatchSchedule(train.labels.length, 128, 0);
  if (mode === 'heads') {
    const batch = schedule(0);
    const pixels = prepareImages(batch.map((i) => train.image(i)), { shape: train, normalization, augmentation: AUGMENTATION, rng: createRng('mt-diagnostics:heads') });
    const backbone = freshConv4();
    const e = tf.tidy(() => backbone.embed(rotation.apply(tf.tensor4d(pixels, [batch.length, train.height, train.width, train.channels])), { training: true }));
    const [rows, dim] = e.shape as [number, number];
    const lambda = topEigenvalue(e);
    const meanNorm2 = tf.tidy(() => tf.sum(tf.square(tf.mean(e, 0))).dataSync()[0]!);
    console.log(`step-0 embeddings ${rows} x ${dim}: ||mean||^2 ${meanNorm2.toFixed(1)}, lambda_max(E[e e^T], bias column included) ${lambda.toFixed(1)}`);
    const rotationLabels = Int32Array.from({ length: rows }, (_, r) => r % M);
    const classLabels = Int32Array.from({ length: rows }, (_, r) => train.labels[batch[Math.floor(r / M)]!]!);
    for (const [name, K, labels] of [['transformation (4-way)', M, rotationLabels], [`class (${data.classes.length}-way)`, data.classes.length, classLabels]] as const) {
      for (const lr of [0.1, 0.05, 0.01]) {
        const losses = trainHead(e, labels, K, lr, 30);
        console.log(`${name} head, lr ${lr}: lr*lambda/K ${((lr * lambda) / K).toFixed(2)} (stable below 3.8); CE per step ${losses.map((l) => l.toFixed(2)).join(' ')}`);
      }
    }
    e.dispose();
    backbone.dispose();
  } else {
    const probe = probeImages(data, normalization);
    for (const variant of values.variants!.split(',')) {
      const [name, start] = variant.split('-');
      const objective = getObjective(name!);
      const backbone = freshConv4();
      const classifiers = createClassifiers(objective.classifiers(data.classes.length, M), backbone.outputDim(train.height, train.width), createRng('0:classifiers'));
      if (start === 'zero') classifiers.variables['classifier/transformation/kernel']!.assign(tf.zerosLike(classifiers.variables['classifier/transformation/kernel']!));
      const params = { ...backbone.trainable, ...classifiers.variables };
      const sgd = new Sgd(params, { momentum: 0.9, nesterov: false, weightDecay: 1e-4 });
      const ctx: ClassifyStepContext = {
        images: train,
        backbone,
        classifiers,
        objective,
        options: { copies: M, classes: data.classes.length, largeLoss: false, temperature: 1, classLoss: plainCrossEntropy },
        transform: rotation,
        normalization,
        augmentation: AUGMENTATION,
        augmentRng: createRng('early-augment'),
        microBatch: 128 * M,
        params,
      };
      const trace: string[] = [];
      for (let step = 0; step < Number(values.steps); step++) {
        const result = classifyStepGradients(ctx, schedule(step));
        sgd.step(result.grads, 0.1);
        for (const g of Object.values(result.grads)) g.dispose();
        trace.push(`${step + 1}:${result.loss.toFixed(3)}/${offBeta(backbone)}`);
      }
      const { dead } = deadChannels(backbone, probe, true);
      console.log(`${variant}: step:loss/(block-4 channels with beta < -2|gamma|) ${trace.join(' ')}`);
      console.log(`  after ${values.steps} steps: block-4 channels never positive on ${PROBE} training images (batch statistics) ${dead}/${CHANNELS}`);
      sgd.dispose();
      backbone.dispose();
      classifiers.dispose();
    }
    probe.dispose();
  }
}

/** lambda_max of E[e e^T] over the rows of `e` with a constant 1 column (the bias), by power iteration. */
function topEigenvalue(e: tf.Tensor2D): number {
  return tf.tidy(() => {
    const a = tf.concat([e, tf.ones([e.shape[0], 1])], 1);
    let v = tf.ones([a.shape[1]!, 1]) as tf.Tensor2D;
    let lambda = 0;
    for (let i = 0; i < 100; i++) {
      const w = tf.matMul(a, tf.matMul(a, v), true).div(e.shape[0]) as tf.Tensor2D;
      const norm = tf.norm(w).dataSync()[0]!;
      lambda = norm / tf.norm(v).dataSync()[0]!;
      v = w.div(norm);
    }
    return lambda;
  });
}

/** Full-batch heavy-ball SGD (momentum 0.9, weight decay 1e-4) of a K-way linear head on frozen `e`; CE before each step. */
function trainHead(e: tf.Tensor2D, labels: Int32Array, K: number, lr: number, steps: number): number[] {
  const dim = e.shape[1];
  const normal = normalSampler(createRng('0:classifiers'));
  const kernel = tf.variable(tf.tensor2d(Float32Array.from({ length: dim * K }, () => normal() * Math.sqrt(2 / dim)), [dim, K]));
  const bias = tf.variable(tf.zeros([K]));
  const sgd = new Sgd({ kernel, bias }, { momentum: 0.9, nesterov: false, weightDecay: 1e-4 });
  const y = tf.tensor1d(labels, 'int32');
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(() => crossEntropy(tf.add(tf.matMul(e, kernel), bias) as tf.Tensor2D, y), [kernel, bias]);
    losses.push(value.dataSync()[0]!);
    sgd.step({ kernel: grads[kernel.name]!, bias: grads[bias.name]! }, lr);
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }
  for (const t of [kernel, bias, y]) t.dispose();
  sgd.dispose();
  return losses;
}
