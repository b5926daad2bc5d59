import test from 'ava';
import { tf } from '../../src/tf.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { BN_EPSILON, batchNormTrain } from '../../src/backbones/batchnorm.js';
import { BatchNormLayer, ParameterStore } from '../../src/backbones/layers.js';
import { leakyRelu } from '../../src/backbones/activations.js';
import { createRng } from '../../src/util/rng.js';
import { normalSampler } from '../../src/backbones/init.js';
import { bn64 } from './helpers.js';

test.before(useCpuBackend);

function randomValues(n: number, seed: string): number[] {
  const normal = normalSampler(createRng(seed));
  return Array.from({ length: n }, normal);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => a.sub(b).abs().max().dataSync()[0]!);
}

/** sum(w * BN(x)) in float64 over x [M, C] (row-major), batch statistics: the direct reference. */
function bnLoss64(x: number[], gamma: number[], beta: number[], w: number[], c: number): number {
  return bn64(Float64Array.from(x), c, gamma, beta).reduce((loss, y, i) => loss + w[i]! * y, 0);
}

test.serial('batch norm custom gradient matches float64 finite differences and tfjs autodiff of plain ops', async (t) => {
  await withNoLeaks(t, () => {
    const shape: [number, number, number, number] = [2, 3, 3, 4];
    const c = 4;
    const xs = randomValues(72, 'bn-x').map((v, i) => v * (1 + (i % c)) + (i % c));
    const gs = randomValues(c, 'bn-g').map((v) => 1 + 0.3 * v);
    const bs = randomValues(c, 'bn-b');
    const ws = randomValues(72, 'bn-w');
    tf.tidy(() => {
      const x = tf.tensor4d(xs, shape);
      const gamma = tf.tensor1d(gs);
      const beta = tf.tensor1d(bs);
      const w = tf.tensor4d(ws, shape);
      const custom = tf.grads((a, g, b) => batchNormTrain(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D).mul(w).sum())([x, gamma, beta]);
      const plain = tf.grads((a, g, b) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        return a.sub(mean).div(variance.add(BN_EPSILON).sqrt()).mul(g).add(b).mul(w).sum();
      })([x, gamma, beta]);
      for (let i = 0; i < 3; i++) t.true(maxAbsDiff(custom[i]!, plain[i]!) < 1e-4, `input ${i} vs autodiff`);
      const dx = custom[0]!.dataSync();
      const dg = custom[1]!.dataSync();
      const db = custom[2]!.dataSync();
      const h = 1e-5;
      const fd = (f: (delta: number) => number) => (f(h) - f(-h)) / (2 * h);
      for (const i of [0, 7, 33, 71]) {
        const numeric = fd((d) => bnLoss64(xs.map((v, k) => (k === i ? v + d : v)), gs, bs, ws, c));
        t.true(Math.abs(numeric - dx[i]!) <= 1e-3 * Math.max(1, Math.abs(numeric)), `dx[${i}] ${dx[i]} vs ${numeric}`);
      }
      for (let j = 0; j < c; j++) {
        const ng = fd((d) => bnLoss64(xs, gs.map((v, k) => (k === j ? v + d : v)), bs, ws, c));
        const nb = fd((d) => bnLoss64(xs, gs, bs.map((v, k) => (k === j ? v + d : v)), ws, c));
        t.true(Math.abs(ng - dg[j]!) <= 1e-3 * Math.max(1, Math.abs(ng)), `dgamma[${j}]`);
        t.true(Math.abs(nb - db[j]!) <= 1e-3 * Math.max(1, Math.abs(nb)), `dbeta[${j}]`);
      }
      // Forward value equals the float64 reference.
      const value = batchNormTrain(x, gamma, beta).mul(w).sum().dataSync()[0]!;
      t.true(Math.abs(value - bnLoss64(xs, gs, bs, ws, c)) < 1e-3);
    });
  });
});

test.serial('batch norm layer: training normalises with batch stats and updates running stats (momentum 0.1, unbiased)', async (t) => {
  await withNoLeaks(t, () => {
    const store = new ParameterStore();
    const bn = new BatchNormLayer(store, 'bn', 3);
    const values = randomValues(2 * 2 * 2 * 3, 'bn-layer').map((v, i) => 2 * v + (i % 3));
    tf.tidy(() => {
      const x = tf.tensor4d(values, [2, 2, 2, 3]);
      const y = bn.apply(x, true);
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      t.true(mean.abs().max().dataSync()[0]! < 1e-5);
      t.true(variance.sub(1).abs().max().dataSync()[0]! < 1e-3);
      const batch = tf.moments(x, [0, 1, 2]);
      const m = 8;
      const expectedMean = batch.mean.mul(0.1);
      const expectedVar = batch.variance.mul((0.1 * m) / (m - 1)).add(0.9);
      t.true(maxAbsDiff(store.state['bn/runningMean']!, expectedMean) < 1e-6);
      t.true(maxAbsDiff(store.state['bn/runningVar']!, expectedVar) < 1e-5);
      // Inference uses the running statistics and leaves them alone.
      const inferred = bn.apply(x, false);
      const reference = x.sub(expectedMean).div(expectedVar.add(BN_EPSILON).sqrt());
      t.true(maxAbsDiff(inferred, reference) < 1e-5);
      t.true(maxAbsDiff(store.state['bn/runningMean']!, expectedMean) < 1e-6);
    });
    store.dispose();
  });
});

