/** A training step (loss and every weight gradient) and inference of the backbones: native vs cpu. */
import { tf } from '../../src/tf.js';
import { createBackbone, type BackboneConfig } from '../../src/backbones/index.js';
import { createRng } from '../../src/util/rng.js';
import { assertMatchesCpu, countCalls, nativeTest, seededValues } from './native-helpers.js';

const CASES: Array<[BackboneConfig, number, number]> = [
  [{ name: 'conv4', channels: 8, seed: 3 }, 3, 20],
  [{ name: 'resnet12', widths: [4, 5, 6, 7], seed: 4 }, 2, 20],
  [{ name: 'resnet20', widths: [4, 6, 8], seed: 5 }, 2, 12],
  [{ name: 'resnet18', widths: [4, 5, 6, 7], seed: 6 }, 2, 40], // side 40: last map 2x2 (at 20, 1x1: batch norm over 2 entries amplifies rounding)
  [{ name: 'resnet18', stem: 'cifar', widths: [4, 5, 6, 7], seed: 6 }, 2, 20],
];

for (const [config, batch, side] of CASES) {
  nativeTest(`${config.name}${config.stem ? ` (${String(config.stem)} stem)` : ''}: training-step loss, gradients and inference embeddings match cpu`, async (t) => {
    const calls = await countCalls(() => assertMatchesCpu(t, config.name, () => {
      const backbone = createBackbone(config);
      try {
        const x = tf.tensor4d(seededValues(batch * side * side * 3, 30), [batch, side, side, 3]);
        const { value, grads } = tf.variableGrads(
          () => backbone.embed(x, { training: true, rng: createRng(5) }).square().mean() as tf.Scalar,
          backbone.variables,
        );
        return [value, ...backbone.variables.map((v) => grads[v.name]!), backbone.embed(x)];
      } finally {
        backbone.dispose();
      }
    }, 1e-4));
    t.true(calls.Conv2DBackpropFilter!.native > 0 && calls.Conv2DBackpropFilter!.fallback === 0);
    // Inference runs as fused conv + folded batch norm + activation (+ residual) primitives.
    t.true(calls.JointshotConvBnAct!.native > 0, 'inference convolutions ran fused');
    t.is(calls.Conv2D!.native, calls.Conv2DBackpropFilter!.native, 'every unfused forward conv was a training one');
    // The global average pool (Mean over [1, 2]), its gradient's broadcast and ReLU's gradient cast.
    for (const name of ['Mean', 'Sum', 'Cast', 'Multiply', 'Add']) t.is(calls[name]?.fallback ?? 0, 0, `${name} never fell back`);
    // Activations (and their gradients' Step) run inside the batch-norm kernels in training, the conv primitives in inference.
    for (const name of ['Relu', 'Step']) t.is((calls[name]?.native ?? 0) + (calls[name]?.fallback ?? 0), 0, `${name} kernels`);
    t.is((calls.LeakyRelu?.native ?? 0) + (calls.LeakyRelu?.fallback ?? 0), 0, 'no LeakyRelu kernel');
    t.true(calls.JointshotBatchNormTrainGrad!.native > 0);
  });
}

/** Loss and every weight gradient of one training step on the active backend, as plain arrays. */
function trainingStep(config: BackboneConfig, batch: number, side: number): number[][] {
  const backbone = createBackbone(config);
  try {
    return tf.tidy(() => {
      const x = tf.tensor4d(seededValues(batch * side * side * 3, 30), [batch, side, side, 3]);
      const { value, grads } = tf.variableGrads(
        () => backbone.embed(x, { training: true, rng: createRng(5) }).square().mean() as tf.Scalar,
        backbone.variables,
      );
      return [value, ...backbone.variables.map((v) => grads[v.name]!)].map((t) => Array.from(t.dataSync()));
    });
  } finally {
    backbone.dispose();
  }
}

for (const [config, batch, side] of CASES) {
  nativeTest(`${config.name}${config.stem ? ` (${String(config.stem)} stem)` : ''}: batch norm + residual + activation fused or as separate ops (JOINTSHOT_NATIVE_FUSED_BN_ACT=0) give bit-identical training steps`, async (t) => {
    await tf.setBackend('native');
    const before = tf.memory().numTensors;
    try {
      process.env.JOINTSHOT_NATIVE_FUSED_BN_ACT = '0';
      const separate = trainingStep(config, batch, side);
      delete process.env.JOINTSHOT_NATIVE_FUSED_BN_ACT;
      const fused = trainingStep(config, batch, side);
      t.deepEqual(fused, separate);
    } finally {
      delete process.env.JOINTSHOT_NATIVE_FUSED_BN_ACT;
      await tf.setBackend('cpu');
    }
    t.is(tf.memory().numTensors, before);
  });
}

/** The inference embedding of a fresh backbone on the active backend, as a plain array. */
function inference(config: BackboneConfig, batch: number, side: number): number[] {
  const backbone = createBackbone(config);
  try {
    return tf.tidy(() => Array.from(backbone.embed(tf.tensor4d(seededValues(batch * side * side * 3, 31), [batch, side, side, 3])).dataSync()));
  } finally {
    backbone.dispose();
  }
}

// Wide enough for Winograd (>= 16 channels, maps >= 4x4) so the chain keeps blocked activations between convolutions.
const CHAIN_CASES: Array<[BackboneConfig, number, number]> = [
  [{ name: 'resnet12', widths: [16, 32, 32, 48], seed: 4 }, 2, 32],
  [{ name: 'resnet20', widths: [16, 32, 48], seed: 5 }, 2, 16],
  [{ name: 'resnet18', widths: [16, 32, 32, 48], seed: 6 }, 2, 64],
];

for (const [config, batch, side] of CHAIN_CASES) {
  nativeTest(`${config.name}: inference with each block's convolutions chained in one native call or one call each (JOINTSHOT_NATIVE_CONV_CHAIN=0) gives the same bits`, async (t) => {
    await tf.setBackend('native');
    const before = tf.memory().numTensors;
    try {
      process.env.JOINTSHOT_NATIVE_CONV_CHAIN = '0';
      let calls = await countCalls(async () => void inference(config, batch, side));
      const separate = inference(config, batch, side);
      t.is(calls.JointshotConvBnActChain?.native ?? 0, 0);
      delete process.env.JOINTSHOT_NATIVE_CONV_CHAIN;
      calls = await countCalls(async () => void inference(config, batch, side));
      t.true((calls.JointshotConvBnActChain?.native ?? 0) > 0, 'the chain ran');
      t.deepEqual(inference(config, batch, side), separate);
    } finally {
      delete process.env.JOINTSHOT_NATIVE_CONV_CHAIN;
      await tf.setBackend('cpu');
    }
    t.is(tf.memory().numTensors, before);
  });
}
