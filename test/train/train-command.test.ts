import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import train from '../../src/cli/commands/train.js';
import { runCaptured, type CliRun } from '../helpers/cli.js';
import { withTempDir } from './fixtures.js';

/** Runs `jointshot train ...` in-process on the cpu backend. */
function jointshotTrain(args: string[]): Promise<CliRun> {
  return runCaptured(['train', '--backend', 'cpu', ...args], [train]);
}

const SMALL: Record<string, string> = {
  preset: 'quick',
  ways: '2',
  shots: '1',
  queries: '1',
  epochs: '1',
  'batches-per-epoch': '1',
  'episodes-per-batch': '1',
  'val-episodes': '0',
};

/** A tiny run's flags with `overrides` (flag -> value) replacing or adding to them. */
function small(overrides: Record<string, string>): string[] {
  return Object.entries({ ...SMALL, ...overrides }).flatMap(([k, v]) => [`--${k}`, v]);
}

// One test: the CLI captures process-wide streams, so its runs must not interleave with others.
test('train: bad flag combinations give one line and exit 2; a tiny run writes its files', async (t) => {
  await withTempDir(async (dir) => {
    const out = join(dir, 'run');
    await writeFile(join(dir, 'a-file'), '');
    const bad: [Record<string, string>, RegExp][] = [
      [{ head: 'svm', ways: '1' }, /head 'svm' needs at least 2 ways/],
      [{ shots: '500', queries: '200' }, /700 images per class/],
      [{ head: 'knn' }, /unknown head 'knn'/],
      [{ backbone: 'vgg' }, /unknown backbone 'vgg'/],
      [{ transform: 'spin' }, /unknown transformation set 'spin'/],
      [{ dataset: 'nope' }, /unknown dataset 'nope'/],
      [{ preset: 'huge' }, /unknown preset 'huge'/],
      [{ ways: '0' }, /ways must be an integer >= 1/],
      [{ seed: '1.5' }, /seed must be an integer/],
      [{ config: join(dir, 'missing.json') }, /--config .*missing\.json: no such file/],
      [{ out: '/proc/jointshot-no' }, /--out \/proc\/jointshot-no cannot be created \(ENOENT\); choose another --out/],
      [{ out: join(dir, 'a-file', 'run') }, /--out .*a-file\/run cannot be created \(ENOTDIR\); choose another --out/],
    ];
    for (const [flags, pattern] of bad) {
      const run = await jointshotTrain(small({ out, ...flags }));
      const name = JSON.stringify(flags);
      t.is(run.code, 2, name);
      const lines = run.stderr.trim().split('\n').filter((l) => !l.startsWith('backend: ') && !l.startsWith('training '));
      t.is(lines.length, 1, `${name}: ${run.stderr}`);
      t.regex(lines[0]!, pattern, name);
    }
    const config = join(dir, 'c.json');
    await writeFile(config, JSON.stringify({ seed: 7, backboneOptions: { channels: 2 } }));
    const ok = await jointshotTrain(small({ config, out }));
    t.is(ok.code, 0, ok.stderr);
    t.regex(ok.stderr, /^backend: cpu \(1 thread\)\n/, 'the backend comes first');
    t.regex(ok.stdout, /finished at step 1\/1 .* img\/s/);
    const saved = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    t.like(saved, { seed: 7, ways: 2, dataset: 'synthetic', backboneOptions: { channels: 2 } }, 'file seed kept without --seed');
    const again = await jointshotTrain(small({ config, out }));
    t.is(again.code, 2);
    t.regex(again.stderr, /already holds a training run/);
  });
});
