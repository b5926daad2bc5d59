import test from 'ava';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import exportCommand from '../../src/cli/commands/export.js';
import importCommand, { channelList } from '../../src/cli/commands/import.js';
import { runCli } from '../../src/cli/run.js';
import { UsageError } from '../../src/errors.js';
import { loadModel, disposeLoadedModel } from '../../src/train/model.js';
import { useCpuBackend } from '../helpers/tf.js';
import { fixture } from './helpers.js';

test.before(useCpuBackend);

/** Runs the CLI in-process with the import and export commands, capturing stdout and stderr. */
async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write.bind(process.stdout), stderr: process.stderr.write.bind(process.stderr) };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli([...args, '--backend', 'cpu'], [importCommand, exportCommand]);
    return { code, ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

test.serial('import then export from the command line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jointshot-cli-import-'));
  try {
    const jsm = join(dir, 'r12.jsm');
    const imported = await run(['import', fixture('resnet12-metaoptnet-legacy.pth'), '--backbone', 'resnet12', '--dataset', 'fc100', '--transform', 'rotation', '--out', jsm]);
    t.is(imported.code, 0, imported.stderr);
    t.regex(imported.stdout, /^imported 96 tensors \(legacy; metaoptnet, dataparallel\) as resnet12 \{.*"widths":\[8,12,16,20\].*\}\n/);
    t.regex(imported.stdout, /head protonet, scale 7\.5 from the file, transform rotation, normalisation fc100\n/);
    const sla = await run(['import', fixture('resnet20-sla-legacy.pth'), '--backbone', 'resnet20', '--dataset', 'cifar-fs', '--out', join(dir, 'r20.jsm')]);
    t.is(sla.code, 0, sla.stderr);
    t.regex(sla.stdout, /^imported 114 tensors \(legacy; 'model' entry, dataparallel\) as resnet20 .*"pooling":"avg".*; left out 4 classifier tensors \(classifiers\.0\.weight, classifiers\.0\.bias, \.\.\.\)\n/);
    const model = await loadModel(jsm);
    t.like(model, { dataset: 'fc100', imageSize: { height: 32, width: 32, channels: 3 } });
    disposeLoadedModel(model);
    const custom = await run(['import', fixture('conv4-zip.pth'), '--backbone', 'conv4', '--mean', '10,20,30', '--std', '1,2,3', '--image-size', '48', '--out', join(dir, 'c4.jsm')]);
    t.is(custom.code, 0, custom.stderr);
    const c4 = await loadModel(join(dir, 'c4.jsm'));
    t.deepEqual(c4.normalization, { mean: [10, 20, 30], std: [1, 2, 3] });
    t.is(c4.imageSize.height, 48);
    disposeLoadedModel(c4);
    const safetensors = join(dir, 'r12.safetensors');
    const exported = await run(['export', jsm, '--format', 'safetensors', '--out', safetensors, '--json']);
    t.is(exported.code, 0, exported.stderr);
    t.like(JSON.parse(exported.stdout), { backbone: 'resnet12', tensors: 96, out: safetensors });
    t.true(existsSync(safetensors));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('bad input: one line, exit 2 for flags, 1 for files, nothing written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jointshot-cli-import-'));
  const out = join(dir, 'x.jsm');
  try {
    const notPth = await run(['import', fixture('embeddings.json'), '--backbone', 'conv4', '--out', out]);
    t.is(notPth.code, 1);
    t.regex(notPth.stderr, /^backend: .*\njointshot: .*embeddings\.json: not a PyTorch checkpoint: .*found bytes '\{"torch"'\n$/);
    const wrong = await run(['import', fixture('conv4-zip.pth'), '--backbone', 'resnet12', '--out', out]);
    t.is(wrong.code, 1);
    t.regex(wrong.stderr, /missing key 'layer1\.0\.conv1\.weight' for --backbone resnet12 .*it looks like --backbone conv4\n$/);
    const choice = await run(['import', fixture('conv4-zip.pth'), '--backbone', 'resnet50', '--out', out]);
    t.is(choice.code, 2);
    t.regex(choice.stderr, /Invalid values:.*backbone.*"resnet50"/);
    const half = await run(['import', fixture('conv4-zip.pth'), '--backbone', 'conv4', '--mean', '1,2,3', '--out', out]);
    t.is(half.code, 2);
    t.regex(half.stderr, /give both --mean and --std/);
    const folder = await run(['import', fixture('conv4-zip.pth'), '--backbone', 'conv4', '--out', dir]);
    t.is(folder.code, 2);
    t.regex(folder.stderr, /^jointshot: --out .* is an existing folder; a file name is expected/);
    const exportFolder = await run(['export', fixture('conv4-zip.pth'), '--out', dir]);
    t.is(exportFolder.code, 2);
    const notModel = await run(['export', fixture('conv4-zip.pth'), '--out', out]);
    t.is(notModel.code, 1);
    t.regex(notModel.stderr, /conv4-zip\.pth/);
    t.false(existsSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--mean/--std parse three numbers and echo bad input', (t) => {
  t.deepEqual(channelList('mean', '120.5, 115,104'), [120.5, 115, 104]);
  t.throws(() => channelList('std', '1,x,3'), { instanceOf: UsageError, message: "--std expects comma-separated numbers in pixel units (e.g. 120.4,115.6,104.5), found '1,x,3'" });
  t.throws(() => channelList('std', ''), { instanceOf: UsageError });
});
