import test from 'ava';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectLimitedData, relativeGainOf, renderGainPlot, renderLimitedDataTable } from '../../src/report/limited-data.js';
import { collectLongTailStudy, renderLongTailTable } from '../../src/report/long-tail-table.js';

/** Writes a minimal eval-class results.json with the given accuracies (fractions) per inference. */
async function result(path: string, accuracies: Record<string, number>, frequency?: object): Promise<void> {
  await mkdir(path, { recursive: true });
  const inferences = Object.fromEntries(Object.entries(accuracies).map(([n, a]) => [n, { accuracy: a, correctCount: a * 5000, low: a - 0.01, high: a + 0.01, interval: 'wilson 95%', correct: [] }]));
  await writeFile(join(path, 'results.json'), JSON.stringify({ format: 'jointshot-classification-results', version: 1, dataset: 'tiny-imagenet-fs', testHash: 'h', data: 'd', images: 5000, classes: 100, models: ['m'], ensemble: false, inferences, frequency, backend: null, seconds: 1 }));
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-lt-'));
  try {
    await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('Table 6 layout: six rows, dataset x ratio columns, the SDA+SD gain relative to the same method, missing cells as –', async (t) => {
  await withDir(async (dir) => {
    const col = join(dir, 'tiny-imagenet-fs rho=100');
    await result(join(col, 'base-s0', 'test'), { single: 0.2 });
    await result(join(col, 'base-sd-s0', 'test'), { single: 0.21, sd: 0.22 });
    await result(join(col, 'cb-s0', 'test'), { single: 0.25 });
    await result(join(col, 'cb-sd-s0', 'test'), { single: 0.24, sd: 0.2 });
    await result(join(col, 'ldam-s0', 'test'), { single: 0.3 });
    await result(join(dir, 'tiny-imagenet-fs rho=10', 'base-s0', 'test'), { single: 0.4 });
    const { columns, results } = await collectLongTailStudy(dir);
    t.deepEqual(columns, ['tiny-imagenet-fs rho=10', 'tiny-imagenet-fs rho=100']);
    const table = renderLongTailTable(columns, results);
    const rows = table.split('\n');
    t.is(rows[2], '| Baseline | 40.00 | 20.00 |');
    t.is(rows[3], '| Baseline + SDA+SD | – | 22.00 (+10.0%) |', 'sd read-out, gain over Baseline');
    t.is(rows[5], '| CB-RW + SDA+SD | – | 20.00 (−20.0%) |');
    t.is(rows[6], '| LDAM-DRW | – | 30.00 |');
    t.is(rows[7], '| LDAM-DRW + SDA+SD | – | – |');
    t.regex(table, /Baseline, tiny-imagenet-fs rho=100: 20\.00 \[18\.\d\d, 21\.\d\d\] \(Wilson, 1 seed; single read-out\)/);
  });
});

test('frequency groups: mean over seeds of each row\'s own read-out, – where a run has no group record', async (t) => {
  await withDir(async (dir) => {
    const col = join(dir, 'tiny-imagenet-fs rho=100');
    const frequency = (single: number[], sd?: number[]) => ({
      thresholds: { many: 100, few: 20 },
      trainCounts: [500, 50, 5],
      classes: { many: 1, medium: 1, few: 1 },
      accuracy: { single: { many: single[0], medium: single[1], few: single[2] }, ...(sd ? { sd: { many: sd[0], medium: sd[1], few: null } } : {}) },
    });
    await result(join(col, 'base-s0', 'test'), { single: 0.2 }, frequency([40, 20, 2]));
    await result(join(col, 'base-s1', 'test'), { single: 0.2 }, frequency([50, 10, 4]));
    await result(join(col, 'base-sd-s0', 'test'), { single: 0.2, sd: 0.21 }, frequency([1, 1, 1], [60, 30]));
    await result(join(col, 'cb-s0', 'test'), { single: 0.2 });
    const { columns, results, groups } = await collectLongTailStudy(dir);
    const rows = renderLongTailTable(columns, results, undefined, groups).split('\n');
    const at = rows.findIndex((r) => r.startsWith('| method | tiny-imagenet-fs rho=100: many'));
    t.true(at > 0, 'group table present');
    t.is(rows[at + 2], '| Baseline | 45.00 | 15.00 | 3.00 |');
    t.is(rows[at + 3], '| Baseline + SDA+SD | 60.00 | 30.00 | – |', 'sd read-out; a null group is –');
    t.is(rows[at + 4], '| CB-RW | – | – | – |');
    t.false(renderLongTailTable(columns, results).includes('frequency group'), 'no group table unless asked');
  });
});

test('limited data: gains of SDA+AG over the baseline against K, as a table and an SVG plot', async (t) => {
  await withDir(async (dir) => {
    for (const [k, base, sda] of [[25, 0.1, 0.12], [100, 0.3, 0.31], [50, 0.2, 0.2]] as const) {
      await result(join(dir, `k${k}`, 'base-s0', 'test'), { single: base });
      await result(join(dir, `k${k}`, 'sla-s0', 'test'), { single: 0.05, aggregated: sda });
    }
    await result(join(dir, 'k200', 'base-s0', 'test'), { single: 0.5 });
    const points = await collectLimitedData(dir);
    t.deepEqual(points.map((p) => p.perClass), [25, 50, 100], 'K without an SDA run left out');
    t.true(Math.abs(relativeGainOf(points[0]!) - 20) < 1e-9);
    const table = renderLimitedDataTable(points).split('\n');
    t.regex(table[2]!, /^\| 25 \| 10\.00 \[\d+\.\d\d, \d+\.\d\d\] \| 12\.00 \[.*\] \| \+20\.0% \|$/);
    t.regex(table[3]!, /\| \+0\.0% \|$/);
    const svg = renderGainPlot(points);
    t.regex(svg, /^<svg /);
    t.is((svg.match(/<circle /g) ?? []).length, 3);
  });
});
