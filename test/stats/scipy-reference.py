"""Reference values for test/stats/tests.test.ts, computed with scipy (Debian's python3-scipy 1.10).

Run: /usr/bin/python3 test/stats/scipy-reference.py > test/stats/scipy-reference.json
Inputs are generated here with fixed numpy seeds and written out with the expected values.
"""
import json
import numpy as np
import scipy
from scipy import stats

out = {"scipy": scipy.__version__, "paired": [], "mcnemar": [], "proportion": [], "holm": [], "tInterval": []}


def rounded_differences(a, b):
    return np.round((np.asarray(a) - np.asarray(b)) * 1e12) / 1e12


def paired(name, a, b, method):
    a = [float(v) for v in a]
    b = [float(v) for v in b]
    d = rounded_differences(a, b)
    t = stats.ttest_rel(a, b)
    n = len(a)
    half = stats.t.ppf(0.975, n - 1) * np.std(d, ddof=1) / np.sqrt(n)
    w = stats.wilcoxon(d, zero_method="wilcox", correction=True, method=method)
    kept = d[d != 0]
    ranks = stats.rankdata(np.abs(kept))
    out["paired"].append({
        "name": name, "a": a, "b": b,
        "meanDifference": float(np.mean(d)), "interval": [float(np.mean(d) - half), float(np.mean(d) + half)],
        "tStatistic": float(t.statistic), "tPValue": float(t.pvalue),
        "wilcoxonMethod": method, "wilcoxonRankSumPositive": float(ranks[kept > 0].sum()), "wilcoxonPValue": float(w.pvalue),
    })


rng = np.random.RandomState(14)
# 40 episodes of 75 queries: accuracies k/75, many tied and zero differences.
p = rng.uniform(0.3, 0.7, size=40)
a = rng.binomial(75, p) / 75
b = rng.binomial(75, np.clip(p + 0.03, 0, 1)) / 75
paired("episodes-ties", a, b, "approx")
# 1000 episodes, a clear difference.
p = rng.uniform(0.3, 0.7, size=1000)
paired("episodes-1000", rng.binomial(75, np.clip(p + 0.02, 0, 1)) / 75, rng.binomial(75, p) / 75, "approx")
# 12 pairs of continuous values, no ties or zeros: the exact signed-rank distribution.
a = rng.normal(0.5, 0.1, size=12)
paired("exact-12", a, a + rng.normal(0.03, 0.05, size=12), "exact")


def mcnemar(name, a, b):
    a = np.asarray(a, dtype=int)
    b = np.asarray(b, dtype=int)
    only_a = int(np.sum((a == 1) & (b == 0)))
    only_b = int(np.sum((a == 0) & (b == 1)))
    disc = only_a + only_b
    if disc < 25:
        method, stat, pv = "exact binomial", only_a, stats.binomtest(only_a, disc, 0.5).pvalue
    else:
        stat = (abs(only_a - only_b) - 1) ** 2 / disc
        method, pv = "chi-square with continuity correction", stats.chi2.sf(stat, 1)
    out["mcnemar"].append({"name": name, "a": a.tolist(), "b": b.tolist(), "onlyA": only_a, "onlyB": only_b,
                           "method": method, "statistic": float(stat), "pValue": float(pv)})


a = rng.binomial(1, 0.7, size=60)
b = a.copy()
flip = rng.choice(60, size=9, replace=False)
b[flip] = 1 - b[flip]
mcnemar("exact-9-discordant", a, b)
a = rng.binomial(1, 0.62, size=2000)
b = np.where(rng.uniform(size=2000) < 0.15, 1 - a, a)
b = np.where((b == 0) & (rng.uniform(size=2000) < 0.05), 1, b)
mcnemar("chi2-2000", a, b)

for k, n in [(0, 10), (10, 10), (7, 20), (612, 1000), (1, 3), (7431, 10000)]:
    res = stats.binomtest(k, n)
    w = res.proportion_ci(confidence_level=0.95, method="wilson")
    e = res.proportion_ci(confidence_level=0.95, method="exact")
    out["proportion"].append({"k": k, "n": n, "wilson": [w.low, w.high], "clopperPearson": [e.low, e.high]})


def holm(p):
    # Holm's step-down adjustment written out (scipy 1.10 has none): sorted p_(i) * (m - i), running max, capped at 1.
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.empty(m)
    running = 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[j]))
        adj[j] = running
    return adj.tolist()


for p in [[0.01, 0.04, 0.03, 0.2], [0.5], [0.001, 0.001, 0.9]]:
    out["holm"].append({"p": p, "adjusted": holm(p)})

for values in [[48.8, 52.1, 45.3], [75.1, 74.0], [30.0, 31.5, 29.0, 33.2, 30.9]]:
    lo, hi = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
    out["tInterval"].append({"values": values, "mean": float(np.mean(values)), "halfWidth": float(hi - np.mean(values))})

print(json.dumps(out))
