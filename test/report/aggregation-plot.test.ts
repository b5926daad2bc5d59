import test from 'ava';
import { aggregationPoints, pairedGain, renderAggregationCsv, renderAggregationPlot, renderAggregationTable } from '../../src/report/aggregation-plot.js';
import type { ClassificationStudy } from '../../src/report/classification-table.js';
import { checkXml } from './fixtures.js';
import { record, results, right } from './study-fixtures.js';

const close = (t: { true(v: boolean, m?: string): void }, a: number, b: number, what: string) => t.true(Math.abs(a - b) < 1e-3, `${what}: ${a} vs ${b}`);

/**
 * base: seed 0 right on images 0,1 (20%), seed 1 30%. m4 (one seed): SI right on 0,2, AG on 0-3.
 * m2 (two seeds): SI 30 / 40, AG 35 / 50. m24: no results.
 */
function study(): ClassificationStudy {
  return {
    dataset: 'cifar-100',
    runs: {
      base: [
        { seed: 0, source: 'base-s0', results: results({ single: right(0, 1) }) },
        { seed: 1, source: 'base-s1', results: results({ single: 0.3 }) },
      ],
      m2: [
        { seed: 0, source: 'm2-s0', results: results({ single: 0.3, aggregated: 0.35 }) },
        { seed: 1, source: 'm2-s1', results: results({ single: 0.4, aggregated: 0.5 }) },
      ],
      m4: [{ seed: 0, source: 'm4-s0', results: results({ single: right(0, 2), aggregated: right(0, 1, 2, 3) }) }],
    },
    ensembles: {},
  };
}

const SPECS = [
  { run: 'm24', transform: 'rotation+colorperm', m: 24 },
  { run: 'm4', transform: 'rotation', m: 4 },
  { run: 'base', transform: 'none', m: 1 },
  { run: 'm2', transform: 'rotation2', m: 2 },
];

test('gains: per-seed t interval with several seeds, paired per-image t interval with one, 0 at M = 1, runs without results left out', (t) => {
  const points = aggregationPoints(study(), SPECS);
  t.deepEqual(points.map((p) => p.m), [1, 2, 4]);
  const [m1, m2, m4] = points as [typeof points[0], typeof points[0], typeof points[0]];
  t.deepEqual([m1.overBaseline!.mean, m1.overBaseline!.low, m1.overBaseline!.high, m1.overSingle.mean], [0, 0, 0, 0]);
  // M = 2: AG - SI per seed 5, 10: mean 7.5, sd 3.5355, t(0.975, 1) = 12.7062 -> half-width 31.7655
  close(t, m2.overSingle.mean, 7.5, 'm2 AG-SI');
  close(t, m2.overSingle.high - 7.5, 31.7655, 'm2 AG-SI half-width');
  // AG - Baseline per seed: 35 - 20, 50 - 30: mean 17.5, same spread
  close(t, m2.overBaseline!.mean, 17.5, 'm2 AG-base');
  close(t, m2.overBaseline!.low, 17.5 - 31.7655, 'm2 AG-base low');
  t.is(m2.overSingle.interval, 't over 2 seeds');
  close(t, m2.baseline!, 25, 'baseline mean over the seeds m2 has');
  // M = 4, one seed: per-image differences (x100) two 100s and eight 0s: mean 20, sd 42.164,
  // t(0.975, 9) = 2.262157 -> half-width 2.262157 * 42.164 / sqrt(10) = 30.162
  close(t, m4.overSingle.mean, 20, 'm4 AG-SI');
  close(t, m4.overSingle.low, 20 - 30.162, 'm4 AG-SI low');
  close(t, m4.overBaseline!.high, 20 + 30.162, 'm4 AG-base high');
  t.is(m4.overSingle.interval, 'paired t over 10 test images, 1 seed');
  t.deepEqual([m4.single, m4.aggregated, m4.baseline], [20, 40, 20]);
});

