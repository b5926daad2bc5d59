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

test('rows are methods (plain, SLA single, SLA+AG), columns dataset x shot, bold = not significantly below the best (paired t, 0.05)', (t) => {
  const table = sample();
  t.deepEqual(table.rows.map((r) => r.label), ['ProtoNet', 'ProtoNet + SLA', 'ProtoNet + SLA+AG', 'MetaOptNet-RR']);
  t.deepEqual(table.columns.map((c) => c.key), ['synthetic/5way/1shot', 'synthetic/5way/5shot']);
  const best = table.cells.filter((c) => c.best).map((c) => `${c.row}|${c.column}`);
  // scipy.stats.ttest_rel: ProtoNet vs RR 1-shot p = 0.0917 (bold), ProtoNet vs SLA+AG 5-shot p = 0.0462 (not),
  // SLA single vs SLA+AG 5-shot p = 0.0577 (bold).
  t.deepEqual(best.sort(), [
    'conv4/protonet/none/plain|synthetic/5way/1shot',
    'conv4/protonet/rotation/aggregated|synthetic/5way/5shot',
    'conv4/protonet/rotation/single|synthetic/5way/5shot',
    'conv4/ridge/none/plain|synthetic/5way/1shot',
  ]);
  const p = (row: string, column: string) => table.cells.find((c) => c.row === row && c.column === column)!.versusBest!.pValue;
  t.true(Math.abs(p('conv4/protonet/none/plain', 'synthetic/5way/1shot') - 0.09172111331157187) < 1e-9);
  t.true(Math.abs(p('conv4/protonet/none/plain', 'synthetic/5way/5shot') - 0.04620509135336324) < 1e-9);
  t.true(Math.abs(p('conv4/protonet/rotation/single', 'synthetic/5way/5shot') - 0.05766888562243731) < 1e-9);
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

test('markdown: one line per method, mean ± CI, bold cells, notes with the CI formula and the bold test', (t) => {
  const md = renderMarkdown(sample());
  const lines = md.split('\n');
  t.is(lines[0], '| method | synthetic 1-shot | synthetic 5-shot |');
  t.is(lines[1], '|---|---|---|');
  t.regex(lines[2]!, /^\| ProtoNet \| \*\*50\.00 ± \d+\.\d\d\*\* \| 65\.00 ± \d+\.\d\d \|$/);
  t.true(md.includes('two-sided paired t-test over the column\'s shared test episodes (per-episode accuracy averaged over seeds) at α = 0.05'));
  t.true(md.includes(`Manifests (sha256): synthetic 1-shot ${'a'.repeat(64)}; synthetic 5-shot ${'a'.repeat(64)}.`));
  t.true(md.includes('Backend: cpu (1 thread). Commit: unknown. Training seeds: not recorded.'));
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
  t.is(parsed.version, 2);
  t.deepEqual(parsed.emphasis, { method: 'paired-t', alpha: 0.05, unpairedColumns: [] });
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

/** A hand-made column: one record per head, per-episode accuracies given. */
function column(cells: Record<string, number[]>, manifest: Record<string, string> = {}) {
  return buildTable(
    Object.entries(cells).map(([head, single]) => {
      const results = fakeResults({ head, single });
      if (manifest[head]) results.manifest = { ...results.manifest, sha256: manifest[head]! };
      return { source: head, results };
    }),
  );
}
const boldHeads = (table: ReturnType<typeof buildTable>) => table.cells.filter((c) => c.best).map((c) => c.row.split('/')[1]).sort();

test('bold: clearly below is not bold, indistinguishable is; ties and all-equal columns bold every tied cell', (t) => {
  const a = [0.8, 0.9, 0.85, 0.95, 0.9, 0.85, 0.8, 0.9];
  const table = column({
    protonet: a,
    ridge: a.map((v) => v - 0.3),
    svm: a.map((v, i) => v + (i % 2 === 0 ? 0.05 : -0.05)),
  });
  t.deepEqual(boldHeads(table), ['protonet', 'svm']);
  t.true(table.cells.find((c) => c.row.includes('ridge'))!.versusBest!.pValue < 1e-6);
  // Two cells tied for the best mean: both bold, whatever the test says.
  t.deepEqual(boldHeads(column({ protonet: [0.5, 0.7, 0.6], ridge: [0.7, 0.5, 0.6], svm: [0.1, 0.2, 0.1] })), ['protonet', 'ridge']);
  // All equal: everything bold.
  t.deepEqual(boldHeads(column({ protonet: [0.5, 0.6], ridge: [0.5, 0.6], svm: [0.5, 0.6] })), ['protonet', 'ridge', 'svm']);
});

test('bold: a lone cell is not bold (no bold note); different manifests in a column bold nothing and say so; --bold none', (t) => {
  const one = column({ protonet: [0.5, 0.6, 0.7] });
  t.deepEqual(boldHeads(one), []);
  t.false(renderMarkdown(one).includes('Bold:'));
  const unpaired = column({ protonet: [0.9, 0.9, 0.8], ridge: [0.1, 0.2, 0.1] }, { ridge: 'b'.repeat(64) });
  t.deepEqual(boldHeads(unpaired), []);
  t.deepEqual(unpaired.emphasis.unpairedColumns, ['synthetic/5way/1shot']);
  t.true(renderMarkdown(unpaired).includes('No bold in synthetic 1-shot: its cells were evaluated on different episodes'));
  const none = buildTable([{ source: 'a', results: fakeResults({ head: 'protonet', single: [0.9, 0.8] }) }, { source: 'b', results: fakeResults({ head: 'ridge', single: [0.1, 0.2] }) }], { bold: 'none' });
  t.deepEqual(boldHeads(none), []);
  t.true(renderMarkdown(none).includes('No cell is bold (--bold none).'));
  t.throws(() => buildTable([], { alpha: 0 }), { message: /level must be strictly between 0 and 1/ });
});

/** A record of `head` trained with `seed` (the seed sits in the trained model's config, as the trainer saves it). */
function seeded(head: string, seed: number, single: number[]) {
  const results = fakeResults({ head, single });
  results.model.info = { info: { trainConfig: { seed } } };
  return { source: `${head}/seed-${seed}`, results };
}

test('seeds: one cell per method with the across-seed t interval beside the pooled-episode interval, labelled in every format', (t) => {
  const table = buildTable([seeded('protonet', 0, [0.5, 0.6, 0.7, 0.6]), seeded('protonet', 1, [0.7, 0.8, 0.9, 0.8]), seeded('protonet', 2, [0.6, 0.6, 0.6, 0.6]), seeded('ridge', 0, [0.2, 0.3, 0.2, 0.3])]);
  const cell = table.cells.find((c) => c.row.includes('protonet'))!;
  t.deepEqual(cell.seeds.map((s) => [s.seed, Math.round(s.mean * 1e9) / 1e9, s.n]), [[0, 60, 4], [1, 80, 4], [2, 60, 4]]);
  const across = meanConfidenceInterval([60, 80, 60], { method: 't' });
  t.true(Math.abs(cell.acrossSeeds!.mean - across.mean) < 1e-9 && Math.abs(cell.acrossSeeds!.halfWidth - across.halfWidth) < 1e-9);
  t.is(cell.summary.n, 12);
  t.true(Math.abs(cell.summary.ci95! - meanConfidenceInterval([50, 60, 70, 60, 70, 80, 90, 80, 60, 60, 60, 60]).halfWidth) < 1e-9);
  const main = `${across.mean.toFixed(2)} ± ${across.halfWidth.toFixed(2)}`;
  const md = renderMarkdown(table);
  t.true(md.includes(`| ProtoNet | **${main}** (± ${cell.summary.ci95!.toFixed(2)}) |`), md);
  t.true(md.includes("mean over the seeds ± 95% Student-t half-width across the seeds' means"));
  t.true(md.includes('in parentheses ± 1.96·s/√N over all N episodes of all seeds pooled'));
  t.true(md.includes('Training seeds: 0, 1, 2.'));
  const tex = renderLatex(table);
  t.true(tex.includes(`$\\mathbf{${main.replace('±', '\\pm')}}$ ($\\pm ${cell.summary.ci95!.toFixed(2)}$)`), tex);
  const csv = renderCsv(table).split('\n');
  const header = csv[0]!.split(',');
  const row = csv.find((l) => l.startsWith('ProtoNet,'))!.split(',');
  t.is(row[header.indexOf('seeds')], '3');
  t.is(row[header.indexOf('seed_list')], '0 1 2');
  t.is(Number(row[header.indexOf('seeds_ci95_t')]), cell.acrossSeeds!.halfWidth);
  t.is(Number(row[header.indexOf('ci95')]), cell.summary.ci95!);
  // The same seed twice is refused; seeds on different episodes too.
  t.throws(() => buildTable([seeded('protonet', 0, [0.5, 0.6]), seeded('protonet', 0, [0.5, 0.7])]), { message: /two results for ProtoNet on synthetic\/5way\/1shot with training seed 0/ });
  t.throws(() => buildTable([seeded('protonet', 0, [0.5, 0.6]), seeded('protonet', 1, [0.5, 0.7, 0.1])]), { message: /the seeds of one cell need the same episodes/ });
});

test.serial('jointshot report: --json prints the same versioned document as --format json (one JSON shape)', async (t) => {
  const { writeFile, mkdir } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { default: report } = await import('../../src/cli/commands/report.js');
  const { runCaptured } = await import('../helpers/cli.js');
  const { withTempDir } = await import('./fixtures.js');
  await withTempDir(async (dir) => {
    for (const [name, head, single] of [['a', 'protonet', [0.5, 0.6, 0.7]], ['b', 'ridge', [0.4, 0.6, 0.6]]] as const) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'results.json'), JSON.stringify(fakeResults({ head, single: [...single] })));
    }
    const format = await runCaptured(['report', dir, '--format', 'json'], [report]);
    const flag = await runCaptured(['--json', 'report', dir], [report]);
    t.is(format.code, 0, format.stderr);
    t.deepEqual(JSON.parse(flag.stdout), JSON.parse(format.stdout));
    t.like(JSON.parse(format.stdout), { format: 'jointshot-table', version: 2 });
  });
});
