import test from 'ava';
import { tf } from '../../src/tf.js';
import { createBackbone } from '../../src/backbones/index.js';
import { createEpisodeSampler } from '../../src/episodes/index.js';
import { UsageError } from '../../src/errors.js';
import { createHead } from '../../src/heads/index.js';
import { jointCrossEntropy, liftHead } from '../../src/sla/index.js';
import { getLabelTransform, normalizationFor, prepareImages } from '../../src/transforms/index.js';
import { stepGradients, type StepContext } from '../../src/train/index.js';
import { createRng } from '../../src/util/rng.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';
import { tinySplits } from './fixtures.js';
import { referenceLoss } from './step-reference.js';

test.before(useCpuBackend);

/**
 * The gradient of a batch computed by hand in one tape: each episode's images (support then
 * query, class-major) embedded in chunks of `chunk` images (batch-norm statistics per chunk),
 * joint cross-entropy averaged over the episodes.
 */
for (const [transformName, microBatch, chunk] of [
  ['none', 8, 8], // each episode alone fills a pass: two passes, accumulated
  ['none', 4, 4],
  ['rotation', 12, 3],
] as const) {
  test.serial(`step gradients equal a one-tape reference (transform ${transformName}, micro-batch ${microBatch})`, async (t) => {
    const { train } = await tinySplits();
    await withNoLeaks(t, () => {
      const backbone = createBackbone({ name: 'conv4', channels: 3, seed: 2 });
      const transform = getLabelTransform(transformName);
      const head = liftHead(createHead('protonet'), transform.count);
      const params: Record<string, tf.Variable> = { ...backbone.trainable, 'head/0': head.variables[0]! };
      const normalization = normalizationFor('synthetic');
      const sampler = createEpisodeSampler(train.classes.map((c) => c.count), { ways: 2, shots: 2, queries: 2 });
      const episodes = [sampler(createRng(1)), sampler(createRng(2))];
      const ctx: StepContext = { split: train, backbone, head, transform, normalization, augmentRng: createRng(0), labelSmoothing: 0.1, microBatch, params };
      const got = stepGradients(ctx, episodes);
      const names = Object.keys(params);
      const reference = tf.engine().gradients(() => {
        let total = tf.scalar(0);
        for (const e of episodes) {
          const images = [...e.classes.flatMap((c, y) => e.support[y]!.map((i) => train.image(c, i))), ...e.classes.flatMap((c, y) => e.query[y]!.map((i) => train.image(c, i)))];
          const x = tf.tensor4d(prepareImages(images, { shape: { height: 16, width: 16, channels: 3 }, normalization }), [images.length, 16, 16, 3]);
          const parts: tf.Tensor2D[] = [];
          for (let from = 0; from < images.length; from += chunk) {
            parts.push(backbone.embed(transform.apply(x.slice(from, Math.min(chunk, images.length - from))), { training: true }));
          }
          const emb = tf.concat(parts);
          const nS = 4 * transform.count;
          const joint = head.jointLogits(emb.slice(0, nS), tf.tensor1d([0, 0, 1, 1], 'int32'), emb.slice(nS), 2);
          total = total.add(jointCrossEntropy(joint, tf.tensor1d([0, 0, 1, 1], 'int32'), transform.count, { labelSmoothing: 0.1 }).div(2));
        }
        return total;
      }, names.map((n) => params[n]!));
      t.true(Math.abs(got.loss - reference.value.dataSync()[0]!) < 1e-5, `loss ${got.loss} vs ${reference.value.dataSync()[0]}`);
      t.is(got.images, 16 * transform.count);
      names.forEach((name, i) => {
        const [diff, scale] = tf.tidy(() => [got.grads[name]!.sub(reference.grads[i]!).abs().max().dataSync()[0]!, reference.grads[i]!.abs().max().dataSync()[0]!]);
        t.true(diff! <= 1e-4 * Math.max(1, scale!), `${name}: max |diff| ${diff} (max |grad| ${scale})`);
      });
      reference.value.dispose();
      reference.grads.forEach((g) => g.dispose());
      Object.values(got.grads).forEach((g) => g.dispose());
      backbone.dispose();
      head.dispose();
    });
  });
}

/**
 * `support-query` and `episode` grouping against a direct computation: the supports of all
 * episodes embedded in one call and the queries in another (or each episode in its own call), the
 * per-episode joint cross-entropy by hand. One tape (large micro-batch) and the replayed two-pass
 * path (micro-batch = the largest group) must both give its loss, gradients, running statistics
 * and DropBlock counter.
 */
