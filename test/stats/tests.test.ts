import { readFileSync } from 'node:fs';
import test from 'ava';
import { DataError, UsageError } from '../../src/errors.js';
import { clopperPearsonInterval, holmAdjust, mcnemarTest, meanConfidenceInterval, pairedComparison, wilsonInterval } from '../../src/stats/index.js';

/** Inputs and scipy 1.10 results written by test/stats/scipy-reference.py (see its header to regenerate). */
interface Reference {
  scipy: string;
  paired: { name: string; a: number[]; b: number[]; meanDifference: number; interval: [number, number]; tStatistic: number; tPValue: number; wilcoxonMethod: 'approx' | 'exact'; wilcoxonRankSumPositive: number; wilcoxonPValue: number }[];
  mcnemar: { name: string; a: number[]; b: number[]; onlyA: number; onlyB: number; method: string; statistic: number; pValue: number }[];
  proportion: { k: number; n: number; wilson: [number, number]; clopperPearson: [number, number] }[];
  holm: { p: number[]; adjusted: number[] }[];
  tInterval: { values: number[]; mean: number; halfWidth: number }[];
}
const reference = JSON.parse(readFileSync(new URL('./scipy-reference.json', import.meta.url), 'utf8')) as Reference;

/** Relative closeness (absolute below 1e-300). */
const close = (actual: number, expected: number, rel = 1e-7) => Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-300);

for (const r of reference.paired) {
  test(`paired comparison matches scipy: ${r.name}`, (t) => {
    const c = pairedComparison(r.a, r.b);
    t.is(c.n, r.a.length);
    t.true(close(c.meanDifference, r.meanDifference, 1e-9), `${c.meanDifference} vs ${r.meanDifference}`);
    t.true(close(c.interval[0], r.interval[0], 1e-6) && close(c.interval[1], r.interval[1], 1e-6), `${c.interval} vs ${r.interval}`);
    t.true(close(c.t.statistic, r.tStatistic, 1e-6), `t ${c.t.statistic} vs ${r.tStatistic}`);
    t.true(close(c.t.pValue, r.tPValue, 1e-5), `t p ${c.t.pValue} vs ${r.tPValue}`);
    t.is(c.wilcoxon.method, r.wilcoxonMethod === 'exact' ? 'exact' : 'normal approximation');
    t.is(c.wilcoxon.statistic, r.wilcoxonRankSumPositive);
    // stdlib forms the normal tail as 1 - Phi(|z|): absolute error ~1e-16, so compare tiny p-values absolutely.
    t.true(close(c.wilcoxon.pValue, r.wilcoxonPValue, 1e-5) || Math.abs(c.wilcoxon.pValue - r.wilcoxonPValue) < 1e-15, `wilcoxon p ${c.wilcoxon.pValue} vs ${r.wilcoxonPValue}`);
  });
}

test('paired comparison: identical runs give p = 1 and a zero interval; a constant shift p = 0', (t) => {
  const a = [0.2, 0.4, 0.6, 0.8];
  const same = pairedComparison(a, a);
  t.deepEqual([same.meanDifference, same.interval, same.t.pValue, same.wilcoxon.pValue, same.wilcoxon.nonZero], [0, [0, 0], 1, 1, 0]);
  const shifted = pairedComparison(a.map((v) => v + 0.1), a);
  t.true(close(shifted.meanDifference, 0.1));
  t.is(shifted.t.pValue, 0);
  t.true(shifted.wilcoxon.pValue > 0 && shifted.wilcoxon.pValue < 0.2, 'four equal positive differences: normal approximation with ties');
  // Differences equal in value but reached through different fractions still tie: 0.3 - 0.2 vs 0.7 - 0.6.
  t.is(pairedComparison([0.3, 0.7, 0.5], [0.2, 0.6, 0.1]).wilcoxon.method, 'normal approximation');
});

