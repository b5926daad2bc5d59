import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tf } from '../../src/tf.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { type BackboneConfig } from '../../src/backbones/index.js';
import { withBackbone } from './helpers.js';

// Whole training-mode forward and backward of small backbones against PyTorch (values recorded by
// test/fixtures/backbones/torch_backbones.py), on inputs whose max-pool windows tie (zero border,
// clipped values): checks the tie rule (issue 12), PyTorch's padding of stride-2 convs and the
// option-A / projection shortcuts end to end.

test.before(useCpuBackend);

interface Recorded {
  side: number;
  loss: number;
  embedding: number[];
  gradProjections: Record<string, number>;
  firstKernel: string;
  firstKernelGrad: number[];
}

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'backbones', 'torch_backbones.json');
const RECORDED = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Recorded>;

const CONFIGS: Record<string, BackboneConfig> = {
  conv4: { name: 'conv4', channels: 4 },
  resnet20: { name: 'resnet20', widths: [2, 3, 4] },
  'resnet18-imagenet': { name: 'resnet18', widths: [2, 3, 4, 5] },
  'resnet18-cifar': { name: 'resnet18', widths: [2, 3, 4, 5], stem: 'cifar' },
};

const nameSeed = (name: string) => ([...name].reduce((s, ch, i) => s + (i + 1) * ch.charCodeAt(0), 0) % 997) / 10;

function formula(size: number, f: (t: number) => number): number[] {
  return Array.from({ length: size }, (_, t) => f(t));
}

/** The script's weight formula for the variable `name`. */
function weights(name: string, size: number): number[] {
  const s = nameSeed(name);
  if (name.endsWith('/kernel')) return formula(size, (t) => 0.5 * Math.sin(0.7 * t + s));
  if (name.endsWith('/gamma')) return formula(size, (t) => 1 + 0.3 * Math.sin(0.7 * t + s));
  return formula(size, (t) => 0.2 * Math.sin(0.7 * t + s));
}

/** The script's images: sin clipped to [-0.8, 0.8], zero in a 3-pixel border. */
function tiedImages(n: number, side: number): tf.Tensor4D {
  const values = formula(n * side * side * 3, (t) => {
    const j = Math.floor(t / 3) % side;
    const i = Math.floor(t / (3 * side)) % side;
    if (i < 3 || j < 3 || i >= side - 3 || j >= side - 3) return 0;
    return Math.max(-0.8, Math.min(0.8, Math.sin(0.37 * t)));
  });
  return tf.tensor4d(values, [n, side, side, 3]);
}

/** max |a - b| / max(|b|, floor). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

for (const [model, config] of Object.entries(CONFIGS)) {
  test.serial(`${model}: training-mode loss, embedding and every weight gradient equal PyTorch's on tie-heavy input`, async (t) => {
    const want = RECORDED[model]!;
    await withNoLeaks(t, () => {
      withBackbone(config, (b) => {
        tf.tidy(() => {
          for (const [name, v] of Object.entries(b.trainable)) v.assign(tf.tensor(weights(name, v.size), v.shape));
          const x = tiedImages(2, want.side);
          const dim = b.outputDim(want.side, want.side);
          t.is(2 * dim, want.embedding.length);
          const probe = tf.tensor2d(formula(2 * dim, (i) => Math.cos(0.3 * i)), [2, dim]);
          const embedding = b.embed(x, { training: true });
          t.true(relativeError(embedding.dataSync(), want.embedding) < 1e-4, 'embedding');
          const names = Object.keys(b.trainable);
          t.deepEqual(names.sort(), Object.keys(want.gradProjections).sort());
          const { value, grads } = tf.variableGrads(
            () => b.embed(x, { training: true }).mul(probe).sum() as tf.Scalar,
            names.map((n) => b.trainable[n]!),
          );
          t.true(Math.abs(value.dataSync()[0]! - want.loss) < 1e-4 * Math.max(1, Math.abs(want.loss)), 'loss');
          const projections = names.map((n) => {
            const g = grads[b.trainable[n]!.name]!;
            return g.reshape([-1]).mul(tf.tensor1d(formula(g.size, (i) => Math.cos(0.9 * i)))).sum().dataSync()[0]!;
          });
          const expected = names.map((n) => want.gradProjections[n]!);
          names.forEach((n, i) => {
            const err = Math.abs(projections[i]! - expected[i]!) / Math.max(Math.abs(expected[i]!), 1e-2 * Math.max(...expected.map(Math.abs)));
            t.true(err < 2e-3, `${n}: ${projections[i]} vs PyTorch ${expected[i]}`);
          });
          const first = grads[b.trainable[want.firstKernel]!.name]!.dataSync();
          t.true(relativeError(first, want.firstKernelGrad) < 1e-3, `${want.firstKernel} gradient: ${relativeError(first, want.firstKernelGrad)}`);
        });
      });
    });
  });
}
