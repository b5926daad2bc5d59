import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackbone } from '../../src/backbones/index.js';
import { parseHeadOptions } from '../../src/cli/commands/eval.js';
import { UsageError } from '../../src/errors.js';
import { loadEvalModel } from '../../src/eval/index.js';
import { createHead } from '../../src/heads/index.js';
import type { SvmHead } from '../../src/heads/svm.js';
import { tf } from '../../src/tf.js';
import { saveModel } from '../../src/train/index.js';
import { getLabelTransform, normalizationFor } from '../../src/transforms/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);

test('--head-option values: JSON numbers and booleans, other text as strings; KEY=VALUE required', (t) => {
  t.deepEqual(parseHeadOptions(['maxIter=3', 'C=0.01', 'r2d2=true', 'name=x=y']), { maxIter: 3, C: 0.01, r2d2: true, name: 'x=y' });
  const error = t.throws(() => parseHeadOptions(['maxIter']), { instanceOf: UsageError });
  t.regex(error!.message, /--head-option expects KEY=VALUE/);
});

test.serial("head option overrides reach a trained model's head and keep its trained variables", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-head-options-'));
  try {
    await withNoLeaks(t, async () => {
      const file = join(dir, 'svm.jsm');
      const backbone = createBackbone({ name: 'conv4', channels: 4, seed: 2 });
      const head = createHead('svm', { C: 0.05 });
      tf.tidy(() => head.variables[0]!.assign(tf.scalar(2.5)));
      await saveModel(file, {
        backbone, head, headName: 'svm', headOptions: { C: 0.05 }, transform: getLabelTransform('none'), dataset: 'synthetic',
        normalization: normalizationFor('synthetic'), imageSize: { height: 16, width: 16, channels: 3 },
      });
      backbone.dispose();
      head.dispose();
      const loaded = await loadEvalModel(file, { dataset: 'synthetic', headOptionOverrides: { maxIter: 3 } });
      try {
        t.deepEqual(loaded.model.headOptions, { C: 0.05, maxIter: 3 });
        t.is(loaded.model.head.variables[0]!.dataSync()[0], 2.5);
        tf.tidy(() => {
          const x = tf.tensor2d([[1, 0], [0, 1], [1, 1], [0.5, -1]]);
          loaded.model.head.logits(x, tf.tensor1d([0, 1, 0, 1], 'int32'), x, 2);
        });
        t.is((loaded.model.head as SvmHead).lastSolutions[0]!.qpth?.iterations, 3);
      } finally {
        loaded.dispose();
      }
      await t.throwsAsync(loadEvalModel(file, { dataset: 'synthetic', headOptionOverrides: { maxIter: -1 } }), { instanceOf: UsageError });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
