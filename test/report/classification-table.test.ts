import test from 'ava';
import { renderClassificationTable, rowSummary } from '../../src/report/classification-table.js';

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
