import test from 'ava';
import { tf } from '../../src/tf.js';
import { setupWasm } from '../../src/backend/wasm/setup.js';
import { createBackbone, type BackboneConfig } from '../../src/backbones/index.js';
import { createRng } from '../../src/util/rng.js';

// End to end: every variable's gradient of a training-mode backbone pass agrees between the cpu
// backend and wasm with jointshot's kernels (conv gradients, matmuls) on 2 threads.
test.before(async () => {
  await setupWasm({ threads: 2 });
});

function values(seed: string, size: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: size }, () => rng() * 2 - 1);
}

/** Gradients (by variable name) of sum(embed(x) * probe) for a fresh backbone on `backend`. */
async function gradients(backend: string, config: BackboneConfig, shape: [number, number, number, number]): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const backbone = createBackbone(config);
  const names = Object.keys(backbone.trainable);
  const grads = tf.tidy(() => {
    const x = tf.tensor4d(values('x', shape.reduce((p, d) => p * d, 1)), shape);
    const dim = backbone.outputDim(shape[1], shape[2]);
    const probe = tf.tensor2d(values('probe', shape[0] * dim), [shape[0], dim]);
    const loss = () => backbone.embed(x, { training: true }).mul(probe).sum() as tf.Scalar;
    const byVariable = tf.variableGrads(loss, names.map((n) => backbone.trainable[n]!)).grads;
    return names.map((n) => byVariable[backbone.trainable[n]!.name]!);
  });
  const result = new Map(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array]));
  tf.dispose(grads);
  backbone.dispose();
  return result;
}

for (const config of [
  { name: 'conv4', seed: 3, channels: 8 },
  { name: 'resnet12', seed: 3, widths: [8, 8, 8, 8], dropRate: 0 },
  { name: 'resnet20', seed: 3, widths: [4, 6, 8] },
  { name: 'resnet18', seed: 3, widths: [4, 5, 6, 7] },
  { name: 'resnet18', seed: 3, widths: [4, 5, 6, 7], stem: 'cifar' },
] as BackboneConfig[]) {
  test.serial(`${config.name}${config.stem ? ` (${String(config.stem)} stem)` : ''}: training-mode gradients of every variable match cpu`, async (t) => {
    const shape: [number, number, number, number] = [4, 16, 16, 3];
    const expected = await gradients('cpu', config, shape);
    const actual = await gradients('wasm', config, shape);
    t.deepEqual([...actual.keys()], [...expected.keys()]);
    for (const [name, want] of expected) {
      const got = actual.get(name)!;
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < want.length; i++) {
        diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
        scale = Math.max(scale, Math.abs(want[i]!));
      }
      // float32 sums in a different order, amplified by batch norm over 4 images: 1e-4 relative.
      t.true(diff <= 1e-4 * scale, `${name}: relative error ${(diff / scale).toExponential(2)}`);
    }
  });
}