test.serial('batch norm layer: folded() is reused while no variable changed and recomputed after every assign (gamma, beta, running stats)', async (t) => {
  await withNoLeaks(t, async () => {
    const store = new ParameterStore();
    const bn = new BatchNormLayer(store, 'bn', 3);
    const direct = () => tf.tidy(() => {
      const v = (name: string) => store.trainable[`bn/${name}`] ?? store.state[`bn/${name}`]!;
      const scale = v('gamma').mul(v('runningVar').add(BN_EPSILON).rsqrt());
      return [...scale.dataSync(), ...v('beta').sub(v('runningMean').mul(scale)).dataSync()];
    });
    const check = (label: string) => {
      const { scale, shift } = bn.folded();
      t.deepEqual([...scale.dataSync(), ...shift.dataSync()], direct(), label);
      tf.dispose([scale, shift]);
    };
    /** Kernels one folded() call runs: none when its last result is reused. */
    const kernelsRun = async () => {
      const info = await tf.profile(() => {
        const { scale, shift } = bn.folded();
        return [scale, shift];
      });
      tf.dispose(info.result as tf.Tensor[]);
      return info.kernels.length;
    };
    check('first call');
    t.is(await kernelsRun(), 0, 'unchanged: reused');
    check('unchanged');
    const assignments: Array<[string, number[]]> = [
      ['gamma', [2, -1, 0.5]], ['beta', [0.3, 0, -0.2]], ['runningMean', [1, 2, 3]], ['runningVar', [4, 0.25, 9]],
    ];
    for (const [name, values] of assignments) {
      const value = tf.tensor1d(values);
      (store.trainable[`bn/${name}`] ?? store.state[`bn/${name}`]!).assign(value);
      value.dispose();
      t.true(await kernelsRun() > 0, `after assigning ${name}: recomputed`);
      check(`after assigning ${name}`);
      t.is(await kernelsRun(), 0, `after assigning ${name}: then reused`);
    }
    store.dispose();
  });
});

test.serial('LeakyReLU custom gradient equals tfjs leakyRelu gradient and value', async (t) => {
  await withNoLeaks(t, () => {
    tf.tidy(() => {
      const x = tf.tensor4d(randomValues(2 * 3 * 3 * 4, 'lr'), [2, 3, 3, 4]);
      const dy = tf.tensor4d(randomValues(2 * 3 * 3 * 4, 'lr-dy'), [2, 3, 3, 4]);
      t.is(maxAbsDiff(leakyRelu(x, 0.1), tf.leakyRelu(x, 0.1)), 0);
      const ours = tf.grad((a) => leakyRelu(a as tf.Tensor4D, 0.1))(x, dy);
      const theirs = tf.grad((a) => tf.leakyRelu(a as tf.Tensor4D, 0.1))(x, dy);
      t.true(maxAbsDiff(ours, theirs) < 1e-7);
      t.true(ours.abs().sum().dataSync()[0]! > 0);
    });
  });
});

test.serial('BatchNormLayer.apply with residual and activation is bn, Add, then ReLU / leakyRelu off the native backend', async (t) => {
  await withNoLeaks(t, () => {
    const store = new ParameterStore();
    const layer = new BatchNormLayer(store, 'bn', 3);
    try {
      tf.tidy(() => {
        const x = tf.tensor4d(randomValues(24, 'act-x'), [2, 2, 2, 3]);
        const skip = tf.tensor4d(randomValues(24, 'act-r'), [2, 2, 2, 3]);
        for (const training of [true, false]) {
          for (const leak of [null, 0, 0.1]) {
            let calls = 0;
            const residual = () => (calls++, skip);
            const fused = layer.apply(x, training, { leak, residual });
            const sum = layer.apply(x, training).add(skip) as tf.Tensor4D;
            const expected = leak === null ? sum : leak === 0 ? tf.relu(sum) : leakyRelu(sum, leak);
            t.is(calls, 1);
            t.is(maxAbsDiff(fused, expected), 0, `training ${training}, leak ${leak}`);
          }
        }
      });
    } finally {
      store.dispose();
    }
  });
});
