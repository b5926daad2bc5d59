import test from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createBackbone } from '../../src/backbones/index.js';
import { createEpisodeSampler } from '../../src/episodes/index.js';
import { UsageError } from '../../src/errors.js';
import { createHead } from '../../src/heads/index.js';
import { liftHead } from '../../src/sla/index.js';
import { tf } from '../../src/tf.js';
import { getLabelTransform, normalizationFor } from '../../src/transforms/index.js';
import { disposeLoadedModel, loadModel, saveModel, TRAIN_FILES, trainRun, type TrainConfig } from '../../src/train/index.js';
import { createRng } from '../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { tinyConfig, tinySplits, withTempDir } from './fixtures.js';
import { referenceLoss, type ReferenceGrouping } from './step-reference.js';

test.before(useCpuBackend);

/** One step of 2 episodes (3-way 2-shot 2-query, rotation: groups of 48 supports and 48 queries). */
const oneStep = (overrides: Partial<TrainConfig>) =>
  tinyConfig({ transform: 'rotation', augmentation: 'none', labelSmoothing: 0.1, episodesPerBatch: 2, batchesPerEpoch: 1, epochs: 1, checkpointEvery: 1000, ...overrides });

async function stepLog(dir: string): Promise<{ loss: number; passes: number }> {
  const rows = (await readFile(join(dir, TRAIN_FILES.log), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  return rows.find((r) => r.event === 'step');
}

/**
 * The trainer's first step against a direct computation from the same seeded episodes and initial
 * weights: the loss, the batch-norm running statistics after it and the number of backbone calls;
 * the other groupings' direct losses differ from it (the option reaches the step).
 */
const REFERENCES: readonly ReferenceGrouping[] = ['support-query', 'episode', 'batch'];
for (const [grouping, microBatch, reference, microBatchUsed, passes, calls] of [
  ['support-query', 0, 'support-query', 256, 1, 2], // derived micro-batch: both groups in one tape
  ['support-query', 48, 'support-query', 48, 4, 2], // one group per pass, each replayed
  ['episode', 0, 'episode', 256, 1, 2],
  ['pass', 0, 'batch', 256, 1, 1], // both episodes fit one pass: one call
] as const) {
  test.serial(`a trainer step under bnGrouping ${grouping} (micro-batch ${microBatch || 'derived'}) has the loss of a direct computation`, async (t) => {
    const { train } = await tinySplits();
    const config = oneStep({ bnGrouping: grouping, microBatch });
    await withTempDir(async (dir) => {
      const summary = await trainRun({ config, train, outDir: dir });
      t.is(summary.microBatch, microBatchUsed);
      const logged = await stepLog(dir);
      t.is(logged.passes, passes);
      await withNoLeaks(t, async () => {
        const transform = getLabelTransform(config.transform);
        const sampler = createEpisodeSampler(train.classes.map((c) => c.count), config);
        const rng = createRng(`${config.seed}:episodes`);
        const episodes = Array.from({ length: config.episodesPerBatch }, () => sampler(rng));
        const direct = (g: ReferenceGrouping) => {
          const model = createBackbone({ seed: config.seed, inChannels: train.channels, ...config.backboneOptions, name: config.backbone });
          const lifted = liftHead(createHead(config.head), transform.count);
          const loss = tf.tidy(() => referenceLoss({ split: train, backbone: model, head: lifted, transform, normalization: normalizationFor('synthetic'), labelSmoothing: 0.1, episodes, grouping: g }).dataSync()[0]!);
          lifted.dispose();
          return { backbone: model, loss };
        };
        const { backbone, loss: expected } = direct(reference);
        t.true(Math.abs(logged.loss - expected) < 1e-5, `trainer loss ${logged.loss} vs direct ${expected}`);
        for (const other of REFERENCES.filter((g) => g !== reference)) {
          const alternative = direct(other);
          alternative.backbone.dispose();
          t.true(Math.abs(logged.loss - alternative.loss) > 1e-4, `grouped as ${other} the loss would be ${alternative.loss}, too close to ${logged.loss}`);
        }
        const saved = await loadModel(join(dir, TRAIN_FILES.last));
        try {
          for (const [name, v] of Object.entries(backbone.state)) {
            const diff = tf.tidy(() => v.sub(saved.backbone.state[name]!).abs().max().dataSync()[0]!);
            t.true(diff <= 1e-6, `running statistic ${name} differs by ${diff}`);
          }
          t.is(saved.backbone.trainingCalls, calls);
          t.is(backbone.trainingCalls, calls);
          t.is(saved.extra['train/bnGrouping'], grouping);
        } finally {
          disposeLoadedModel(saved);
          backbone.dispose();
        }
      });
    });
  });
}

test.serial('the derived micro-batch is raised to the largest group; an explicit smaller one is refused before training', async (t) => {
  const { train } = await tinySplits();
  // The cpu-real + rotation case in small: a query group of 3 episodes x 3 x 8 queries x 4 copies = 288
  // images, above the default cap (256); the supports (72) go in their own pass.
  const config = oneStep({ backboneOptions: { channels: 1 }, episodesPerBatch: 3, queries: 8 });
  await withTempDir(async (dir) => {
    const summary = await trainRun({ config, train, outDir: join(dir, 'derived') });
    t.is(summary.microBatch, 288);
    t.is((await stepLog(join(dir, 'derived'))).passes, 4);
    const tooSmall = join(dir, 'explicit');
    const error = await t.throwsAsync(trainRun({ config: { ...config, microBatch: 256 }, train, outDir: tooSmall }), { instanceOf: UsageError });
    t.regex(error!.message, /microBatch 256 is smaller than the largest batch-norm group of bnGrouping 'support-query', 288 images .* set --micro-batch >= 288/);
    t.notRegex(error!.message, /\n/);
    await t.throwsAsync(readdir(tooSmall), undefined, 'nothing was written');
  });
});

test.serial("a checkpoint from before the trainer applied bnGrouping resumes only as 'pass', and then exactly", async (t) => {
  const { train } = await tinySplits();
  const config = oneStep({ backboneOptions: { channels: 1 }, batchesPerEpoch: 2, checkpointEvery: 1 });
  const asPass = { ...config, bnGrouping: 'pass' as const };
  await withTempDir(async (root) => {
    const whole = join(root, 'whole');
    await trainRun({ config: asPass, train, outDir: whole });
    const old = join(root, 'old');
    const controller = new AbortController();
    await trainRun({ config: asPass, train, outDir: old, signal: controller.signal, onStep: (s) => s === 1 && controller.abort() });
    // Rewrite the checkpoint as the trainer wrote it before: the config says support-query, no grouping record.
    const path = join(old, TRAIN_FILES.last);
    const loaded = await loadModel(path);
    try {
      const extra = Object.fromEntries(Object.entries(loaded.extra).filter(([k]) => k.startsWith('train/') && k !== 'train/bnGrouping'));
      extra['train/config'] = { ...(extra['train/config'] as object), bnGrouping: 'support-query' };
      await saveModel(path, loaded, { optimizer: loaded.optimizer, extra });
    } finally {
      disposeLoadedModel(loaded);
    }
    const error = await t.throwsAsync(trainRun({ config, train, outDir: old, resume: true }), { instanceOf: UsageError });
    t.regex(error!.message, /different bnGrouping \(its steps grouped batch norm as 'pass'.*"bnGrouping": "pass"/);
    await trainRun({ config: asPass, train, outDir: old, resume: true });
    const [a, b] = [await loadModel(join(whole, TRAIN_FILES.last)), await loadModel(join(old, TRAIN_FILES.last))];
    try {
      for (const [name, v] of Object.entries(a.backbone.trainable)) t.deepEqual(Array.from(b.backbone.trainable[name]!.dataSync()), Array.from(v.dataSync()), name);
      for (const [name, v] of Object.entries(a.backbone.state)) t.deepEqual(Array.from(b.backbone.state[name]!.dataSync()), Array.from(v.dataSync()), name);
    } finally {
      disposeLoadedModel(a);
      disposeLoadedModel(b);
    }
  });
});
