/**
 * The results of a whole-class evaluation as files: `results.json` (versioned; per-image
 * correctness of every inference, so runs on the same test set can be compared image by image),
 * `per-image.csv` (index, label, one 0/1 column per inference) and `report.md`.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { makeDir } from '../util/make-dir.js';
import type { InferenceResult } from './classify.js';

export const CLASSIFICATION_RESULTS_FORMAT = 'jointshot-classification-results';
export const CLASSIFICATION_RESULTS_VERSION = 1;

/** One inference in the results file; accuracy and bounds are fractions, `correct` is 0/1 per test image. */
export interface InferenceRecord {
  accuracy: number;
  correctCount: number;
  low: number;
  high: number;
  interval: string;
  correct: number[];
}

/** The `results.json` of a whole-class evaluation. */
export interface ClassificationResults {
  format: typeof CLASSIFICATION_RESULTS_FORMAT;
  version: number;
  dataset: string;
  /** SHA-256 identity of the test set (images and labels in order). */
  testHash: string;
  /** How the test set was formed. */
  data: string;
  images: number;
  classes: number;
  /** The evaluated model files; several with `ensemble` (mean of the members' softmax). */
  models: string[];
  ensemble: boolean;
  /** Zero padding of the ten-crop views when ten-crop was evaluated. */
  tenCropPadding?: number;
  /** Per-member accuracies (percent) of an ensemble, in `models` order. */
  members?: Record<string, number>[];
  inferences: Record<string, InferenceRecord>;
  /** Per-class accuracy by training-set frequency group (results written before it lack it). */
  frequency?: FrequencyRecord;
  backend: { name: string; threads: number } | null;
  seconds: number;
}

/** Accuracy (percent, mean over the group's classes) by frequency group: many > `thresholds.many`, few < `thresholds.few` training images. */
export interface FrequencyRecord {
  thresholds: { many: number; few: number };
  /** Training images per class (the set the model was trained on). */
  trainCounts: number[];
  /** Classes in each group. */
  classes: { many: number; medium: number; few: number };
  accuracy: Record<string, Record<'many' | 'medium' | 'few', number | null>>;
}

/** The JSON record of scored inferences. */
export function inferenceRecords(scored: Record<string, InferenceResult>): Record<string, InferenceRecord> {
  return Object.fromEntries(
    Object.entries(scored).map(([name, r]) => [
      name,
      { accuracy: r.accuracy / 100, correctCount: r.correctCount, low: r.interval.low, high: r.interval.high, interval: `${r.interval.method} ${100 * r.interval.level}%`, correct: Array.from(r.correct) },
    ]),
  );
}

/** The Markdown report: one row per inference, accuracy with its interval. */
export function renderClassificationReport(results: ClassificationResults): string {
  const pct = (x: number) => (100 * x).toFixed(2);
  const lines = [
    `# ${results.dataset}: whole-class test accuracy`,
    '',
    `${results.ensemble ? `Ensemble (mean softmax) of ${results.models.length} models` : `Model ${results.models[0]}`}; test set ${results.images} images, ${results.classes} classes (${results.data}); test-set hash ${results.testHash.slice(0, 12)}.`,
    '',
    '| inference | top-1 (%) | 95% interval (Wilson) |',
    '|---|---|---|',
    ...Object.entries(results.inferences).map(([name, r]) => `| ${name} | ${pct(r.accuracy)} | ${pct(r.low)}-${pct(r.high)} |`),
  ];
  const f = results.frequency;
  if (f && Math.min(...f.trainCounts) !== Math.max(...f.trainCounts)) {
    const cell = (v: number | null) => (v === null ? '-' : v.toFixed(2));
    lines.push(
      '',
      `Training set: ${Math.max(...f.trainCounts)} down to ${Math.min(...f.trainCounts)} images per class. Per-class accuracy by frequency group (mean over the group's classes): many-shot > ${f.thresholds.many} training images (${f.classes.many} classes), medium ${f.thresholds.few}-${f.thresholds.many} (${f.classes.medium}), few-shot < ${f.thresholds.few} (${f.classes.few}).`,
      '',
      '| inference | many (%) | medium (%) | few (%) |',
      '|---|---|---|---|',
      ...Object.entries(f.accuracy).map(([name, g]) => `| ${name} | ${cell(g.many)} | ${cell(g.medium)} | ${cell(g.few)} |`),
    );
  }
  if (results.tenCropPadding !== undefined) lines.push('', `ten-crop: four corner crops and the centre crop of the image zero-padded by ${results.tenCropPadding} pixels, at the original size, and their mirrors; logits averaged.`);
  return `${lines.join('\n')}\n`;
}

/** Per-image CSV: index, label, then the 0/1 correctness of each inference. */
export function renderPerImageCsv(results: ClassificationResults, labels: Int32Array): string {
  const names = Object.keys(results.inferences);
  const rows = [['index', 'label', ...names].join(',')];
  for (let i = 0; i < labels.length; i++) rows.push([i, labels[i], ...names.map((n) => results.inferences[n]!.correct[i])].join(','));
  return `${rows.join('\n')}\n`;
}

/** Writes results.json, per-image.csv and report.md into `dir`, each atomically. */
export async function writeClassificationResults(dir: string, results: ClassificationResults, labels: Int32Array): Promise<{ results: string; perImage: string; report: string }> {
  await makeDir(dir);
  const files = { results: join(dir, 'results.json'), perImage: join(dir, 'per-image.csv'), report: join(dir, 'report.md') };
  await writeFileAtomic(files.results, `${JSON.stringify(results)}\n`);
  await writeFileAtomic(files.perImage, renderPerImageCsv(results, labels));
  await writeFileAtomic(files.report, renderClassificationReport(results));
  return files;
}
