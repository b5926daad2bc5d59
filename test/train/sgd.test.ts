import test from 'ava';
import { tf } from '../../src/tf.js';
import { Sgd } from '../../src/train/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);

/** PyTorch's SGD written out by hand for scalars (torch/optim/sgd.py, dampening 0). */
function torchSgd(p0: number, grads: number[], lrs: number[], mu: number, wd: number, nesterov: boolean): number[] {
  let p = p0;
  let buf: number | undefined;
  const out: number[] = [];
  grads.forEach((grad, t) => {
    let d = grad + wd * p;
    buf = buf === undefined ? d : mu * buf + d; // first step: buf = clone(d_p)
    d = nesterov ? d + mu * buf : buf;
    p -= lrs[t]! * d;
    out.push(p);
  });
  return out;
}

for (const nesterov of [true, false]) {
  test.serial(`Sgd matches PyTorch's formula step by step (nesterov ${nesterov}, weight decay, changing lr)`, async (t) => {
    await withNoLeaks(t, () => {
      const p0 = [0.5, -1.25, 2];
      const w = tf.tidy(() => tf.variable(tf.tensor1d(p0)));
      const sgd = new Sgd({ w }, { momentum: 0.9, nesterov, weightDecay: 5e-4 });
      const grads = [
        [0.3, -0.7, 1.1],
        [-0.2, 0.4, 0.05],
        [1.5, 0.0, -0.9],
      ];
      const lrs = [0.1, 0.1, 0.006];
      for (let s = 0; s < grads.length; s++) {
        const g = tf.tensor1d(grads[s]!);
        sgd.step({ w: g }, lrs[s]!);
        g.dispose();
      }
      const got = Array.from(w.dataSync());
      p0.forEach((v, i) => {
        const want = torchSgd(v, grads.map((g) => g[i]!), lrs, 0.9, 5e-4, nesterov).at(-1)!;
        t.true(Math.abs(got[i]! - want) < 1e-6, `component ${i}: ${got[i]} vs ${want}`);
      });
      t.is(sgd.steps, 3);
      sgd.dispose();
      w.dispose();
    });
  });
}

test.serial('Sgd lrScale: a scaled parameter takes the steps of lr x scale, the others of lr; bad names and scales are refused', async (t) => {
  await withNoLeaks(t, () => {
    const options = { momentum: 0.9, nesterov: true, weightDecay: 5e-4 };
    const make = () => ({ a: tf.tidy(() => tf.variable(tf.tensor1d([0.5, -1]))), b: tf.tidy(() => tf.variable(tf.tensor1d([2, 0.25]))) });
    const [scaled, plain, small] = [make(), make(), make()];
    const sgdScaled = new Sgd(scaled, { ...options, lrScale: { a: 0.1 } });
    const sgdPlain = new Sgd(plain, options);
    const sgdSmall = new Sgd(small, options);
    for (const [ga, gb] of [[[0.3, -0.7], [1.1, 0.2]], [[-0.4, 0.9], [0.05, -1.3]]] as const) {
      const grads = { a: tf.tensor1d([...ga]), b: tf.tensor1d([...gb]) };
      sgdScaled.step(grads, 0.5);
      sgdPlain.step(grads, 0.5);
      sgdSmall.step(grads, 0.05);
      tf.dispose(Object.values(grads));
    }
    t.deepEqual(Array.from(scaled.a.dataSync()), Array.from(small.a.dataSync()), 'a moved as at lr 0.05');
    t.deepEqual(Array.from(scaled.b.dataSync()), Array.from(plain.b.dataSync()), 'b moved as at lr 0.5');
    t.notDeepEqual(Array.from(scaled.a.dataSync()), Array.from(plain.a.dataSync()));
    t.throws(() => new Sgd(plain, { ...options, lrScale: { c: 0.1 } }), { message: /lrScale names 'c', which is not a parameter/ });
    t.throws(() => new Sgd(plain, { ...options, lrScale: { a: 0 } }), { message: /lrScale of 'a' must be a number > 0/ });
    for (const sgd of [sgdScaled, sgdPlain, sgdSmall]) sgd.dispose();
    for (const set of [scaled, plain, small]) tf.dispose(Object.values(set));
  });
});

test.serial('Sgd state round-trips: a restored optimizer continues exactly', async (t) => {
  await withNoLeaks(t, () => {
    const options = { momentum: 0.9, nesterov: true, weightDecay: 0.01 };
    const a = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
    const sa = new Sgd({ a }, options);
    const g1 = tf.tensor1d([0.5, -0.5]);
    const g2 = tf.tensor1d([0.25, 1]);
    sa.step({ a: g1 }, 0.1);
    b.assign(a);
    const sb = new Sgd({ a: b }, options);
    sb.restore(sa.state());
    sa.step({ a: g2 }, 0.1);
    sb.step({ a: g2 }, 0.1);
    t.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
    t.is(sb.steps, 2);
    t.throws(() => sb.step({}, 0.1), { message: /no gradient for parameter 'a'/ });
    for (const x of [a, b, g1, g2]) x.dispose();
    sa.dispose();
    sb.dispose();
  });
});