for (const [grouping, transformName, microBatch, passes] of [
  ['support-query', 'rotation', 256, 1], // both groups in one tape
  ['support-query', 'rotation', 48, 4], // two passes, each replayed
  ['support-query', 'none', 12, 4],
  ['episode', 'rotation', 32, 3], // one episode per pass
  ['episode', 'none', 8, 3],
] as const) {
  test.serial(`bnGrouping ${grouping} equals a direct computation (transform ${transformName}, micro-batch ${microBatch})`, async (t) => {
    const { train } = await tinySplits();
    await withNoLeaks(t, () => {
      const transform = getLabelTransform(transformName);
      const M = transform.count;
      const make = () => {
        const backbone = createBackbone({ name: 'conv4', channels: 3, seed: 2 });
        const head = liftHead(createHead('protonet'), M);
        return { backbone, head, params: { ...backbone.trainable, 'head/0': head.variables[0]! } as Record<string, tf.Variable> };
      };
      const mine = make();
      const ref = make();
      const normalization = normalizationFor('synthetic');
      const sampler = createEpisodeSampler(train.classes.map((c) => c.count), { ways: 2, shots: 1, queries: 2 });
      const episodes = [sampler(createRng(1)), sampler(createRng(2)), sampler(createRng(3))];
      const ctx: StepContext = { split: train, backbone: mine.backbone, head: mine.head, transform, normalization, augmentRng: createRng(0), labelSmoothing: 0.1, microBatch, bnGrouping: grouping, params: mine.params };
      const got = stepGradients(ctx, episodes);
      const names = Object.keys(mine.params);
      const nS = 2 * M;
      const nQ = 4 * M;
      const reference = tf.engine().gradients(
        () => referenceLoss({ split: train, backbone: ref.backbone, head: ref.head, transform, normalization, labelSmoothing: 0.1, episodes, grouping }),
        names.map((n) => ref.params[n]!),
      );
      const expectedGroups = grouping === 'support-query' ? [3 * nS, 3 * nQ] : [nS + nQ, nS + nQ, nS + nQ];
      t.deepEqual(got.bnGroups, expectedGroups);
      t.is(got.passes, passes);
      t.true(Math.abs(got.loss - reference.value.dataSync()[0]!) < 1e-6, `loss ${got.loss} vs ${reference.value.dataSync()[0]}`);
      names.forEach((name, i) => {
        const [diff, scale] = tf.tidy(() => [got.grads[name]!.sub(reference.grads[i]!).abs().max().dataSync()[0]!, reference.grads[i]!.abs().max().dataSync()[0]!]);
        t.true(diff! <= 1e-5 * Math.max(1, scale!), `${name}: max |diff| ${diff} (max |grad| ${scale})`);
      });
      for (const [name, v] of Object.entries(mine.backbone.state)) {
        const diff = tf.tidy(() => v.sub(ref.backbone.state[name]!).abs().max().dataSync()[0]!);
        t.true(diff <= 1e-6, `running statistic ${name} differs by ${diff}`);
      }
      t.is(mine.backbone.trainingCalls, ref.backbone.trainingCalls);
      reference.value.dispose();
      reference.grads.forEach((g) => g.dispose());
      Object.values(got.grads).forEach((g) => g.dispose());
      for (const m of [mine, ref]) {
        m.backbone.dispose();
        m.head.dispose();
      }
    });
  });
}

test.serial('a batch-norm group larger than the micro-batch is a one-line UsageError naming the size needed', async (t) => {
  const { train } = await tinySplits();
  await withNoLeaks(t, () => {
    const backbone = createBackbone({ name: 'conv4', channels: 3, seed: 2 });
    const transform = getLabelTransform('rotation');
    const head = liftHead(createHead('protonet'), transform.count);
    const sampler = createEpisodeSampler(train.classes.map((c) => c.count), { ways: 2, shots: 1, queries: 2 });
    const ctx: StepContext = {
      split: train, backbone, head, transform, normalization: normalizationFor('synthetic'), augmentRng: createRng(0), labelSmoothing: 0,
      microBatch: 20, bnGrouping: 'support-query', params: { ...backbone.trainable, 'head/0': head.variables[0]! },
    };
    const error = t.throws(() => stepGradients(ctx, [sampler(createRng(1)), sampler(createRng(2)), sampler(createRng(3))]), { instanceOf: UsageError });
    t.regex(error!.message, /puts 48 images .* more than microBatch 20: set microBatch >= 48/);
    t.notRegex(error!.message, /\n/);
    backbone.dispose();
    head.dispose();
  });
});
