import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, UsageError } from '../../src/errors.js';
import { evaluate, loadEvalModel } from '../../src/eval/index.js';
import { importTorchModel, readTorchModel } from '../../src/interop/import.js';
import { torchNaming } from '../../src/interop/naming.js';
import { readStateDict } from '../../src/interop/import.js';
import { backboneFromStateDict } from '../../src/interop/weights.js';
import { loadModel, disposeLoadedModel } from '../../src/train/model.js';
import { tf } from '../../src/tf.js';
import { tinyManifest, tinySplit } from '../eval/fixtures.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { FIXTURE_VARIANTS, fixture, maxAbsDiff, reference, torchEmbeddingsHwc } from './helpers.js';

test.before(useCpuBackend);

const inputs = () => tf.tensor4d(reference.inputs.values, reference.inputs.shape);
const stateOf = (name: string) => readStateDict(readFileSync(fixture(name)), name);

for (const [backbone, variants] of Object.entries(FIXTURE_VARIANTS)) {
  test.serial(`${backbone}: every fixture layout reproduces PyTorch's eval-mode embeddings to 1e-5`, async (t) => {
    const want = torchEmbeddingsHwc(backbone);
    for (const variant of variants) {
      await withNoLeaks(t, async () => {
        const { model } = await readTorchModel(fixture(`${backbone}-${variant}.pth`), { backbone, dataset: 'cifar-fs' });
        const x = inputs();
        const got = model.backbone.embed(x);
        t.deepEqual(got.shape, reference.models[backbone]!.shape);
        const diff = maxAbsDiff(got.dataSync(), want);
        t.true(diff < 1e-5, `${variant}: max |jointshot - PyTorch| = ${diff}`);
        t.log(`${backbone} ${variant}: max |jointshot - PyTorch| = ${diff.toExponential(2)} (max |PyTorch| ${Math.max(...want.map(Math.abs)).toFixed(2)})`);
        tf.dispose([x, got]);
        model.backbone.dispose();
        model.head.dispose();
      });
    }
  });
}

test.serial('the inferred architecture and every backbone variable come from the file; classifiers are left out', async (t) => {
  const expected: Record<string, { tensors: number; skipped: string[] }> = {
    conv4: { tensors: 24, skipped: [] },
    resnet12: { tensors: 96, skipped: [] },
    resnet20: { tensors: 114, skipped: ['classifier.weight', 'classifier.bias'] },
    resnet18: { tensors: 120, skipped: ['fc.weight', 'fc.bias'] },
  };
  for (const [backbone, want] of Object.entries(expected)) {
    const { tensors } = stateOf(`${backbone}-zip.pth`);
    const naming = torchNaming(backbone, tensors.keys());
    t.deepEqual([...tensors.keys()].filter((k) => naming.skip?.test(k)), want.skipped, backbone);
    t.is(tensors.size - want.skipped.length, want.tensors);
    const net = backboneFromStateDict(naming, tensors, backbone);
    t.like(net.config, reference.models[backbone]!.config);
    // Each file entry but the BN counters is one jointshot variable, and every variable has one.
    const counters = [...tensors.keys()].filter((k) => k.endsWith('num_batches_tracked')).length;
    t.is(Object.keys(net.trainable).length + Object.keys(net.state).length, want.tensors - counters, backbone);
    net.dispose();
  }
  const sla = await readTorchModel(fixture('resnet18-sla-legacy.pth'), { backbone: 'resnet18', dataset: 'cifar-fs' });
  t.deepEqual(sla.layout, ["'model' entry", 'dataparallel']);
  t.deepEqual(sla.skipped, ['classifiers.0.weight', 'classifiers.0.bias', 'classifiers.1.weight', 'classifiers.1.bias']);
  t.is(sla.model.backbone.config.pooling, 'avg');
  sla.model.backbone.dispose();
  sla.model.head.dispose();
});

test.serial('a CIFAR ResNet of another depth names the right one', (t) => {
  const { tensors } = stateOf('resnet20-sla-legacy.pth');
  t.throws(() => backboneFromStateDict(torchNaming('resnet32', tensors.keys()), tensors, 'r.pth'), {
    instanceOf: DataError,
    message: 'r.pth: the file has 3 blocks per stage, a resnet20, not resnet32: use --backbone resnet20',
  });
  t.throws(() => backboneFromStateDict(torchNaming('resnet12', tensors.keys()), tensors, 'r.pth'), { instanceOf: DataError, message: /it looks like --backbone resnet20$/ });
});

test.serial('missing, unexpected and misshapen keys are one-line DataErrors naming them', async (t) => {
  await withNoLeaks(t, () => keyErrors(t));
});

