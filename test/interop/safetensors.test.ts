import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, UsageError } from '../../src/errors.js';
import { createBackbone } from '../../src/backbones/index.js';
import { exportSafetensors, backboneToSafetensors } from '../../src/interop/export.js';
import { importTorchModel, readStateDict, readTorchModel } from '../../src/interop/import.js';
import { decodeSafetensors, encodeSafetensors, isSafetensors } from '../../src/interop/safetensors.js';
import { tf } from '../../src/tf.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { fixture, FIXTURES, maxAbsDiff, reference, torchEmbeddingsHwc } from './helpers.js';

test.before(useCpuBackend);

test('safetensors layout: header length, 8-byte aligned JSON header with offsets, little-endian data', (t) => {
  const tensors = new Map([
    ['a.weight', { shape: [2, 2], values: Float32Array.of(1, -2, 3.5, 0.25) }],
    ['a.num_batches_tracked', { shape: [], values: Float32Array.of(7) }],
  ]);
  const bytes = encodeSafetensors(tensors, { format: 'pt' }, new Set(['a.num_batches_tracked']));
  const view = new DataView(bytes.buffer);
  const length = Number(view.getBigUint64(0, true));
  t.is((8 + length) % 8, 0);
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8'));
  t.deepEqual(header, {
    __metadata__: { format: 'pt' },
    'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
    'a.num_batches_tracked': { dtype: 'I64', shape: [], data_offsets: [16, 24] },
  });
  t.is(bytes.length, 8 + length + 24);
  t.is(view.getFloat32(8 + length + 4, true), -2);
  t.is(view.getBigInt64(8 + length + 16, true), 7n);
  const back = decodeSafetensors(bytes, 'x');
  t.deepEqual(back.tensors, tensors);
  t.deepEqual([...back.dtypes.values()], ['F32', 'I64']);
  t.true(isSafetensors(bytes));
  t.false(isSafetensors(readFileSync(fixture('conv4-zip.pth'))));
});

test('damaged safetensors files are one-line DataErrors', (t) => {
  const good = encodeSafetensors(new Map([['w', { shape: [3], values: Float32Array.of(1, 2, 3) }]]), {});
  t.throws(() => decodeSafetensors(good.subarray(0, good.length - 4), 'cut.safetensors'), { instanceOf: DataError, message: /^cut\.safetensors: safetensors entry 'w' \[3\] F32 has bytes 0\.\.12, which do not fit/ });
  t.throws(() => decodeSafetensors(Buffer.from('not a safetensors file'), 'txt'), { instanceOf: DataError, message: /^txt: not a safetensors file/ });
  const f16 = Buffer.from(good);
  f16.write('"F16"', f16.indexOf('"F32"'), 'latin1');
  t.throws(() => decodeSafetensors(f16, 'h'), { instanceOf: DataError, message: "h: safetensors entry 'w' has dtype F16; only F32, F64, I64, I32 are read" });
});

const SOURCES: Record<string, string> = {
  conv4: 'conv4-metaoptnet-zip.pth',
  resnet12: 'resnet12-metaoptnet-legacy.pth',
  resnet20: 'resnet20-sla-legacy.pth',
  resnet18: 'resnet18-sla-legacy.pth',
};

test.serial('export: PyTorch names, OIHW kernels and BN entries equal to the .pth, bit for bit', async (t) => {
  for (const [backbone, source] of Object.entries(SOURCES)) {
    await withNoLeaks(t, async () => {
      const { model } = await readTorchModel(fixture(source), { backbone, dataset: 'cifar-fs' });
      const { bytes, tensors } = backboneToSafetensors(model.backbone);
      model.backbone.dispose();
      model.head.dispose();
      const exported = decodeSafetensors(bytes, 'out');
      // The plain file: MetaOptNet's class names, hankook/SLA's cifar_resnet.py, torchvision's; export leaves classifiers out.
      const original = readStateDict(readFileSync(fixture(`${backbone}-zip.pth`)), 'in').tensors;
      for (const key of original.keys()) if (/^(classifier|fc)\./.test(key)) original.delete(key);
      t.is(tensors, original.size);
      t.deepEqual([...exported.tensors.keys()].sort(), [...original.keys()].sort());
      for (const [key, tensor] of original) {
        const counter = key.endsWith('num_batches_tracked');
        t.deepEqual(exported.tensors.get(key), counter ? { shape: [], values: Float32Array.of(0) } : tensor, key);
        t.is(exported.dtypes.get(key), counter ? 'I64' : 'F32');
      }
      t.like(JSON.parse(exported.metadata.backbone!), reference.models[backbone]!.config);
    });
  }
});

test.serial('round trip: .pth -> model -> safetensors -> model reproduces the embeddings', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jointshot-export-'));
  const counts: Record<string, number> = { conv4: 24, resnet12: 96, resnet20: 114, resnet18: 120 };
  try {
    for (const [backbone, source] of Object.entries(SOURCES)) {
      const jsm = join(dir, `${backbone}.jsm`);
      const out = join(dir, `${backbone}.safetensors`);
      await importTorchModel(fixture(source), jsm, { backbone, dataset: 'cifar-fs' });
      t.like(await exportSafetensors(jsm, out), { backbone, tensors: counts[backbone] });
      const { model, format } = await readTorchModel(out, { backbone, dataset: 'cifar-fs' });
      t.is(format, 'safetensors');
      const x = tf.tensor4d(reference.inputs.values, reference.inputs.shape);
      const got = model.backbone.embed(x);
      t.true(maxAbsDiff(got.dataSync(), torchEmbeddingsHwc(backbone)) < 1e-5);
      tf.dispose([x, got]);
      model.backbone.dispose();
      model.head.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('a backbone without a PyTorch naming cannot be exported', (t) => {
  const net = createBackbone({ name: 'conv4', channels: 4 });
  t.notThrows(() => backboneToSafetensors(net));
  net.dispose();
  t.throws(() => backboneToSafetensors({ ...net, name: 'resnet50' }), { instanceOf: UsageError, message: /^no PyTorch naming for backbone 'resnet50'/ });
});

const torch = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
// PyTorch itself loads the exported file (strict load_state_dict) and reproduces the embeddings; needs /usr/bin/python3 with torch.
(torch ? test.serial : test.skip)('PyTorch loads the exported safetensors (no missing key but classifiers) and reproduces the embeddings to 1e-5', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jointshot-export-py-'));
  try {
    const args: string[] = [];
    for (const [backbone, source] of Object.entries(SOURCES)) {
      const jsm = join(dir, `${backbone}.jsm`);
      const out = join(dir, `${backbone}.safetensors`);
      await importTorchModel(fixture(source), jsm, { backbone, dataset: 'cifar-fs' });
      await exportSafetensors(jsm, out);
      args.push(out, backbone);
    }
    const printed = execFileSync('/usr/bin/python3', [join(FIXTURES, 'check_safetensors.py'), ...args], { encoding: 'utf8' });
    const results = printed.trim().split('\n').map((line) => JSON.parse(line) as { backbone: string; tensors: number; maxAbsDiff: number });
    t.deepEqual(results.map((r) => [r.backbone, r.tensors]), [['conv4', 24], ['resnet12', 96], ['resnet20', 114], ['resnet18', 120]]);
    for (const r of results) t.true(r.maxAbsDiff <= 1e-5, `${r.backbone}: ${r.maxAbsDiff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
