import test from 'ava';
import { tf } from '../../src/tf.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { createBackbone, type Backbone } from '../../src/backbones/index.js';

test.before(useCpuBackend);

/** Training-mode batch norm from plain tf ops (tfjs's own gradients). */
function plainBn(x: tf.Tensor4D, w: Record<string, tf.Tensor>, prefix: string): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, w[`${prefix}/bn/beta`] as tf.Tensor1D, w[`${prefix}/bn/gamma`] as tf.Tensor1D, 1e-5);
}

function convBn(x: tf.Tensor4D, w: Record<string, tf.Tensor>, prefix: string): tf.Tensor4D {
  return plainBn(tf.conv2d(x, w[`${prefix}/kernel`] as tf.Tensor4D, 1, 'same'), w, prefix);
}

/** Conv-4 written directly from its definition with tf.maxPool and tf.relu. */
function referenceConv4(x: tf.Tensor4D, w: Record<string, tf.Tensor>): tf.Tensor2D {
  let out = x;
  for (let b = 1; b <= 4; b++) out = tf.maxPool(tf.relu(convBn(out, w, `block${b}/conv`)), 2, 2, 'valid');
  return out.reshape([x.shape[0], -1]);
}

/** ResNet-12 (no dropout) written directly from MetaOptNet's definition with tfjs ops. */
function referenceResNet12(x: tf.Tensor4D, w: Record<string, tf.Tensor>): tf.Tensor2D {
  let out = x;
  for (let b = 1; b <= 4; b++) {
    const p = `block${b}`;
    let y = tf.leakyRelu(convBn(out, w, `${p}/conv1`), 0.1);
    y = tf.leakyRelu(convBn(y, w, `${p}/conv2`), 0.1);
    y = convBn(y, w, `${p}/conv3`);
    out = tf.maxPool(tf.leakyRelu(y.add(convBn(out, w, `${p}/shortcut`)), 0.1), 2, 2, 'valid');
  }
  return out.reshape([x.shape[0], -1]);
}

function compareWithReference(t: import('ava').ExecutionContext, backbone: Backbone, reference: typeof referenceConv4, side: number) {
  tf.tidy(() => {
    const x = tf.randomUniform([3, side, side, 3], -1, 1, 'float32', 21) as tf.Tensor4D;
    const target = tf.randomNormal([3, backbone.outputDim(side, side)], 0, 1, 'float32', 22);
    const loss = (y: tf.Tensor2D) => y.sub(target).square().mean() as tf.Scalar;
    const ours = tf.variableGrads(() => loss(backbone.embed(x, { training: true })), backbone.variables);
    const theirs = tf.variableGrads(() => loss(reference(x, backbone.trainable)), backbone.variables);
    t.true(Math.abs(ours.value.dataSync()[0]! - theirs.value.dataSync()[0]!) < 1e-5);
    for (const [name, variable] of Object.entries(backbone.trainable)) {
      const a = ours.grads[variable.name]!;
      const b = theirs.grads[variable.name]!;
      const scale = b.abs().max().dataSync()[0]!;
      const err = a.sub(b).abs().max().dataSync()[0]!;
      t.true(err <= 1e-4 * Math.max(scale, 1e-3), `${name}: max error ${err} at scale ${scale}`);
    }
  });
}

test.serial('conv4 training gradients equal those of a plain-tfjs Conv-4 with the same weights', async (t) => {
  await withNoLeaks(t, () => {
    const backbone = createBackbone({ name: 'conv4', channels: 4, seed: 3 });
    compareWithReference(t, backbone, referenceConv4, 20);
    backbone.dispose();
  });
});

test.serial('resnet12 training gradients equal those of a plain-tfjs ResNet-12 with the same weights', async (t) => {
  await withNoLeaks(t, () => {
    const backbone = createBackbone({ name: 'resnet12', widths: [3, 4, 5, 6], dropRate: 0, seed: 4 });
    compareWithReference(t, backbone, referenceResNet12, 20);
    backbone.dispose();
  });
});
