import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import train from '../../src/cli/commands/train.js';
import { disposeLoadedModel, loadModel, TRAIN_FILES } from '../../src/train/index.js';
import { runCaptured, type CliRun } from '../helpers/cli.js';
import { withTempDir } from './fixtures.js';

/** Runs `jointshot train ...` in-process on the cpu backend. */
function jointshotTrain(args: string[]): Promise<CliRun> {
  return runCaptured(['train', '--backend', 'cpu', ...args], [train]);
}

// One test: the CLI captures process-wide streams, so its runs must not interleave with others.
test('train --preset cpu-real --init: episodic fine-tuning from a whole-class pretrained model, end to end on synthetic data', async (t) => {
  await withTempDir(async (dir) => {
    const small = join(dir, 'small.json');
    await writeFile(small, JSON.stringify({ backboneOptions: { channels: 2 } }));
    const pre = join(dir, 'pre');
    const pretrain = await jointshotTrain(['--preset', 'cpu-pretrain', '--dataset', 'synthetic', '--config', small, '--per-class', '2', '--test-per-class', '2', '--batch-size', '8', '--epochs', '1', '--batches-per-epoch', '1', '--out', pre]);
    t.is(pretrain.code, 0, pretrain.stderr);
    const fine = join(dir, 'fine');
    const init = join(pre, TRAIN_FILES.best);
    const run = await jointshotTrain([
      '--preset', 'cpu-real', '--dataset', 'synthetic', '--init', init, '--transform', 'rotation',
      '--ways', '2', '--shots', '1', '--queries', '1', '--episodes-per-batch', '2', '--epochs', '1', '--batches-per-epoch', '1', '--val-episodes', '0', '--out', fine,
    ]);
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /finished at step 1\/1 .* micro-batch 256\)/);
    const saved = JSON.parse(await readFile(join(fine, TRAIN_FILES.config), 'utf8'));
    t.like(saved, { task: 'episodic', init, bnGrouping: 'support-query', heapBudgetMiB: 3840, microBatch: 0, transform: 'rotation' });
    const [start, step] = (await readFile(join(fine, TRAIN_FILES.log), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    t.like(start, { event: 'start', microBatch: 256 });
    t.like(step, { event: 'step', images: 2 * 2 * 2 * 4, passes: 1 });
    t.true(Number.isFinite(step.loss));
    const model = await loadModel(join(fine, TRAIN_FILES.best));
    try {
      t.deepEqual(model.backbone.config.channels, [2, 2, 2, 2], "the pretrained backbone (2 channels), not the preset's fresh one");
      t.is(model.wholeClass, undefined, 'an episodic model');
      t.is(model.transform.name, 'rotation');
    } finally {
      disposeLoadedModel(model);
    }
  });
});
