import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliRun, runCaptured } from '../helpers/cli.js';
import episodes from '../../src/cli/commands/episodes.js';
import sharp from 'sharp';
import { getDataset, registerDataset } from '../../src/data/registry.js';
import { readManifest } from '../../src/episodes/index.js';

const jointshot = (args: string[]): Promise<CliRun> => runCaptured(args, [episodes]);

const make = (out: string) =>
  ['episodes', 'make', '--dataset', 'synthetic', '--split', 'test', '--ways', '5', '--shots', '1', '--queries', '15', '--count', '1000', '--seed', '0', '--out', out];

// One test: the CLI captures process-wide streams, so its steps must not interleave with others.
test('make twice -> identical bytes; verify passes; show summarises; a hand edit fails in one line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-episodes-cli-'));
  try {
    const a = join(dir, 'm.json');
    const b = join(dir, 'again.json');
    const made = await jointshot(make(a));
    t.is(made.code, 0, made.stderr);
    t.regex(made.stdout, /^wrote .*m\.json: synthetic\/test 5-way 1-shot 15 queries, 1000 episodes, seed 0, sha256 e39cbf005dfd/);
    t.is((await jointshot(make(b))).code, 0);
    t.true((await readFile(a)).equals(await readFile(b)));

    const verified = await jointshot(['episodes', 'verify', a]);
    t.is(verified.code, 0, verified.stderr);
    t.regex(verified.stdout, /^ok .*: 1000 episodes, sha256 e39cbf0/);
    const matched = await jointshot(['episodes', 'verify', a, '--dataset', 'synthetic']);
    t.is(matched.code, 0, matched.stderr);
    t.regex(matched.stdout, /matches synthetic\/test\n$/);

    const shown = await jointshot(['episodes', 'show', a, '--json']);
    t.is(shown.code, 0, shown.stderr);
    t.like(JSON.parse(shown.stdout), { dataset: 'synthetic', split: 'test', ways: 5, count: 1000, classes: 20, classesUsed: 20 });

    const edited = join(dir, 'edited.json');
    const text = await readFile(a, 'utf8');
    const firstSupport = /"support":\[\[(\d+)\]/.exec(text)!;
    await writeFile(edited, text.replace(firstSupport[0], `"support":[[${(Number(firstSupport[1]) + 599) % 600}]`));
    const failed = await jointshot(['episodes', 'verify', edited]);
    t.is(failed.code, 1);
    t.is(failed.stdout, '');
    t.regex(failed.stderr, /^jointshot: .*edited\.json: (sha256 mismatch|episode 0 class '[^']+': image \d+ is used twice)[^\n]*\n$/);

    // A dataset with two classes too small for 1 + 15: they are left out, and make says so.
    const sizes = [30, 10, 30, 30, 12, 30, 30];
    registerDataset({
      name: 'uneven-test',
      description: 'test fixture',
      describe: (split) => ({ dataset: 'uneven-test', split, classes: sizes.map((count, i) => ({ name: `k${i}`, count })) }),
      load: () => Promise.reject(new Error('no pixels')),
    });
    const uneven = join(dir, 'uneven.json');
    const skipped = await jointshot(['episodes', 'make', '--dataset', 'uneven-test', '--count', '50', '--out', uneven]);
    t.is(skipped.code, 0, skipped.stderr);
    t.is(skipped.stderr, 'note: 2 of 7 classes have fewer than 16 images and are left out of the draw\n');
    const used = new Set((await readManifest(uneven)).episodes.flatMap((e) => e.classes));
    t.deepEqual([...used].sort(), [0, 2, 3, 5, 6]);

    const impossible = await jointshot(['episodes', 'make', '--ways', '21', '--out', join(dir, 'x.json')]);
    t.is(impossible.code, 2);
    t.is(impossible.stderr, 'jointshot: 21-way episodes need 21 classes but the split has only 20\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('grid: one row per support image, one column per rotation, counter-clockwise; bad --episode in one line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-episodes-grid-'));
  try {
    const manifest = join(dir, 'm.json');
    const made = await jointshot(['episodes', 'make', '--dataset', 'synthetic', '--shots', '1', '--queries', '1', '--count', '2', '--out', manifest]);
    t.is(made.code, 0, made.stderr);
    const png = join(dir, 'grid.png');
    const run = await jointshot(['--backend', 'cpu', 'episodes', 'grid', manifest, '--episode', '1', '--scale', '1', '--out', png]);
    t.is(run.code, 0, run.stderr);
    t.regex(run.stdout, /5 support images of episode 1 \(class-major\) x 4 copies of 'rotation'/);

    const split = await getDataset('synthetic').load('test', { dataDir: '' });
    const episode = (await readManifest(manifest)).episodes[1]!;
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const { height: h, width: w, channels: c } = split;
    t.true(info.width >= 4 * w && info.height >= 5 * h);
    // Image 2 of the episode (row 2): column 1 is the original rotated 90 degrees counter-clockwise.
    const original = split.image(episode.classes[2]!, episode.support[2]![0]!);
    const tile = (row: number, column: number, y: number, x: number, k: number): number => {
      const gap = (info.width - 4 * w) / 5;
      t.is(info.height, 5 * h + 6 * gap);
      return data[((gap + row * (h + gap) + y) * info.width + gap + column * (w + gap) + x) * info.channels + k]!;
    };
    let same = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < Math.min(c, 3); k++) {
      // CCW: output (y, x) = input (x, w - 1 - y)
      if (tile(2, 1, y, x, k) === original[(x * w + (w - 1 - y)) * c + k]) same++;
    }
    t.is(same, h * w * Math.min(c, 3));

    const bad = await jointshot(['--backend', 'cpu', 'episodes', 'grid', manifest, '--episode', '7', '--out', png]);
    t.is(bad.code, 2);
    t.regex(bad.stderr, /^jointshot: --episode must be an integer in \[0, 1\] for .*m\.json, found 7\n$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
