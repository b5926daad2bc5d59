import test from 'ava';
import { publishedClassification, renderClassificationStudy, renderClassificationTable, rowSummary, studyRow, type ClassificationStudy } from '../../src/report/classification-table.js';
import { results, right } from './study-fixtures.js';

test('rows: t interval over seeds, Wilson for one seed, relative gain over the first row', (t) => {
  const base = { label: 'Baseline', accuracies: [24, 25, 26], images: 5000 };
  const s = rowSummary(base);
  // mean 25, sample sd 1, t(0.975, 2) = 4.302653: half-width 4.302653 / sqrt(3) = 2.48414
  t.is(s.mean, 25);
  t.true(Math.abs(s.high - 25 - 2.48414) < 1e-4, String(s.high));
  const one = rowSummary({ label: 'x', accuracies: [50], images: 100 });
  t.true(Math.abs(one.low - 40.3832) < 1e-3 && Math.abs(one.high - 59.6168) < 1e-3, `${one.low} ${one.high}`);
  const table = renderClassificationTable([base, { label: 'SDA+AG', accuracies: [27.5, 27.5], images: 5000 }, { label: 'worse', accuracies: [20], images: 5000 }]);
  t.regex(table, /\| SDA\+AG \| 27\.50 \(\+10\.0%\) \| 27\.50–27\.50 \(t over 2 seeds\) \| 27\.50, 27\.50 \|/);
  t.regex(table, /\| worse \| 20\.00 \(−20\.0%\) \| /);
  t.regex(table, /\| Baseline \| 25\.00 \| 22\.52–27\.48 \(t over 3 seeds\) \| 24\.00, 25\.00, 26\.00 \|/);
});

test('study: Tables 1-3 from runs and ensembles, paper figures beside the cells the project records, missing rows listed, McNemar per seed', (t) => {
  const study: ClassificationStudy = {
    dataset: 'cifar-100',
    runs: {
      base: [
        { seed: 0, source: 'base-s0', results: results({ single: right(0, 1), 'ten-crop': right(0, 1, 2) }), trainSeconds: 100 },
        { seed: 1, source: 'base-s1', results: results({ single: right(0, 1, 2), 'ten-crop': right(0, 1, 2) }), trainSeconds: 120 },
      ],
      sla: [{ seed: 0, source: 'sla-s0', results: results({ single: right(0), aggregated: right(0, 2, 3, 4, 5) }) }],
      da: [{ seed: 0, source: 'da-s0', results: results({ single: right(5) }) }],
    },
    ensembles: { 'ens-base': results({ single: right(0, 1, 2, 3) }, 10, 2) },
  };
  const { markdown, missing } = renderClassificationStudy(study, { published: true });
  const table1 = markdown.split('### ')[1]!;
  t.regex(table1, /\| Baseline \[base-s0, base-s1\] \| 25\.00 \| .* \| 20\.00, 30\.00 \| 110 \| 68\.27 \|/);
  t.regex(table1, /\| DA \[da-s0\] \| 10\.00 \(−60\.0%\) \| .* \(Wilson, 1 seed\) \| 10\.00 \| – \| 65\.73 \|/);
  t.regex(table1, /\| SDA\+SI \[sla-s0\] \| 10\.00 \(−60\.0%\) \| .* \| 68\.68 \|/);
  t.notRegex(table1, /MT/);
  t.true(missing.includes('Table 1: MT (no mt results with single)'));
  const table2 = markdown.split('### ')[2]!;
  t.regex(table2, /\| Baseline \+ ten-crop \[base-s0, base-s1\] \| 30\.00 \(\+20\.0%\) \| .* \| – \|/, 'no published ten-crop figure');
  t.regex(table2, /\| SDA\+AG \[sla-s0\] \| 50\.00 \(\+100\.0%\) \| .* \| 74\.14 \|/);
  t.regex(table2, /\| Ensemble of baselines \[ens-base: 2 models\] \| 40\.00 \(\+60\.0%\) \| 16\.82–68\.73 \(Wilson, 1 seed\) \|/);
  // seed 0: baseline right on 0,1; SDA+AG on 0,2,3,4,5 -> baseline only 1, SDA+AG only 4: exact binomial p = 0.375
  t.regex(markdown, /\| 0 \| 10 \| 1 \| 4 \| 0\.375 \| exact binomial \|/);
  t.notRegex(markdown, /\| 1 \| 10 \|/, 'no SDA+AG result for seed 1');
  t.regex(markdown, /comparable only under that recipe/);
  t.is(publishedClassification('cifar-10', 'sla', 'aggregated'), 94.5);
  t.is(publishedClassification('tiny-imagenet-fs', 'base', 'single'), undefined);
  const none = renderClassificationStudy({ ...study, dataset: 'tiny-imagenet-fs' }, { published: true }).markdown;
  t.notRegex(none, /paper \(%\)/, 'no paper column where no figure is known');
});

test('study: a table without its baseline row says so instead of taking another row as the base', (t) => {
  const study: ClassificationStudy = { dataset: 'x', runs: { sla: [{ seed: 0, source: 'sla-s0', results: results({ single: right(0), aggregated: right(0, 1) }) }] }, ensembles: {} };
  const parts = renderClassificationStudy(study).markdown.split('### ');
  t.regex(parts[1]!, /no baseline results yet/);
  t.regex(parts[4]!, /no seed with both a baseline and an SDA\+AG result yet/);
  t.deepEqual(studyRow(study, { label: 'AG', run: 'sla', inference: 'aggregated' })?.accuracies, [20]);
});
