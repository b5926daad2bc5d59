import test from 'ava';
import { tf } from '../../src/tf.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import {
  BasicBlock,
  ParameterStore,
  backboneNames,
  createBackbone,
  decodeCheckpoint,
  encodeCheckpoint,
  normalSampler,
  optionAShortcut,
  type Backbone,
  type BackboneConfig,
  type Shortcut,
} from '../../src/backbones/index.js';
import { bn64, images, same, withBackbone } from './helpers.js';
import { UsageError } from '../../src/errors.js';
import { createRng } from '../../src/util/rng.js';

test.before(useCpuBackend);

// Narrow widths keep the cpu backend fast; depth and layout are those of the full nets.
const NARROW: BackboneConfig[] = [
  { name: 'resnet20', widths: [2, 3, 4] },
  { name: 'resnet32', widths: [2, 2, 3] },
  { name: 'resnet56', widths: 2 },
  { name: 'resnet18', widths: [2, 3, 4, 5] },
  { name: 'resnet18', widths: [2, 3, 4, 5], stem: 'cifar' },
];

const label = (c: BackboneConfig) => `${c.name}${c.stem ? `/${c.stem}` : ''}`;

const parameterCount = (b: Backbone) => b.variables.reduce((sum, v) => sum + v.size, 0);

test.serial('registry knows the new backbones and rejects bad options', (t) => {
  for (const name of ['resnet18', 'resnet20', 'resnet32', 'resnet56']) t.true(backboneNames().includes(name), name);
  t.throws(() => createBackbone({ name: 'resnet18', stem: 'tiny' }), { instanceOf: UsageError, message: /'stem' must be 'imagenet'.*'cifar'/ });
  t.throws(() => createBackbone({ name: 'resnet32', widths: [16, 8, 64] }), { instanceOf: UsageError, message: /must not decrease/ });
  t.throws(() => createBackbone({ name: 'resnet20', widths: [1, 2] }), { instanceOf: UsageError });
  t.throws(() => createBackbone({ name: 'resnet56', stem: 'cifar' }), { instanceOf: UsageError, message: /unknown option 'stem'/ });
});

test.serial('full-width parameter counts equal the published ones (resnet32 + 10-way linear = 464,154)', async (t) => {
  await withNoLeaks(t, () => {
    // Trainable values: conv kernels, BN gamma and beta (running statistics are state).
    const counts: [BackboneConfig, number, number][] = [
      [{ name: 'resnet20' }, 269072, 64],
      [{ name: 'resnet32' }, 463504, 64],
      [{ name: 'resnet56' }, 852368, 64],
      [{ name: 'resnet18' }, 11176512, 512],
      [{ name: 'resnet18', stem: 'cifar' }, 11168832, 512],
    ];
    for (const [config, count, dim] of counts) {
      const b = createBackbone(config, { initialize: false });
      t.is(parameterCount(b), count, label(config));
      t.is(b.outputDim(32, 32), dim);
      t.is(b.config.pooling, 'avg', 'global average pooling by default');
      b.dispose();
    }
    // He et al. / hankook/SLA ResNet-32 with its CIFAR-10 classifier: 0.46 M; torchvision's
    // resnet18 with its 1000-way fc: 11,689,512.
    t.is(463504 + 64 * 10 + 10, 464154);
    t.is(11176512 + 512 * 1000 + 1000, 11689512);
  });
});

