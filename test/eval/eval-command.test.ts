import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackbone, saveCheckpoint } from '../../src/backbones/index.js';
import evalCommand from '../../src/cli/commands/eval.js';
import { type CliRun, runCaptured } from '../helpers/cli.js';
import { describeSynthetic } from '../../src/data/synthetic.js';
import { makeManifest, writeManifest } from '../../src/episodes/index.js';
import type { EvalResults } from '../../src/eval/index.js';
import { createHead } from '../../src/heads/index.js';
import { saveModel } from '../../src/train/index.js';
import { getLabelTransform, normalizationFor } from '../../src/transforms/index.js';

/** Saves a trained-model file of a seeded narrow Conv-4 with a ridge head and rotations. */
async function saveTinyModel(path: string, size: number): Promise<void> {
  const backbone = createBackbone({ name: 'conv4', channels: 4, seed: 2 });
  const head = createHead('ridge');
  try {
    await saveModel(path, {
      backbone,
      head,
      headName: 'ridge',
      headOptions: {},
      transform: getLabelTransform('rotation'),
      dataset: 'synthetic',
      normalization: normalizationFor('synthetic'),
      imageSize: { height: size, width: size, channels: 3 },
    });
  } finally {
    backbone.dispose();
    head.dispose();
  }
}

const jointshot = (args: string[]): Promise<CliRun> => runCaptured(args, [evalCommand]);

// One test: the CLI captures process-wide streams, so its steps must not interleave with others.
test.serial('jointshot eval: sampled and manifest episodes, outputs, and one-line errors for bad flags', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-eval-cli-'));
  try {
    const checkpoint = join(dir, 'model.ck');
    const backbone = createBackbone({ name: 'conv4', channels: 4, seed: 1 });
    await saveCheckpoint(checkpoint, { backbone });
    backbone.dispose();
    const base = ['eval', '--backend', 'cpu', '--checkpoint', checkpoint, '--dataset', 'synthetic'];
    const small = ['--ways', '3', '--shots', '1', '--queries', '2'];

    const sampled = await jointshot([...base, '--episodes', '3', ...small, '--transform', 'rotation', '--out', join(dir, 'a'), '--json']);
    t.is(sampled.code, 0, sampled.stderr);
    t.regex(sampled.stderr, /^backend: cpu \(1 thread/m);
    t.regex(sampled.stderr, /^episodes 3\/3 \(100%/m);
    const printed = JSON.parse(sampled.stdout);
    t.is(printed.report.single.n, 3);
    t.is(printed.report.copies, 4);
    const results = JSON.parse(await readFile(join(dir, 'a', 'results.json'), 'utf8')) as EvalResults;
    t.is(results.accuracy.aggregated.length, 3);
    t.is(results.manifest.file, null);
    t.deepEqual(results.backend, { name: 'cpu', threads: 1 });
    t.deepEqual(printed.report, JSON.parse(await readFile(join(dir, 'a', 'report.json'), 'utf8')));

    const manifest = makeManifest(describeSynthetic('test'), { ways: 2, shots: 1, queries: 2, count: 2, seed: 5 });
    const manifestFile = join(dir, 'm.json');
    await writeManifest(manifestFile, manifest);
    const fromFile = await jointshot([...base, '--manifest', manifestFile, '--out', join(dir, 'b')]);
    t.is(fromFile.code, 0, fromFile.stderr);
    t.regex(fromFile.stdout, /\| synthetic\/test \| 2-way 1-shot, 2 queries \| conv4 protonet \| 2 \| .* \| = single \(M = 1\) \|/);
    const saved = JSON.parse(await readFile(join(dir, 'b', 'results.json'), 'utf8')) as EvalResults;
    t.is(saved.manifest.sha256, manifest.sha256);
    t.is(saved.manifest.file, manifestFile);

    const trained = join(dir, 'trained.model');
    await saveTinyModel(trained, 32);
    const fromModel = await jointshot(['eval', '--backend', 'cpu', '--model', trained, '--dataset', 'synthetic', '--manifest', manifestFile, '--out', join(dir, 'd'), '--json']);
    t.is(fromModel.code, 0, fromModel.stderr);
    t.is(JSON.parse(fromModel.stdout).report.model, 'conv4 ridge+rotation');
    const wrongSize = join(dir, 'wrong-size.model');
    await saveTinyModel(wrongSize, 16);

    const otherFile = join(dir, 'other.json');
    await writeManifest(otherFile, makeManifest({ ...describeSynthetic('test'), dataset: 'cifar-fs' }, { ways: 2, shots: 1, queries: 2, count: 2, seed: 5 }));
    const out = ['--out', join(dir, 'c')];
    const cases: [string[], number, RegExp][] = [
      [[...base, '--episodes', '2', '--ways', '1', '--head', 'svm', ...out], 2, /head 'svm' needs at least 2 ways per episode, found --ways 1/],
      [[...base, '--episodes', '2', '--shots', '590', ...out], 2, /590 shots \+ 15 queries need 605 images per class/],
      [[...base, '--episodes', '2', '--manifest', manifestFile, ...out], 2, /exactly one of --manifest FILE .* or --episodes N/],
      [[...base, ...out], 2, /exactly one of --manifest FILE .* or --episodes N/],
      [[...base, '--manifest', manifestFile, '--shots', '5', ...out], 2, /--shots cannot be combined with --manifest/],
      [['eval', '--dataset', 'synthetic', '--episodes', '2', ...out], 2, /missing --checkpoint FILE/],
      [[...base, '--episodes', '0', ...out], 2, /--episodes must be a positive integer, found 0/],
      [[...base, '--episodes', '2', '--workers', '0', ...out], 2, /--workers must be a positive integer, found 0/],
      [[...base, '--manifest', otherFile, ...out], 1, /manifest is for dataset 'cifar-fs', not 'synthetic'/],
      [['eval', '--backend', 'cpu', '--checkpoint', join(dir, 'missing.ck'), '--dataset', 'synthetic', '--episodes', '2', ...small, ...out], 1, /cannot read checkpoint .*missing\.ck/],
      [[...base, '--episodes', '2', '--head', 'knn', ...out], 2, /unknown head 'knn'/],
      [['eval', '--model', trained, '--head', 'svm', '--dataset', 'synthetic', '--episodes', '2', ...out], 2, /is a trained model with head 'ridge' and transformation 'rotation': drop --head/],
      [['eval', '--backend', 'cpu', '--model', wrongSize, '--dataset', 'synthetic', '--episodes', '2', ...small, ...out], 2, /trained on 16x16x3 images but synthetic\/test has 32x32x3/],
      [['eval', '--model', manifestFile, '--dataset', 'synthetic', '--episodes', '2', ...out], 1, /not a jointshot checkpoint/],
    ];
    for (const [args, code, message] of cases) {
      const run = await jointshot(args);
      const lines = run.stderr.split('\n').filter((l) => l.startsWith('jointshot: '));
      t.is(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      t.is(lines.length, 1, run.stderr);
      t.regex(lines[0] ?? '', message);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
