/** Native training is reproducible run to run: the same seed and data give the same bits (Winograd, fused update and statistics included). */
import { tf } from '../../src/tf.js';
import { createBackbone, type BackboneConfig } from '../../src/backbones/index.js';
import { NATIVE_BACKEND, nativeConvImplementations, nativeIsa } from '../../src/backend/native/index.js';
import { Sgd } from '../../src/train/index.js';
import { createRng } from '../../src/util/rng.js';
import { nativeTest, seededValues } from './native-helpers.js';

/** Every trainable and state variable's bits after `steps` SGD steps of a fresh backbone on native, and one inference. */
function train(config: BackboneConfig, batch: number, side: number, steps: number): Uint32Array[] {
  const backbone = createBackbone(config);
  const sgd = new Sgd(backbone.trainable, { momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const rng = createRng(9);
  try {
    for (let s = 0; s < steps; s++) {
      const x = tf.tensor4d(seededValues(batch * side * side * 3, 40 + s), [batch, side, side, 3]);
      const { value, grads } = tf.variableGrads(() => backbone.embed(x, { training: true, rng }).square().mean() as tf.Scalar, backbone.variables);
      sgd.step(Object.fromEntries(Object.entries(backbone.trainable).map(([name, v]) => [name, grads[v.name]!])), 0.05);
      tf.dispose([x, value, ...Object.values(grads)]);
    }
    const x = tf.tensor4d(seededValues(batch * side * side * 3, 99), [batch, side, side, 3]);
    const embedding = tf.tidy(() => backbone.embed(x).dataSync());
    x.dispose();
    const variables = [...Object.values(backbone.trainable), ...Object.values(backbone.state)];
    return [...variables.map((v) => new Uint32Array(Float32Array.from(v.dataSync()).buffer)), new Uint32Array(Float32Array.from(embedding).buffer)];
  } finally {
    sgd.dispose();
    backbone.dispose();
  }
}

nativeTest('two native training runs with one seed give the same bits (resnet20 and resnet12 with Winograd-sized layers)', async (t) => {
  await tf.setBackend(NATIVE_BACKEND);
  const before = tf.memory().numTensors;
  try {
    for (const [config, batch, side] of [
      [{ name: 'resnet20', widths: [16, 32, 48], seed: 7 }, 4, 16],
      [{ name: 'resnet12', widths: [16, 32, 32, 48], seed: 8 }, 3, 32],
    ] as Array<[BackboneConfig, number, number]>) {
      const first = train(config, batch, side, 3);
      const second = train(config, batch, side, 3);
      t.is(first.length, second.length);
      first.forEach((bits, i) => t.deepEqual(bits, second[i], `${config.name}: variable ${i} differs`));
    }
    const wino = nativeConvImplementations().some((r) => r.kind === 'backwardWeights' && r.implementation.includes('wino'));
    t.is(wino, nativeIsa()?.available.includes('avx512') ?? false, 'training convolutions ran through Winograd where this CPU has it');
  } finally {
    await tf.setBackend('cpu');
  }
  t.is(tf.memory().numTensors, before);
});
