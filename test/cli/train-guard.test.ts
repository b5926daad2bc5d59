import test from 'ava';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import train from '../../src/cli/commands/train.js';
import { checkLongRun, estimateEpisodicRun } from '../../src/cli/train-guard.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../../src/train/config.js';
import { runCaptured } from '../helpers/cli.js';

test('the default recipe is 480,000 episodes; its estimate counts every image and copy', (t) => {
  const config = DEFAULT_TRAIN_CONFIG as TrainConfig;
  const plain = estimateEpisodicRun(config, 1);
  t.is(plain.episodes, 480_000);
  t.is(plain.images, 480_000 * 5 * (5 + 6));
  t.is(estimateEpisodicRun(config, 4).seconds, 4 * plain.seconds);
  t.throws(() => checkLongRun(config, 1, {}), { message: /480,000 episodes .* about 6\.1 days at 50 img\/s.*--preset quick or cpu-real.*--yes/ });
  t.notThrows(() => checkLongRun(config, 1, { yes: true }));
  t.notThrows(() => checkLongRun(config, 1, { preset: 'quick' }));
  t.notThrows(() => checkLongRun({ ...config, epochs: 1, batchesPerEpoch: 10 }, 1, {}), 'short runs need no flag');
});

test('train with no preset and no --yes, and train --resume on an empty folder, stop before creating --out', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-train-guard-'));
  try {
    for (const [args, pattern] of [
      [[], /^jointshot: train without --preset is the full recipe: 480,000 episodes/],
      [['--resume'], /^jointshot: --resume: .*run holds no training run \(no last\.jsm\); drop --resume/],
    ] as const) {
      const run = await runCaptured(['train', '--backend', 'cpu', '--out', join(dir, 'run'), ...args], [train]);
      t.is(run.code, 2, run.stderr);
      t.regex(run.stderr, pattern);
      t.is(run.stderr.trim().split('\n').length, 1, run.stderr);
      await t.throwsAsync(access(join(dir, 'run')), undefined, 'no folder was created');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
