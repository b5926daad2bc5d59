import test from 'ava';
import { frequencyGroups, groupAccuracies } from '../../../src/eval/classify.js';
import { renderClassificationReport, type ClassificationResults } from '../../../src/eval/classify-results.js';

test('frequency groups: many > 100, medium 20-100, few < 20 at n_max 500; thresholds scaled by n_max / 500 below', (t) => {
  const g = frequencyGroups([500, 101, 100, 20, 19, 5]);
  t.deepEqual([g.many, g.few], [100, 20]);
  t.deepEqual(g.classes, { many: [0, 1], medium: [2, 3], few: [4, 5] });
  const small = frequencyGroups([50, 11, 10, 2, 1]);
  t.deepEqual([small.many, small.few], [10, 2]);
  t.deepEqual(small.classes, { many: [0, 1], medium: [2, 3], few: [4] });
  t.deepEqual(frequencyGroups([5000, 50]).classes, { many: [0], medium: [1], few: [] }, 'no scaling above n_max 500');
});

test('group accuracy is the mean of its classes\' accuracies; an empty group is null', (t) => {
  const groups = frequencyGroups([500, 300, 50, 5]);
  // class 0: 2/2, class 1: 0/1, class 2: 1/2, class 3: 1/4
  const labels = Int32Array.from([0, 0, 1, 2, 2, 3, 3, 3, 3]);
  const correct = Uint8Array.from([1, 1, 0, 1, 0, 1, 0, 0, 0]);
  t.deepEqual(groupAccuracies(correct, labels, groups), { many: 50, medium: 50, few: 25 });
  t.deepEqual(groupAccuracies(correct, labels, frequencyGroups([500, 500, 500, 500])), { many: (100 + 0 + 50 + 25) / 4, medium: null, few: null });
});

test('the report shows the frequency table for a long-tailed training set only', (t) => {
  const base: ClassificationResults = {
    format: 'jointshot-classification-results', version: 1, dataset: 'toy', testHash: 'abc', data: 'toy', images: 4, classes: 2,
    models: ['m.jsm'], ensemble: false, inferences: {}, backend: null, seconds: 1,
  };
  const frequency = (counts: number[]) => ({ thresholds: { many: 100, few: 20 }, trainCounts: counts, classes: { many: 1, medium: 0, few: 1 }, accuracy: { single: { many: 80, medium: null, few: 12.5 } } });
  const report = renderClassificationReport({ ...base, frequency: frequency([500, 5]) });
  t.regex(report, /\| single \| 80\.00 \| - \| 12\.50 \|/);
  t.regex(report, /500 down to 5 images per class/);
  t.notRegex(renderClassificationReport({ ...base, frequency: frequency([500, 500]) }), /many \(%\)/);
});
