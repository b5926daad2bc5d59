import test from 'ava';
import { tf } from '../../src/tf.js';
import { createSvmHead } from '../../src/heads/svm.js';
import { BENCH_PRESETS, cellTrainConfig, resolveBenchConfig } from '../../src/bench/config.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { toyEpisode, type ToyEpisode } from '../solvers/problems.js';

test.before(useCpuBackend);

/**
 * Non-negative, strongly correlated features like a freshly initialised Conv-4 after ReLU and
 * max-pooling: a shared offset plus weak class structure (K_ii ~140, K_ij ~120; the quick bench's
 * Conv-4 at initialisation gives K_ii ~160, K_ij ~100).
 */
function reluLikeEpisode(): ToyEpisode {
  const ep = toyEpisode(7, 5, 5, 3, 64, 2);
  const lift = (rows: number[][]) => rows.map((r) => r.map((v) => Math.max(0, 1.2 + 0.25 * v)));
  return { ...ep, support: lift(ep.support), query: lift(ep.query) };
}

/** Mean over supports of (max - min) of the svm's logits on the support set, embeddings times `factor`. */
function supportLogitSpread(ep: ToyEpisode, C: number, factor: number): { spread: number; atBound: number } {
  const head = createSvmHead({ C });
  try {
    return tf.tidy(() => {
      const x = tf.mul(tf.tensor2d(ep.support), factor) as tf.Tensor2D;
      const logits = head.logits(x, tf.tensor1d(ep.labels, 'int32'), x, 5);
      const spread = tf.mean(tf.sub(tf.max(logits, 1), tf.min(logits, 1))).dataSync()[0]!;
      const sol = head.lastSolutions[0]!;
      const atBound = ep.labels.filter((y, i) => sol.alpha[i * 5 + y]! >= C - 1e-9).length / ep.labels.length;
      return { spread, atBound };
    });
  } finally {
    head.dispose();
  }
}

test.serial('with C = 0.1 the svm logits are pinned by the margin: scaling the embeddings does not sharpen them', async (t) => {
  await withNoLeaks(t, () => {
    const ep = reluLikeEpisode();
    const base = supportLogitSpread(ep, 0.1, 1);
    const tripled = supportLogitSpread(ep, 0.1, 3); // K grows 9x
    t.is(base.atBound, 0, 'hard-margin regime: no true-class dual variable at C');
    t.true(base.spread > 0.5 && base.spread < 3, `support logit spread ${base.spread} is about the margin`);
    t.true(Math.abs(tripled.spread / base.spread - 1) < 0.1, `spread ${base.spread} -> ${tripled.spread} for 9x the kernel`);
  });
});

test.serial('with C = 0.01 on a kernel of that size the box binds: the dual variables sit at C and the logits grow with the kernel', async (t) => {
  await withNoLeaks(t, () => {
    const ep = reluLikeEpisode();
    const half = supportLogitSpread(ep, 0.01, 0.5);
    const base = supportLogitSpread(ep, 0.01, 1); // K grows 4x
    t.true(half.atBound >= 0.8 && base.atBound >= 0.8, `most true-class dual variables at C (${half.atBound}, ${base.atBound})`);
    t.true(base.spread / half.spread > 2.5, `spread ${half.spread} -> ${base.spread} for 4x the kernel`);
  });
});

test('the quick bench preset trains svm cells with C = 0.01; other heads and presets are unchanged', (t) => {
  const quick = resolveBenchConfig(BENCH_PRESETS.quick!);
  t.deepEqual(cellTrainConfig(quick, 'synthetic', 'svm', 'none').headOptions, { C: 0.01 });
  t.deepEqual(cellTrainConfig(quick, 'synthetic', 'svm', 'rotation').headOptions, { C: 0.01 });
  t.deepEqual(cellTrainConfig(quick, 'synthetic', 'ridge', 'none').headOptions, {});
  t.deepEqual(cellTrainConfig(quick, 'synthetic', 'protonet', 'none').headOptions, {});
  const paper = resolveBenchConfig(BENCH_PRESETS['paper-table5']!);
  t.deepEqual(cellTrainConfig(paper, 'cifar-fs', 'svm', 'none').headOptions, { C: 0.1 });
  // a config file can still restore MetaOptNet's C for the quick matrix
  const restored = resolveBenchConfig(BENCH_PRESETS.quick!, { headOptions: { svm: { C: 0.1 } } });
  t.deepEqual(cellTrainConfig(restored, 'synthetic', 'svm', 'none').headOptions, { C: 0.1 });
});
