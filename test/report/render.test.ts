import test from 'ava';
import { buildTable, methodLabel, publishedAccuracy, renderCsv, renderLatex, renderMarkdown, renderJson, renderPlot, escapeLatex } from '../../src/report/index.js';
import type { TrainingCurve } from '../../src/report/index.js';
import { meanConfidenceInterval } from '../../src/stats/confidence.js';
import { checkXml, fakeResults } from './fixtures.js';

/** Two methods on two columns: ridge is best in 1-shot, ProtoNet + SLA+AG in 5-shot. */
function sample() {
  return buildTable([
    { source: 'p1', results: fakeResults({ head: 'protonet', shots: 1, single: [0.4, 0.6, 0.5, 0.5] }) },
    { source: 'p5', results: fakeResults({ head: 'protonet', shots: 5, single: [0.6, 0.7, 0.65, 0.65] }) },
    { source: 's1', results: fakeResults({ head: 'protonet', transform: 'rotation', shots: 1, single: [0.4, 0.5, 0.5, 0.4], aggregated: [0.5, 0.5, 0.6, 0.5] }) },
    { source: 's5', results: fakeResults({ head: 'protonet', transform: 'rotation', shots: 5, single: [0.6, 0.6, 0.7, 0.7], aggregated: [0.8, 0.8, 0.9, 0.7] }) },
    { source: 'r1', results: fakeResults({ head: 'ridge', shots: 1, single: [0.7, 0.6, 0.65, 0.65] }) },
  ]);
}

test('rows are methods (plain, SLA single, SLA+AG), columns dataset x shot, best marked per column', (t) => {
  const table = sample();
  t.deepEqual(table.rows.map((r) => r.label), ['ProtoNet', 'ProtoNet + SLA', 'ProtoNet + SLA+AG', 'MetaOptNet-RR']);
  t.deepEqual(table.columns.map((c) => c.key), ['synthetic/5way/1shot', 'synthetic/5way/5shot']);
  const best = table.cells.filter((c) => c.best).map((c) => `${c.row}|${c.column}`);
  t.deepEqual(best.sort(), ['conv4/protonet/rotation/aggregated|synthetic/5way/5shot', 'conv4/ridge/none/plain|synthetic/5way/1shot']);
  const cell = table.cells.find((c) => c.row === 'conv4/protonet/none/plain' && c.column === 'synthetic/5way/1shot')!;
  const reference = meanConfidenceInterval([40, 60, 50, 50]);
  t.is(cell.summary.mean, reference.mean);
  t.is(cell.summary.ci95, reference.halfWidth);
});

test('two results for one method and column are refused with a one-line error', (t) => {
  const a = fakeResults({ single: [0.5, 0.5] });
  const error = t.throws(() => buildTable([{ source: 'x/results.json', results: a }, { source: 'y/results.json', results: a }]));
  t.regex(error!.message, /two results for ProtoNet on synthetic\/5way\/1shot: x\/results.json and y\/results.json/);
  t.false(error!.message.includes('\n'));
});

test('markdown: one line per method, mean ± CI, best in bold, notes with the CI formula', (t) => {
  const md = renderMarkdown(sample());
  const lines = md.split('\n');
  t.is(lines[0], '| method | synthetic 1-shot | synthetic 5-shot |');
  t.is(lines[1], '|---|---|---|');
  t.regex(lines[2]!, /^\| ProtoNet \| 50\.00 ± \d+\.\d\d \| 65\.00 ± \d+\.\d\d \|$/);
  t.regex(lines[4]!, /^\| ProtoNet \+ SLA\+AG \| 52\.50 ± \d+\.\d\d \| \*\*80\.00 ± \d+\.\d\d\*\* \|$/);
  t.regex(lines[5]!, /^\| MetaOptNet-RR \| \*\*65\.00 ± \d+\.\d\d\*\* \| – \|$/);
  t.true(md.includes('1.96·s/√n'));
});

