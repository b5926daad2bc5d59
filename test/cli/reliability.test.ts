import test from 'ava';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { commands } from '../../src/cli/commands/index.js';
import { createBackbone, saveCheckpoint } from '../../src/backbones/index.js';
import { runCaptured } from '../helpers/cli.js';

const jointshot = (args: string[]) => runCaptured(args, commands);

/** Class folders of 32x32 PNGs: `classes` folders of `images` each, pixel values varying by class and image. */
async function classFolders(root: string, classes: number, images: number): Promise<void> {
  for (let c = 0; c < classes; c++) {
    const dir = join(root, `class-${c}`);
    await mkdir(dir, { recursive: true });
    for (let i = 0; i < images; i++) {
      const pixels = Buffer.alloc(32 * 32 * 3, (40 * c + 3 * i) % 256);
      await sharp(pixels, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(dir, `${i}.png`));
    }
  }
}

/** One line on stderr (a note line aside) and no work started (no backend line). */
function oneLine(t: import('ava').ExecutionContext, stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  t.is(lines.length, 1, stderr);
  t.regex(lines[0]!, pattern);
}

// One test per concern; each runs the CLI in-process, so the tests are serial.
test.serial('a dataset prepared with data prepare folder --name is seen by episodes make/canonical, eval and train', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-prepared-'));
  try {
    const dataDir = join(dir, 'data');
    await classFolders(join(dir, 'src'), 8, 20);
    const prepared = await jointshot(['data', 'prepare', 'folder', '--from', join(dir, 'src'), '--name', 'my-set', '--split-counts', '2,1,5', '--data-dir', dataDir]);
    t.is(prepared.code, 0, prepared.stderr);
    const common = ['--dataset', 'my-set', '--data-dir', dataDir];

    const made = await jointshot(['episodes', 'make', ...common, '--ways', '2', '--shots', '1', '--queries', '1', '--count', '3', '--out', join(dir, 'm.json')]);
    t.is(made.code, 0, made.stderr);
    t.regex(made.stdout, /my-set\/test 2-way 1-shot 1 queries, 3 episodes/);

    const canonical = await jointshot(['episodes', 'canonical', ...common, '--dir', join(dir, 'episodes')]);
    t.is(canonical.code, 0, canonical.stderr);
    t.regex(canonical.stdout, /my-set.*1shot/);

    await writeFile(join(dir, 'tiny.json'), JSON.stringify({ backboneOptions: { channels: 2 } }));
    const trained = await jointshot(['train', '--backend', 'cpu', '--preset', 'quick', '--config', join(dir, 'tiny.json'), ...common, '--ways', '2', '--shots', '1', '--queries', '1', '--epochs', '1', '--batches-per-epoch', '1', '--episodes-per-batch', '1', '--val-episodes', '0', '--out', join(dir, 'run')]);
    t.is(trained.code, 0, trained.stderr);
    t.is(JSON.parse(await readFile(join(dir, 'run', 'config.json'), 'utf8')).dataset, 'my-set');

    // A trained model carries the normalisation measured on my-set's training images.
    const evaluated = await jointshot(['eval', '--backend', 'cpu', '--model', join(dir, 'run', 'best.jsm'), ...common, '--manifest', join(dir, 'm.json'), '--out', join(dir, 'eval')]);
    t.is(evaluated.code, 0, evaluated.stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.serial('bad --out, --queries 0, --seed abc, repeated flags and --data-dir /proc/x fail in one line before any work', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-reliability-'));
  try {
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const checkpoint = join(dir, 'model.ck');
    const backbone = createBackbone({ name: 'conv4', channels: 2, seed: 1 });
    await saveCheckpoint(checkpoint, { backbone });
    backbone.dispose();
    const evalArgs = ['eval', '--backend', 'cpu', '--checkpoint', checkpoint, '--dataset', 'synthetic', '--episodes', '2'];
    const cases: [string[], number, RegExp][] = [
      [[...evalArgs, '--out', file], 2, /^jointshot: --out .*a-file is an existing file; a folder is expected \(for results\.json, report\.json, report\.md\)/],
      [[...evalArgs, '--out', join(file, 'sub')], 2, /^jointshot: --out .*a-file\/sub: cannot create or write to folder .*\(ENOTDIR\)/],
      [[...evalArgs, '--out', '/proc/jointshot-x/y'], 2, /^jointshot: --out \/proc\/jointshot-x\/y: cannot create or write to folder/],
      [['episodes', 'make', '--count', '2', '--out', dir], 2, /^jointshot: --out .* is an existing folder; a file name is expected/],
      [['episodes', 'make', '--count', '2', '--out', join(file, 'm.json')], 2, /^jointshot: --out .*a-file\/m\.json: cannot create or write to folder/],
      [['episodes', 'make', '--queries', '0', '--out', join(dir, 'm.json')], 2, /^jointshot: --queries must be a positive integer, found 0$/],
      [['episodes', 'make', '--seed', 'abc', '--out', join(dir, 'm.json')], 2, /^jointshot: --seed must be a number, got 'abc'$/],
      [['episodes', 'make', '--ways', '3', '--ways', '4', '--out', join(dir, 'm.json')], 2, /^jointshot: --ways was given 2 times \(3, 4\); it takes one value: give it once$/],
      [['data', 'prepare', 'folder', '--from', dir, '--data-dir', '/proc/jointshot-x'], 1, /^jointshot: data dir \/proc\/jointshot-x is not writable \(ENOENT\)/],
    ];
    for (const [args, code, pattern] of cases) {
      const run = await jointshot(args);
      t.is(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      oneLine(t, run.stderr, pattern);
    }
    await t.throwsAsync(stat(join(dir, 'm.json')), undefined, 'no manifest was written');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.serial('data prepare/info take the dataset as a positional or as --dataset, like every other command', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-dataset-flag-'));
  try {
    const positional = await jointshot(['data', 'info', 'cifar-fs', '--data-dir', dir]);
    const flag = await jointshot(['data', 'info', '--dataset', 'cifar-fs', '--data-dir', dir]);
    t.is(flag.code, 0, flag.stderr);
    t.is(flag.stdout, positional.stdout);
    const missing = await jointshot(['data', 'info', '--data-dir', dir]);
    t.is(missing.code, 2);
    oneLine(t, missing.stderr, /^jointshot: missing dataset: jointshot data info <dataset> \(or --dataset NAME\)$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