test('paired comparison: bad input is a one-line typed error', (t) => {
  t.throws(() => pairedComparison([1, 2, 3], [1, 2]), { instanceOf: UsageError, message: /3 values against 2/ });
  t.throws(() => pairedComparison([1], [1]), { instanceOf: UsageError, message: /at least 2 pairs/ });
  t.throws(() => pairedComparison([1, NaN], [1, 2]), { instanceOf: DataError, message: /pair 1/ });
  t.throws(() => pairedComparison([1, 2], [1, 3], { level: 1 }), { instanceOf: UsageError });
});

for (const r of reference.mcnemar) {
  test(`McNemar matches scipy: ${r.name}`, (t) => {
    const m = mcnemarTest(r.a, r.b);
    t.deepEqual([m.n, m.onlyA, m.onlyB, m.method], [r.a.length, r.onlyA, r.onlyB, r.method]);
    t.true(close(m.statistic, r.statistic, 1e-12));
    t.true(close(m.pValue, r.pValue, 1e-9), `${m.pValue} vs ${r.pValue}`);
  });
}

test('McNemar: no discordant images p = 1; typed arrays; bad input', (t) => {
  const m = mcnemarTest(new Uint8Array([1, 0, 1]), new Uint8Array([1, 0, 1]));
  t.deepEqual([m.onlyA, m.onlyB, m.pValue, m.method], [0, 0, 1, 'exact binomial']);
  // 24 discordant, all one way: exact, 2 * 0.5^24.
  const a = Array.from({ length: 30 }, (_, i) => (i < 24 ? 1 : 0));
  const b = new Array<number>(30).fill(0);
  t.true(close(mcnemarTest(a, b).pValue, 2 * 0.5 ** 24, 1e-9));
  t.is(mcnemarTest([...a, 1], [...b, 0]).method, 'chi-square with continuity correction');
  t.throws(() => mcnemarTest([1, 0], [1]), { instanceOf: UsageError, message: /same test set/ });
  t.throws(() => mcnemarTest([1, 0.5], [1, 0]), { instanceOf: DataError, message: /a\[1\] is 0.5/ });
});

for (const r of reference.proportion) {
  test(`Wilson and Clopper-Pearson intervals match scipy: ${r.k}/${r.n}`, (t) => {
    const w = wilsonInterval(r.k, r.n);
    const e = clopperPearsonInterval(r.k, r.n);
    t.true(close(w[0], r.wilson[0], 1e-9) && close(w[1], r.wilson[1], 1e-9), `wilson ${w} vs ${r.wilson}`);
    t.true(close(e[0], r.clopperPearson[0], 1e-7) && close(e[1], r.clopperPearson[1], 1e-7), `exact ${e} vs ${r.clopperPearson}`);
  });
}

test('proportion intervals reject impossible counts', (t) => {
  t.throws(() => wilsonInterval(5, 4), { instanceOf: UsageError, message: /0 <= k <= n/ });
  t.throws(() => clopperPearsonInterval(0, 0), { instanceOf: UsageError, message: /n >= 1/ });
});

for (const r of reference.holm) {
  test(`Holm adjustment matches the step-down formula: ${r.p.join(', ')}`, (t) => {
    const adjusted = holmAdjust(r.p);
    r.adjusted.forEach((v, i) => t.true(close(adjusted[i]!, v, 1e-12), `${adjusted[i]} vs ${v}`));
  });
}

test('Holm rejects non-probabilities', (t) => {
  t.deepEqual(holmAdjust([]), []);
  t.throws(() => holmAdjust([0.1, 1.5]), { instanceOf: DataError, message: /p-value 1 is 1.5/ });
});

for (const r of reference.tInterval) {
  test(`across-seed t interval matches scipy: ${r.values.join(', ')}`, (t) => {
    const ci = meanConfidenceInterval(r.values, { method: 't' });
    t.true(close(ci.mean, r.mean, 1e-12) && close(ci.halfWidth, r.halfWidth, 1e-9), `${ci.halfWidth} vs ${r.halfWidth}`);
  });
}