test.serial('resnet32 variable names: stem, 3 stages x 5 blocks x 2 conv-BN units, no shortcut weights', async (t) => {
  await withNoLeaks(t, () => {
    withBackbone({ name: 'resnet32', widths: 2 }, (b) => {
      const names = Object.keys(b.trainable);
      t.is(names.length, 3 * (1 + 3 * 5 * 2));
      t.true(names.includes('stem/kernel'));
      t.true(names.includes('stage3/block5/conv2/bn/beta'));
      t.false(names.some((n) => n.includes('shortcut')));
      t.deepEqual(b.trainable['stage2/block1/conv1/kernel']!.shape, [3, 3, 2, 2]);
    });
    withBackbone({ name: 'resnet18', widths: [2, 3, 4, 5] }, (b) => {
      t.deepEqual(b.trainable['stem/kernel']!.shape, [7, 7, 3, 2]);
      t.deepEqual(b.trainable['stage2/block1/shortcut/kernel']!.shape, [1, 1, 2, 3]);
      t.false('stage1/block1/shortcut/kernel' in b.trainable);
      t.is(Object.keys(b.state).length, 2 * (1 + 4 * 2 * 2 + 3));
    });
  });
});

for (const config of NARROW) {
  test.serial(`${label(config)}: output shapes at 32x32 and 64x64 (avg and flatten), both modes`, async (t) => {
    await withNoLeaks(t, () => {
      const width = (config.widths as number[] | number);
      const last = typeof width === 'number' ? width : width[width.length - 1]!;
      withBackbone(config, (b) => {
        for (const side of [32, 64]) {
          tf.tidy(() => {
            const x = images(2, side, side);
            for (const training of [false, true]) {
              const y = b.embed(x, { training });
              t.deepEqual(y.shape, [2, last], `${side} ${training}`);
              t.true(y.isFinite().all().dataSync()[0] === 1);
            }
          });
        }
      });
      withBackbone({ ...config, pooling: 'flatten' }, (b) => {
        const halvings = config.name === 'resnet18' ? (config.stem === 'cifar' ? 3 : 5) : 2;
        for (const side of [32, 64]) {
          const s = side / 2 ** halvings;
          t.is(b.outputDim(side, side), s * s * last);
          tf.tidy(() => t.deepEqual(b.embed(images(1, side, 5)).shape, [1, s * s * last]));
        }
        // Odd sides round up at every stride-2 layer, as PyTorch's padding = 1 convs do.
        tf.tidy(() => t.deepEqual(b.embed(images(1, 33, 6)).shape, [1, b.outputDim(33, 33)]));
      });
    });
  });

  test.serial(`${label(config)}: inference is deterministic and leaves BN state alone; training updates it`, async (t) => {
    await withNoLeaks(t, () => {
      withBackbone(config, (b) => {
        tf.tidy(() => {
          const x = images(4, 32, 1);
          const stateBefore = Object.values(b.state).map((v) => v.clone());
          const first = b.embed(x);
          t.true(same(first, b.embed(x)));
          Object.values(b.state).forEach((v, i) => t.true(same(v, stateBefore[i]!)));
          const trained = b.embed(x, { training: true });
          t.is(b.trainingCalls, 1);
          t.false(same(trained, first), 'batch statistics differ from the initial running ones');
          const changed = Object.values(b.state).filter((v, i) => !same(v, stateBefore[i]!)).length;
          t.is(changed, Object.keys(b.state).length, 'every running mean and variance moved');
          t.false(same(b.embed(x), first));
        });
      });
    });
  });

  test.serial(`${label(config)}: seeded init is reproducible; gradients reach every variable`, async (t) => {
    await withNoLeaks(t, () => {
      withBackbone({ ...config, seed: 3 }, (a) =>
        withBackbone({ ...config, seed: 3 }, (b) => {
          for (const name of Object.keys(a.trainable)) t.true(same(a.trainable[name]!, b.trainable[name]!), name);
          tf.tidy(() => {
            const x = images(2, 32, 3);
            const { grads } = tf.variableGrads(() => a.embed(x, { training: true }).square().mean() as tf.Scalar, a.variables);
            t.is(Object.keys(grads).length, a.variables.length);
            for (const [name, g] of Object.entries(grads)) t.true(g.abs().sum().dataSync()[0]! > 0, name);
          });
        }),
      );
    });
  });

  test.serial(`${label(config)}: checkpoint round trip gives identical weights, state and embeddings`, async (t) => {
    await withNoLeaks(t, () => {
      withBackbone({ ...config, seed: 9 }, (b) => {
        tf.tidy(() => {
          b.embed(images(2, 32, 7), { training: true });
        });
        const loaded = decodeCheckpoint(encodeCheckpoint({ backbone: b }));
        try {
          t.deepEqual(loaded.backbone.config, b.config);
          t.is(loaded.backbone.trainingCalls, 1);
          for (const [name, v] of Object.entries({ ...b.trainable, ...b.state })) {
            t.true(same(v, { ...loaded.backbone.trainable, ...loaded.backbone.state }[name]!), name);
          }
          tf.tidy(() => {
            const x = images(2, 32, 8);
            t.true(same(loaded.backbone.embed(x), b.embed(x)));
          });
        } finally {
          loaded.backbone.dispose();
        }
      });
    });
  });
}