test('latex: booktabs rules, dataset group over its shots, $mean \\pm ci$, best in \\mathbf, escaped names', (t) => {
  const tex = renderLatex(sample());
  for (const rule of ['\\toprule', '\\midrule', '\\bottomrule', '\\cmidrule(lr){2-3}', '\\multicolumn{2}{c}{synthetic}']) t.true(tex.includes(rule), rule);
  t.regex(tex, /ProtoNet \+ SLA\+AG & \$52\.50 \\pm \d+\.\d\d\$ & \$\\mathbf\{80\.00 \\pm \d+\.\d\d\}\$ \\\\/);
  t.regex(tex, /MetaOptNet-RR & \$\\mathbf\{65\.00 \\pm \d+\.\d\d\}\$ & -- \\\\/);
  t.is((tex.match(/\\begin\{/g) ?? []).length, (tex.match(/\\end\{/g) ?? []).length);
  t.is(escapeLatex('a_b & 50% #1 {x}'), 'a\\_b \\& 50\\% \\#1 \\{x\\}');
  // Every data row has as many cells as the header.
  const rows = tex.split('\n').filter((l) => l.endsWith('\\\\') && !l.includes('multicolumn'));
  for (const row of rows) t.is(row.split(' & ').length, 3, row);
});

test('csv: a header and one quoted-as-needed line per filled cell; numbers round-trip', (t) => {
  const table = sample();
  const lines = renderCsv(table).trim().split('\n');
  t.is(lines.length, 1 + table.cells.length);
  const header = lines[0]!.split(',');
  const row = lines.find((l) => l.startsWith('MetaOptNet-RR,'))!.split(',');
  const field = (name: string) => row[header.indexOf(name)];
  t.is(Number(field('mean')), 65);
  t.is(Number(field('ci95')), table.cells.find((c) => c.row === 'conv4/ridge/none/plain')!.summary.ci95!);
  t.is(field('best'), 'true');
  t.is(field('episodes'), '4');
  const odd = buildTable([{ source: 'a,"b"', results: fakeResults({ single: [0.5, 0.6] }) }]);
  t.true(renderCsv(odd).includes('"a,""b"""'));
});

test('json: parses back to the same rows, columns and cells', (t) => {
  const table = sample();
  const parsed = JSON.parse(renderJson(table));
  t.is(parsed.format, 'jointshot-table');
  t.deepEqual(parsed.rows, table.rows);
  t.deepEqual(parsed.cells, table.cells);
});

test('svg: well-formed, one bar per cell with a CI whisker, one polyline per training curve, escaped labels', (t) => {
  const table = sample();
  const curves: TrainingCurve[] = [
    { label: 'synthetic <ProtoNet> & co', dataset: 'synthetic', head: 'protonet', transform: 'none', source: 'x', steps: [1, 2, 3, 4], loss: [1.6, 1.4, 1.1, 0.9], accuracy: [0.2, 0.3, 0.5, 0.6], validation: [] },
    { label: 'synthetic ProtoNet + SLA', dataset: 'synthetic', head: 'protonet', transform: 'rotation', source: 'y', steps: [2, 4], loss: [3, 2.5], accuracy: [0.1, 0.2], validation: [] },
  ];
  const svg = renderPlot(table, curves);
  t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  t.is(checkXml(svg), null);
  t.is((svg.match(/<rect x=[^>]*><title>/g) ?? []).length, table.cells.length);
  t.is((svg.match(/<path d="M/g) ?? []).length, table.cells.length);
  t.is((svg.match(/<polyline /g) ?? []).length, 2);
  t.true(svg.includes('synthetic &lt;ProtoNet&gt; &amp; co'));
  t.is(checkXml(renderPlot(table, [])), null);
});

test('published numbers: plain heads and rotation SLA+AG on the paper datasets only', (t) => {
  t.is(publishedAccuracy({ dataset: 'mini-imagenet', head: 'ridge', transform: 'rotation', inference: 'aggregated', ways: 5, shots: 5 }), 79.63);
  t.is(publishedAccuracy({ dataset: 'cifar-fs', head: 'protonet', transform: 'none', inference: 'plain', ways: 5, shots: 1 }), 72.2);
  t.is(publishedAccuracy({ dataset: 'fc100', head: 'svm', transform: 'rotation', inference: 'aggregated', ways: 5, shots: 1 }), null);
  t.is(publishedAccuracy({ dataset: 'synthetic', head: 'protonet', transform: 'none', inference: 'plain', ways: 5, shots: 1 }), null);
  const table = buildTable([{ source: 's', results: fakeResults({ dataset: 'fc100', head: 'ridge', shots: 5, single: [0.5, 0.6] }) }]);
  t.true(renderMarkdown(table).includes('(paper 55.30)'));
  t.is(methodLabel('cosine', 'colorperm', 'aggregated'), 'cosine + SLA+AG [colorperm]');
});
