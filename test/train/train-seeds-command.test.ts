import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import train from '../../src/cli/commands/train.js';
import { runCaptured } from '../helpers/cli.js';
import { withTempDir } from './fixtures.js';

const TINY = ['--preset', 'quick', '--ways', '2', '--shots', '1', '--queries', '1', '--epochs', '1', '--batches-per-epoch', '1', '--episodes-per-batch', '1', '--val-episodes', '0'];

// One test: the CLI captures process-wide streams, so its runs must not interleave with others.
test('train --seeds: a run per seed, a summary, --resume skips finished seeds and starts new ones; one-line errors', async (t) => {
  await withTempDir(async (dir) => {
    const config = join(dir, 'c.json');
    await writeFile(config, JSON.stringify({ backboneOptions: { channels: 2 } }));
    const out = join(dir, 'run');
    const jointshot = (args: string[]) => runCaptured(['train', '--backend', 'cpu', ...TINY, '--config', config, '--out', out, ...args], [train]);

    const first = await jointshot(['--seeds', '0,1']);
    t.is(first.code, 0, first.stderr);
    t.regex(first.stderr, /^seed 0 \(1\/2\): training conv4 \+ protonet .* seed 0$/m);
    t.regex(first.stderr, /^seed 1 \(2\/2\): training conv4 \+ protonet .* seed 1$/m);
    t.regex(first.stdout, /^seed 0: trained, step 1\/1, .*seed-0\/best\.jsm\nseed 1: trained, step 1\/1, /m);
    for (const seed of [0, 1]) t.like(JSON.parse(await readFile(join(out, `seed-${seed}`, 'config.json'), 'utf8')), { seed, backboneOptions: { channels: 2 } });

    for (const [args, pattern] of [
      [['--seeds', '0,1'], /seed-0 already holds a training run .*pass --resume to continue unfinished seeds/],
      [['--seeds', '0,1', '--seed', '3'], /give --seed S .* or --seeds S1,S2,.*not both/],
      [['--seeds', '1,1'], /lists seed 1 twice/],
      [['--seeds', 'a'], /--seeds must be a comma-separated list of integers/],
    ] as [string[], RegExp][]) {
      const bad = await jointshot(args);
      t.is(bad.code, 2, args.join(' '));
      const lines = bad.stderr.trim().split('\n').filter((l) => !l.startsWith('backend: '));
      t.is(lines.length, 1, bad.stderr);
      t.regex(lines[0]!, pattern);
    }

    const more = await jointshot(['--seeds', '0,1,2', '--resume', '--json']);
    t.is(more.code, 0, more.stderr);
    t.regex(more.stderr, /^seed 0 \(1\/3\): finished earlier, skipped$/m);
    const summary = JSON.parse(more.stdout);
    t.deepEqual(summary.seeds.map((s: { seed: number; status: string }) => [s.seed, s.status]), [[0, 'skipped'], [1, 'skipped'], [2, 'trained']]);
    t.true(summary.complete);
    t.deepEqual(JSON.parse(await readFile(join(out, 'seeds.json'), 'utf8')), summary);
  });
});
