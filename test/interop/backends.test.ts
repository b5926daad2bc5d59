import test from 'ava';
import { availableBackends, initBackend } from '../../src/backend/index.js';
import { readTorchModel } from '../../src/interop/import.js';
import { tf } from '../../src/tf.js';
import { fixture, maxAbsDiff, reference, torchEmbeddingsHwc } from './helpers.js';

const installed = await availableBackends();

// The evaluator's fast backends (native folds inference BN into the conv) against PyTorch, where installed.
// Tolerance 1e-5 relative to the largest embedding value (ResNet-12's reach 10): oneDNN's kernels differ by CPU.
for (const backend of ['native', 'wasm'] as const) {
  (installed.includes(backend) ? test.serial : test.skip)(`${backend}: imported backbones reproduce PyTorch's embeddings to 1e-5 relative`, async (t) => {
    await initBackend(backend);
    for (const name of ['conv4', 'resnet12', 'resnet20', 'resnet18']) {
      const { model } = await readTorchModel(fixture(`${name}-zip.pth`), { backbone: name, dataset: 'cifar-fs' });
      const x = tf.tensor4d(reference.inputs.values, reference.inputs.shape);
      const got = model.backbone.embed(x);
      const want = torchEmbeddingsHwc(name);
      const diff = maxAbsDiff(got.dataSync(), want);
      const scale = Math.max(1, ...want.map(Math.abs));
      t.log(`${backend} ${name}: max |jointshot - PyTorch| = ${diff.toExponential(2)} (max |PyTorch| ${scale.toFixed(2)})`);
      t.true(diff < 1e-5 * scale, `${backend} ${name}: ${diff}`);
      tf.dispose([x, got]);
      model.backbone.dispose();
      model.head.dispose();
    }
  });
}