// ---- one basic block against a float64 reference and its central differences ----

type Dims = [number, number, number, number];

/** PyTorch conv2d (padding p on every side, no bias) in float64, NHWC x and [kh, kw, in, out] k. */
function conv64(x: Float64Array, [n, h, w, ci]: Dims, k: Float64Array, size: number, co: number, stride: number): [Float64Array, Dims] {
  const p = Math.floor(size / 2);
  const oh = Math.floor((h + 2 * p - size) / stride) + 1;
  const ow = Math.floor((w + 2 * p - size) / stride) + 1;
  const y = new Float64Array(n * oh * ow * co);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let di = 0; di < size; di++) {
          const r = i * stride - p + di;
          if (r < 0 || r >= h) continue;
          for (let dj = 0; dj < size; dj++) {
            const c = j * stride - p + dj;
            if (c < 0 || c >= w) continue;
            for (let a = 0; a < ci; a++) {
              const v = x[((b * h + r) * w + c) * ci + a]!;
              for (let o = 0; o < co; o++) y[((b * oh + i) * ow + j) * co + o]! += v * k[((di * size + dj) * ci + a) * co + o]!;
            }
          }
        }
  return [y, [n, oh, ow, co]];
}

const relu64 = (y: Float64Array) => y.map((v) => Math.max(v, 0));

/** The basic block in float64 from its definition; `p` maps variable names to values. */
function block64(x: Float64Array, dims: Dims, p: Record<string, Float64Array>, outC: number, stride: number, shortcut: Shortcut): Float64Array {
  const unit = (input: Float64Array, d: Dims, name: string, size: number, s: number): [Float64Array, Dims] => {
    const [y, yd] = conv64(input, d, p[`b/${name}/kernel`]!, size, outC, s);
    return [bn64(y, outC, p[`b/${name}/bn/gamma`]!, p[`b/${name}/bn/beta`]!), yd];
  };
  const [h1, d1] = unit(x, dims, 'conv1', 3, stride);
  const [h2, [n, oh, ow]] = unit(relu64(h1), d1, 'conv2', 3, 1);
  let skip: Float64Array;
  if (shortcut === 'projection') skip = unit(x, dims, 'shortcut', 1, stride)[0];
  else {
    // Option A: x[:, ::stride, ::stride], channels zero-padded.
    skip = new Float64Array(h2.length);
    const [, h, w, ci] = dims;
    for (let b = 0; b < n; b++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++)
          for (let a = 0; a < ci; a++) skip[((b * oh + i) * ow + j) * outC + a] = x[((b * h + i * stride) * w + j * stride) * ci + a]!;
  }
  return relu64(h2.map((v, i) => v + skip[i]!));
}

