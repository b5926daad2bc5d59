import test from 'ava';
import { join } from 'node:path';
import data from '../../src/cli/commands/data.js';
import { type CliRun, runCaptured } from '../helpers/cli.js';
import { FIXTURES, tempDir } from './helpers.js';

const jointshot = (args: string[]): Promise<CliRun> => runCaptured(args, [data]);

test.serial('data prepare, list and info on a CIFAR-100 fixture archive', async (t) => {
  const dataDir = await tempDir(t);
  const prepare = await jointshot(['data', 'prepare', 'fc100', '--from', join(FIXTURES, 'cifar-100-python.tar.gz'), '--data-dir', dataDir]);
  t.is(prepare.code, 0, prepare.stderr);
  t.regex(prepare.stdout, /^fc100\/train: 60 classes x 3 images, 32x32x3, 0\.6 MB, sha256 [0-9a-f]{16}$/m);
  t.regex(prepare.stdout, /^fc100\/test: 20 classes x 3 images/m);
  const list = await jointshot(['data', 'list', '--data-dir', dataDir]);
  t.is(list.code, 0);
  t.regex(list.stdout, /^fc100\s+train 60x3, val 20x3, test 20x3/m);
  t.regex(list.stdout, /^cifar-fs\s+not prepared/m);
  const info = await jointshot(['data', 'info', 'fc100', '--verify', '--data-dir', dataDir, '--json']);
  t.is(info.code, 0);
  const parsed = JSON.parse(info.stdout) as { splits: { split: string; verified: boolean; images: number }[] };
  t.deepEqual(parsed.splits.map((s) => [s.split, s.images, s.verified]), [['train', 180, true], ['val', 60, true], ['test', 60, true]]);
});

test.serial('data command errors are one line with the right exit code', async (t) => {
  const dataDir = await tempDir(t);
  const unknown = await jointshot(['data', 'info', 'imagenet-21k', '--data-dir', dataDir]);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown dataset 'imagenet-21k'/);
  t.is(unknown.stderr.trim().split('\n').length, 1);
  const missing = await jointshot(['data', 'prepare', 'cifar-fs', '--from', join(dataDir, 'nothing.tar.gz'), '--data-dir', dataDir]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /nothing\.tar\.gz does not exist: expected cifar-100-python\.tar\.gz/);
  t.is(missing.stderr.trim().split('\n').length, 1);
  const badSplit = await jointshot(['data', 'prepare', 'cifar-fs', '--from', dataDir, '--splits', 'dev', '--data-dir', dataDir]);
  t.is(badSplit.code, 2);
  t.regex(badSplit.stderr, /--splits: 'dev' is not one of train, val, test/);
});

test.serial('data download mini-imagenet says which files to get and where', async (t) => {
  const dataDir = await tempDir(t);
  const result = await jointshot(['data', 'download', 'mini-imagenet', '--data-dir', dataDir]);
  t.is(result.code, 0);
  t.regex(result.stdout, /no lawful public download/);
  t.regex(result.stdout, /miniImageNet_category_split_train_phase_train\.pickle/);
  t.regex(result.stdout, /jointshot data prepare mini-imagenet --from/);
  t.true(result.stdout.includes(join(dataDir, 'mini-imagenet')));
});

test.serial('data prepare cifar-10 and data info --classify: per-class counts, long tail, one-line errors', async (t) => {
  const dataDir = await tempDir(t);
  const prepare = await jointshot(['data', 'prepare', 'cifar-10', '--from', join(FIXTURES, 'cifar-10-binary.tar.gz'), '--data-dir', dataDir, '--json']);
  t.is(prepare.code, 0, prepare.stderr);
  const indexes = JSON.parse(prepare.stdout) as Record<string, unknown>[];
  t.deepEqual(indexes.map((i) => [i.split, i.layout, 'sourceIndex' in i]), [['train', 'classification', false], ['test', 'classification', false]]);
  const info = await jointshot(['data', 'info', 'cifar-10', '--classify', '--data-dir', dataDir]);
  t.is(info.code, 0, info.stderr);
  t.regex(info.stdout, /^cifar-10: 10 classes, its own split: 20 train/m);
  t.regex(info.stdout, /^class\s+train\s+test$/m);
  t.regex(info.stdout, /^airplane\s+2\s+1$/m);
  t.regex(info.stdout, /^total\s+20\s+10$/m);
  const tail = await jointshot(['data', 'info', 'cifar-10', '--classify', '--imbalance', '2', '--imbalance-profile', 'step', '--data-dir', dataDir, '--json']);
  t.is(tail.code, 0, tail.stderr);
  const parsed = JSON.parse(tail.stdout) as { classes: { name: string; train: number; test: number }[]; testHash: string };
  t.deepEqual(parsed.classes.map((c) => c.train), [2, 2, 2, 2, 2, 1, 1, 1, 1, 1]);
  t.regex(parsed.testHash, /^[0-9a-f]{64}$/);
  const tooMany = await jointshot(['data', 'info', 'cifar-10', '--classify', '--per-class', '3', '--data-dir', dataDir]);
  t.is(tooMany.code, 2);
  t.regex(tooMany.stderr, /--per-class 3 is more than the 2 training images of class 'airplane' of cifar-10: use at most 2/);
  t.is(tooMany.stderr.trim().split('\n').length, 1);
  const noTail = await jointshot(['data', 'info', 'cifar-10', '--classify', '--max-per-class', '2', '--data-dir', dataDir]);
  t.is(noTail.code, 2);
  t.regex(noTail.stderr, /--max-per-class sets the long tail n_max: it needs --imbalance/);
  const missing = await jointshot(['data', 'info', 'cifar-100', '--classify', '--data-dir', dataDir]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no prepared cifar-100\/train .*jointshot data download cifar-100/);
});
