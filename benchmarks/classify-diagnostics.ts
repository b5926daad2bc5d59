/**
 * What a whole-class SLA model has learned, on its test set (or its training images): how often the
 * joint classifier recognises a copy's transformation (argmax joint label mod M = j; chance 1/M),
 * the class accuracy of each copy read at its own columns, and SDA+SI / SDA+AG for comparison; for
 * any model also the accuracy on training images (augmentation off) to see under- or over-fitting.
 *   usage: npx tsx benchmarks/classify-diagnostics.ts --model best.jsm --data-dir DIR [--images 2000] [--backend native]
 */
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/select.js';
import { loadClassificationData } from '../src/data/classification.js';
import { classifierLogits, scoreInferences } from '../src/eval/classify.js';
import { tf } from '../src/tf.js';
import { trainConfigOf } from '../src/eval/classify-run.js';
import { classificationOptionsOf } from '../src/train/config.js';
import { disposeLoadedModel, loadModel } from '../src/train/model.js';
import { prepareImages } from '../src/transforms/pipeline.js';
import type { LabelledImages } from '../src/data/classification-types.js';

const { values } = parseArgs({ options: { model: { type: 'string' }, 'data-dir': { type: 'string' }, images: { type: 'string', default: '2000' }, backend: { type: 'string' } } });
if (!values.model || !values['data-dir']) throw new Error('usage: --model FILE --data-dir DIR');
await initBackend(values.backend);
const model = await loadModel(values.model);
const config = trainConfigOf(model, values.model);
const data = await loadClassificationData(config.dataset, classificationOptionsOf(config, values['data-dir']));
const limit = Number(values.images);

/** The first `n` images of a set, spread over classes by a fixed stride. */
function subset(images: LabelledImages, n: number): LabelledImages {
  const stride = Math.max(1, Math.floor(images.labels.length / n));
  const picks = Array.from({ length: Math.min(n, Math.floor(images.labels.length / stride)) }, (_, i) => i * stride);
  return { ...images, labels: Int32Array.from(picks, (i) => images.labels[i]!), image: (i) => images.image(picks[i]!) };
}

const report: Record<string, unknown> = { model: values.model, objective: model.wholeClass!.objective, transform: model.transform.name };
for (const [name, set] of [['test', data.test], ['train (no augmentation)', subset(data.train, limit)]] as const) {
  const logits = classifierLogits(model, set, {});
  const scored = scoreInferences(logits.logits, logits.labels, logits.classes);
  const entry: Record<string, unknown> = Object.fromEntries(Object.entries(scored).map(([k, r]) => [k, Number(r.accuracy.toFixed(2))]));
  const M = model.transform.count;
  const N = logits.classes;
  if (model.wholeClass!.classifiers.sizes.joint !== undefined && M > 1) {
    let recognised = 0;
    const perCopy = new Array<number>(M).fill(0);
    const n = set.labels.length;
    for (let from = 0; from < n; from += 100) {
      const count = Math.min(100, n - from);
      const batch = Array.from({ length: count }, (_, i) => set.image(from + i));
      const joint = tf.tidy(() => {
        const x = tf.tensor4d(prepareImages(batch, { shape: set, normalization: model.normalization }), [count, set.height, set.width, set.channels]);
        return model.wholeClass!.classifiers.apply(model.backbone.embed(model.transform.apply(x), { training: false })).joint!;
      });
      const values = joint.dataSync();
      joint.dispose();
      for (let b = 0; b < count; b++) {
        for (let j = 0; j < M; j++) {
          const row = (b * M + j) * N * M;
          let best = 0;
          for (let c = 1; c < N * M; c++) if (values[row + c]! > values[row + best]!) best = c;
          if (best % M === j) recognised++;
          let bestClass = 0;
          for (let i = 1; i < N; i++) if (values[row + i * M + j]! > values[row + bestClass * M + j]!) bestClass = i;
          if (bestClass === set.labels[from + b]) perCopy[j]!++;
        }
      }
    }
    entry.transformationRecognised = Number(((100 * recognised) / (n * M)).toFixed(2));
    entry.chance = Number((100 / M).toFixed(2));
    entry.classAccuracyPerCopy = perCopy.map((k) => Number(((100 * k) / n).toFixed(2)));
  }
  report[name] = entry;
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
disposeLoadedModel(model);
