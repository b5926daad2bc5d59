import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClassificationData, LabelledImages } from '../../src/data/classification-types.js';
import { UsageError } from '../../src/errors.js';
import { SILENT_PROGRESS, TRAIN_FILES, type TrainConfig, type TrainProgress } from '../../src/train/index.js';
import { runState } from '../../src/train/run-state.js';
import { SEEDS_SUMMARY_FILE, checkSeedList, renderSeedsSummary, seedDir, trainSeeds, type SeedRunOptions } from '../../src/train/seeds.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { tinyConfig, tinySplits, withTempDir } from './fixtures.js';

test.before(useCpuBackend);

/** 1 epoch of 2 steps of one 3-way episode, with 4 validation episodes (so each seed has a best accuracy). */
const config = (overrides: Partial<TrainConfig> = {}) =>
  tinyConfig({ batchesPerEpoch: 2, epochs: 1, episodesPerBatch: 1, validation: { episodes: 4, ways: 3, shots: 1, queries: 2 }, ...overrides });

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;

/** A progress that aborts `controller` after step `step` of the run with seed `seed`. */
function stopAt(controller: AbortController, seed: number, step: number): SeedRunOptions['progress'] {
  return (c) => ({ ...SILENT_PROGRESS, step: (r) => c.seed === seed && r.step === step && controller.abort() }) as TrainProgress;
}

test.serial('train --seeds: one run per seed in seed-<s>/, stopped mid-seed and resumed (finished seeds skipped), one summary', async (t) => {
  const splits = await tinySplits();
  await withTempDir(async (out) => {
    await withNoLeaks(t, async () => {
      const base = { config: config(), seeds: [3, 4], outDir: out, data: async () => splits };
      const controller = new AbortController();
      const first = await trainSeeds({ ...base, resume: false, signal: controller.signal, progress: stopAt(controller, 4, 1) });
      t.deepEqual(first.seeds.map((s) => [s.seed, s.status, s.steps]), [[3, 'trained', 2], [4, 'stopped', 1]]);
      t.false(first.complete);
      t.true(first.stopped);
      t.is(first.validationAcrossSeeds, null, 'no interval until two seeds finished');
      t.is(await runState(seedDir(out, 3), config({ seed: 3 })), 'done');
      t.is(await runState(seedDir(out, 4), config({ seed: 4 })), 'partial');

      const again = await t.throwsAsync(trainSeeds({ ...base, resume: false }), { instanceOf: UsageError });
      t.regex(again!.message, /seed-3 already holds a training run .*pass --resume/);

      const rest = await trainSeeds({ ...base, resume: true });
      t.deepEqual(rest.seeds.map((s) => [s.seed, s.status, s.steps, s.totalSteps]), [[3, 'skipped', 2, 2], [4, 'resumed', 2, 2]]);
      t.true(rest.complete);
      t.false(rest.stopped);
      t.deepEqual(await readJson(join(out, SEEDS_SUMMARY_FILE)), JSON.parse(JSON.stringify(rest)), 'seeds.json holds the returned summary');
      for (const seed of [3, 4]) t.is((await readJson(join(seedDir(out, seed), TRAIN_FILES.config))).seed, seed);
      t.not(await readFile(join(seedDir(out, 3), TRAIN_FILES.best), 'latin1'), await readFile(join(seedDir(out, 4), TRAIN_FILES.best), 'latin1'));

      // The across-seed interval: mean ± t(0.975, 1) · s / √2 of the two best validation accuracies.
      const [a, b] = rest.seeds.map((s) => s.bestValidation!) as [number, number];
      const T_975_DF1 = 12.706204736174698; // scipy.stats.t.ppf(0.975, 1)
      t.is(rest.validationAcrossSeeds!.n, 2);
      t.true(Math.abs(rest.validationAcrossSeeds!.mean - (a + b) / 2) < 1e-9);
      t.true(Math.abs(rest.validationAcrossSeeds!.halfWidth - (T_975_DF1 * Math.abs(a - b)) / 2) < 1e-6);
      const text = renderSeedsSummary(rest);
      t.regex(text, /^seed 3: skipped, step 2\/2, best validation .*seed-3\/best\.jsm$/m);
      t.regex(text, /best validation over 2 seeds: .* 1 degree of freedom/);
    });
  });
});

test.serial('train --seeds: bad seed lists, --resume with nothing to resume, a changed config on --resume', async (t) => {
  const splits = await tinySplits();
  t.throws(() => checkSeedList([0, 1, 0]), { instanceOf: UsageError, message: /lists seed 0 twice/ });
  t.throws(() => checkSeedList([]), { instanceOf: UsageError, message: /--seeds must list integers/ });
  await withTempDir(async (out) => {
    const base = { config: config({ validation: { episodes: 0, ways: 3, shots: 1, queries: 2 } }), seeds: [0], outDir: out, data: async () => splits };
    await t.throwsAsync(trainSeeds({ ...base, resume: true }), { instanceOf: UsageError, message: /--resume: .* holds no run of seeds 0 .*drop --resume/ });
    const done = await trainSeeds({ ...base, resume: false });
    t.is(done.validationAcrossSeeds, null);
    t.is(done.seeds[0]!.bestValidation, null);
    const changed = { ...base, config: config({ ways: 2, validation: { episodes: 0, ways: 3, shots: 1, queries: 2 } }) };
    await t.throwsAsync(trainSeeds({ ...changed, seeds: [1, 0], resume: true }), { instanceOf: UsageError, message: /seed-0 holds a run trained with different ways/ });
    t.is(await runState(seedDir(out, 1), changed.config), 'new', 'the conflict in seed 0 was found before seed 1 started');
  });
});

/** Whole-class toy data whose training subset depends on the seed (as perClass and imbalance do). */
function toyWholeClass(seed: number): ClassificationData {
  const images = (count: number, offset: number): LabelledImages => ({
    height: 16,
    width: 16,
    channels: 3,
    labels: Int32Array.from({ length: count }, (_, i) => i % 3),
    image: (i) => new Uint8Array(16 * 16 * 3).fill(((i % 3) * 80 + ((i + offset) % 7) * 5) % 256),
  });
  return { dataset: 'synthetic', classes: ['a', 'b', 'c'], train: images(12, seed), test: images(6, 0), description: `toy seed ${seed}`, testHash: 'toy' };
}

test.serial('train --seeds --task classify: each seed trains on the data of its own config', async (t) => {
  await withTempDir(async (out) => {
    const seen: number[] = [];
    const classify = tinyConfig({ task: 'classify', objective: 'baseline', batchSize: 4, batchesPerEpoch: 2, epochs: 1, augmentation: 'none', checkpointEvery: 100 });
    const summary = await trainSeeds({
      config: classify,
      seeds: [0, 1],
      outDir: out,
      resume: false,
      data: async (c) => {
        seen.push(c.seed);
        return { data: toyWholeClass(c.seed) };
      },
    });
    t.deepEqual(seen, [0, 1]);
    t.true(summary.complete);
    for (const seed of [0, 1]) t.like(await readJson(join(seedDir(out, seed), TRAIN_FILES.config)), { task: 'classify', seed });
  });
});