test('pairedGain of identical read-outs is exactly 0 with a zero-width interval', (t) => {
  const g = pairedGain([{ a: record(right(1, 2)), b: record(right(1, 2)) }]);
  t.deepEqual([g.mean, g.low, g.high], [0, 0, 0]);
});

test('a point without a baseline on its seeds has no AG - Baseline gain; table, CSV and plot say so', (t) => {
  const s = study();
  s.runs.base = [];
  const points = aggregationPoints(s, SPECS);
  t.deepEqual(points.map((p) => [p.m, p.overBaseline]), [[2, null], [4, null]]);
  t.regex(renderAggregationTable(points), /\| 2 \| rotation2 \| 0, 1 \| – \| 35\.00 \| 42\.50 \| – \| \+7\.50 \[-24\.27, 39\.27\] \|/);
  t.regex(renderAggregationCsv(points).split('\n')[1]!, /^2,rotation2,m2,0 1,,35,42\.5,,,,7\.5,-24\.26/);
  const svg = renderAggregationPlot(points);
  t.is((svg.match(/<polyline /g) ?? []).length, 1, 'only the AG - SI series');
});

test('CSV and table: one row per M with both gains and their bounds in points', (t) => {
  const points = aggregationPoints(study(), SPECS);
  const csv = renderAggregationCsv(points).trim().split('\n');
  t.is(csv.length, 4);
  t.true(csv[0]!.startsWith('m,transform,run,seeds,baseline,single,aggregated,ag_minus_baseline,ag_minus_baseline_low,ag_minus_baseline_high,ag_minus_si'));
  t.regex(csv[1]!, /^1,none,base,0 1,25,25,25,0,0,0,0,0,0,"M = 1: the baseline itself, 0 by definition"/);
  t.regex(csv[3]!, /^4,rotation,m4,0,20,20,40,20,-10\.16\d*,50\.16\d*,20,-10\.16\d*,50\.16\d*,"paired t over 10 test images, 1 seed"/);
  const table = renderAggregationTable(points);
  t.regex(table, /\| 4 \| rotation \| 0 \| 20\.00 \| 20\.00 \| 40\.00 \| \+20\.00 \[-10\.16, 50\.16\] \| \+20\.00 \[-10\.16, 50\.16\] \|/);
  t.regex(table, /t over 2 seeds; paired t over 10 test images, 1 seed/);
});

test('plot: both series on a log-M axis with a whisker and a labelled point per M, y axis covering every interval', (t) => {
  const svg = renderAggregationPlot(aggregationPoints(study(), SPECS));
  t.is(checkXml(svg), null);
  t.is((svg.match(/<polyline /g) ?? []).length, 2);
  t.is((svg.match(/<circle /g) ?? []).length, 6, 'three M values x two series');
  t.is((svg.match(/<path d="M[^"]*V/g) ?? []).length, 6, 'a whisker per point');
  // y from floor(-24.27) to ceil(50.16); x ticks at M = 1, 2, 4
  t.regex(svg, />-25 pt</);
  t.regex(svg, />51 pt</);
  for (const m of [1, 2, 4]) t.regex(svg, new RegExp(`text-anchor="middle">${m}</text>`));
  t.regex(svg, /<title>SDA\+AG − Baseline: 2 → 17\.5 pt \[-14\.27, 49\.27\]<\/title>/);
  t.regex(svg, /<title>SDA\+AG − SDA\+SI \(same model\): 4 → 20 pt \[-10\.16, 50\.16\]<\/title>/);
  // log axis: M = 1 at the left edge (x 64), M = 4 at the right edge (x 540), M = 2 half way
  const cx = (m: number) => Number(new RegExp(`<circle cx="([\\d.]+)"[^>]*><title>SDA\\+AG − Baseline: ${m} `).exec(svg)![1]);
  t.deepEqual([cx(1), cx(2), cx(4)], [64, 302, 540]);
});