function keyErrors(t: ExecutionContext): void {
  const naming = torchNaming('resnet12');
  const { tensors } = stateOf('resnet12-zip.pth');
  const missing = new Map(tensors);
  for (const key of ['layer2.0.bn1.running_var', 'layer3.0.conv2.weight', 'layer4.0.downsample.1.bias', 'layer4.0.bn3.weight', 'layer4.0.bn3.bias']) missing.delete(key);
  t.throws(() => backboneFromStateDict(naming, missing, 'm.pth'), {
    instanceOf: DataError,
    message: "m.pth: missing keys for resnet12: 'layer2.0.bn1.running_var', 'layer3.0.conv2.weight', 'layer4.0.bn3.weight', 'layer4.0.bn3.bias' and 1 more",
  });
  const extra = new Map(tensors).set('fc.weight', { shape: [5, 80], values: new Float32Array(400) });
  t.throws(() => backboneFromStateDict(naming, extra, 'x.pth'), { instanceOf: DataError, message: /^x\.pth: unexpected keys for resnet12 \(MetaOptNet's models\/ResNet12_embedding\.py \(resnet12\)\): 'fc\.weight'$/ });
  const bad = new Map(tensors).set('layer2.0.conv2.weight', { shape: [12, 12, 1, 1], values: new Float32Array(144) });
  t.throws(() => backboneFromStateDict(naming, bad, 's.pth'), { instanceOf: DataError, message: "s.pth: 'layer2.0.conv2.weight' should have shape [12, 12, 3, 3] for resnet12, found [12, 12, 1, 1]" });
  const wrong = stateOf('conv4-zip.pth').tensors;
  t.throws(() => backboneFromStateDict(naming, wrong, 'c.pth'), { instanceOf: DataError, message: /^c\.pth: missing key 'layer1\.0\.conv1\.weight' for --backbone resnet12 .*; it looks like --backbone conv4$/ });
}

test.serial('bad options are UsageErrors before the file is read', async (t) => {
  const file = fixture('conv4-zip.pth');
  await t.throwsAsync(readTorchModel(file, { backbone: 'resnet50' }), { instanceOf: UsageError, message: /^no PyTorch naming for backbone 'resnet50': supported are conv4, resnet12, resnet18, resnet20, resnet32, resnet56$/ });
  await t.throwsAsync(readTorchModel(file, { backbone: 'conv4', dataset: 'imagenet' }), { instanceOf: UsageError, message: /no normalisation constants for dataset 'imagenet'/ });
  await t.throwsAsync(readTorchModel(file, { backbone: 'conv4', dataset: 'synthetic' }), { instanceOf: UsageError, message: "no native image size known for dataset 'synthetic': give --image-size N" });
  await t.throwsAsync(readTorchModel(file, { backbone: 'conv4', transform: 'flip' }), { instanceOf: UsageError });
  await t.throwsAsync(readTorchModel(fixture('nope.pth'), { backbone: 'conv4' }), { instanceOf: DataError, message: /^cannot read .*nope\.pth: no such file$/ });
  await t.throwsAsync(readTorchModel(file, { backbone: 'conv4', head: 'knn' }), { instanceOf: UsageError, message: /knn/ });
  // Refused after the backbone and head exist: both are freed.
  await withNoLeaks(t, () =>
    t.throwsAsync(readTorchModel(file, { backbone: 'conv4', normalization: { mean: [1], std: [2] } }), { instanceOf: UsageError, message: "the normalisation has 1 channels but the backbone's first conv takes 3" }),
  );
  await withNoLeaks(t, () => t.throwsAsync(readTorchModel(fixture('resnet12-zip.pth'), { backbone: 'conv4' }), { instanceOf: DataError }));
});

test.serial('the written model keeps head, scale, transformation, normalisation, image size and provenance', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jointshot-import-'));
  try {
    const out = join(dir, 'r12.jsm');
    const summary = await importTorchModel(fixture('resnet12-metaoptnet-legacy.pth'), out, { backbone: 'resnet12', head: 'ridge', transform: 'rotation', dataset: 'cifar-fs' });
    t.like(summary, { format: 'legacy', layout: ['metaoptnet', 'dataparallel'], tensors: 96, headScale: 7.5 });
    const loaded = await loadModel(out);
    t.like(loaded, { headName: 'ridge', dataset: 'cifar-fs', imageSize: { height: 32, width: 32, channels: 3 } });
    t.is(loaded.transform.name, 'rotation');
    t.is(loaded.head.variables[0]!.dataSync()[0], 7.5);
    t.like(loaded.info as object, { importedFrom: 'resnet12-metaoptnet-legacy.pth', format: 'legacy' });
    t.regex((loaded.info as { sha256: string }).sha256, /^[0-9a-f]{64}$/);
    const x = inputs();
    const got = loaded.backbone.embed(x);
    t.true(maxAbsDiff(got.dataSync(), torchEmbeddingsHwc('resnet12')) < 1e-5);
    tf.dispose([x, got]);
    disposeLoadedModel(loaded);
    const unscaled = join(dir, 'c4.jsm');
    await importTorchModel(fixture('conv4-metaoptnet-zip.pth'), unscaled, { backbone: 'conv4', headScale: false, imageSize: 40 });
    const plain = await loadModel(unscaled);
    t.is(plain.head.variables[0]!.dataSync()[0], 1);
    t.like(plain, { headName: 'protonet', dataset: 'mini-imagenet', imageSize: { height: 40, width: 40, channels: 3 } });
    t.is(plain.transform.name, 'none');
    disposeLoadedModel(plain);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('eval runs an imported model with every head, plain and lifted, as the same backbone built in memory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jointshot-import-eval-'));
  const split = tinySplit();
  const manifest = tinyManifest(split, 3, 1, 2);
  try {
    for (const head of ['protonet', 'ridge', 'svm']) {
      for (const transform of ['none', 'rotation']) {
        const out = join(dir, `${head}-${transform}.jsm`);
        await importTorchModel(fixture('conv4-legacy.pth'), out, { backbone: 'conv4', head, transform, dataset: 'synthetic', imageSize: 16 });
        const loaded = await loadEvalModel(out, { dataset: 'synthetic' });
        const direct = await readTorchModel(fixture('conv4-zip.pth'), { backbone: 'conv4', head, transform, dataset: 'synthetic', imageSize: 16 });
        try {
          const fromFile = await evaluate({ model: loaded.model, split, manifest });
          const inMemory = await evaluate({ model: { ...direct.model }, split, manifest });
          t.is(fromFile.count, 3);
          t.is(fromFile.model.copies, transform === 'none' ? 1 : 4, `${head} ${transform}`);
          t.deepEqual(fromFile.accuracy, inMemory.accuracy, `${head} ${transform}`);
        } finally {
          loaded.dispose();
          direct.model.backbone.dispose();
          direct.model.head.dispose();
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