for (const [shortcut, inC, outC] of [['optionA', 2, 3], ['projection', 2, 3]] as const) {
  test.serial(`basic block (${shortcut}, stride 2, odd 5x5 input): value and gradients equal a float64 reference and its central differences`, async (t) => {
    await withNoLeaks(t, () => {
      const store = new ParameterStore();
      const block = new BasicBlock(store, 'b', inC, outC, 2, shortcut, normalSampler(createRng(`block-${shortcut}`)));
      const normal = normalSampler(createRng(`block-data-${shortcut}`));
      const dims: Dims = [2, 5, 5, inC];
      const xs = Float64Array.from({ length: 2 * 5 * 5 * inC }, normal);
      // Non-trivial BN affine parameters, so that gamma/beta gradients are tested at general values.
      tf.tidy(() => {
        for (const [name, v] of Object.entries(store.trainable)) {
          if (name.endsWith('gamma')) v.assign(tf.tensor1d(Array.from({ length: outC }, () => 1 + 0.3 * normal())));
          if (name.endsWith('beta')) v.assign(tf.tensor1d(Array.from({ length: outC }, () => 0.3 * normal())));
        }
      });
      const params: Record<string, Float64Array> = {};
      for (const [name, v] of Object.entries(store.trainable)) params[name] = Float64Array.from(v.dataSync());
      const outSize = 2 * 3 * 3 * outC;
      const ws = Float64Array.from({ length: outSize }, normal);
      const loss64 = (x: Float64Array, p: Record<string, Float64Array>) =>
        block64(x, dims, p, outC, 2, shortcut).reduce((s, v, i) => s + v * ws[i]!, 0);
      tf.tidy(() => {
        const x = tf.tensor4d(Float32Array.from(xs), dims);
        const w = tf.tensor4d(Float32Array.from(ws), [2, 3, 3, outC]);
        const lossOf = (input: tf.Tensor4D) => block.apply(input, true).mul(w).sum() as tf.Scalar;
        t.true(Math.abs(lossOf(x).dataSync()[0]! - loss64(xs, params)) < 1e-4 * Math.max(1, Math.abs(loss64(xs, params))));
        const dx = tf.grad((input) => lossOf(input as tf.Tensor4D))(x).dataSync();
        const { grads } = tf.variableGrads(() => lossOf(x), Object.values(store.trainable));
        const eps = 1e-6;
        const central = (f: (d: number) => number) => (f(eps) - f(-eps)) / (2 * eps);
        const close = (a: number, b: number) => Math.abs(a - b) <= 2e-3 * Math.max(1, Math.abs(b));
        for (let i = 0; i < xs.length; i++) {
          const numeric = central((d) => loss64(xs.map((v, k) => (k === i ? v + d : v)), params));
          t.true(close(dx[i]!, numeric), `dx[${i}] ${dx[i]} vs ${numeric}`);
        }
        for (const [name, v] of Object.entries(store.trainable)) {
          const g = grads[v.name]!.dataSync();
          for (let i = 0; i < g.length; i++) {
            const numeric = central((d) => loss64(xs, { ...params, [name]: params[name]!.map((u, k) => (k === i ? u + d : u)) }));
            t.true(close(g[i]!, numeric), `${name}[${i}] ${g[i]} vs ${numeric}`);
          }
        }
      });
      store.dispose();
    });
  });
}

test.serial('option-A shortcut keeps even rows/columns and appends zero channels (odd sizes round up)', async (t) => {
  await withNoLeaks(t, () => {
    tf.tidy(() => {
      const x = tf.tensor4d(Array.from({ length: 3 * 3 * 2 }, (_, i) => i + 1), [1, 3, 3, 2]);
      const y = optionAShortcut(x, 2, 3);
      t.deepEqual(y.shape, [1, 2, 2, 3]);
      // Entries (0,0), (0,2), (2,0), (2,2) of each channel, then a zero channel.
      t.deepEqual(Array.from(y.dataSync()), [1, 2, 0, 5, 6, 0, 13, 14, 0, 17, 18, 0]);
      t.is(optionAShortcut(x, 1, 2), x);
    });
  });
});
