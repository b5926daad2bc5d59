import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { tf } from '../../src/tf.js';
import {
  COLOR_PERMUTATIONS,
  defineLabelTransform,
  getLabelTransform,
  listLabelTransforms,
  registerLabelTransform,
  rot90,
  rot90OnHost,
  rot90WithOps,
  rotationPermutationCopy,
  transformedCopies,
} from '../../src/transforms/index.js';
import { useCpuBackend, withNoLeaks } from '../helpers/tf.js';

test.before(useCpuBackend);
// Serial: withNoLeaks counts live tensors process-wide, so tests of this file must not interleave.

/** A [1,2,2,1] image [[1,2],[3,4]]. */
const known2x2 = () => tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);

/** Direct reference of numpy.rot90(x, 1, axes=(0, 1)) on one HWC image: out[h][w] = in[w][W-1-h]. */
function rot90Reference(img: number[][][]): number[][][] {
  const H = img.length;
  const W = img[0]!.length;
  return Array.from({ length: W }, (_, h) => Array.from({ length: H }, (_, w) => img[w]![W - 1 - h]!));
}

test.serial('rot90 of the known 2x2 image matches numpy.rot90 (counter-clockwise) for k = 0..3', async (t) => {
  await withNoLeaks(t, () => {
    const x = known2x2();
    const expected = [
      [[1, 2], [3, 4]],
      [[2, 4], [1, 3]], // numpy.rot90([[1,2],[3,4]]) = [[2,4],[1,3]]
      [[4, 3], [2, 1]],
      [[3, 1], [4, 2]],
    ];
    for (let k = 0; k < 4; k++) {
      const r = rot90(x, k);
      t.deepEqual(tf.tidy(() => r.reshape([2, 2]).arraySync()), expected[k], `k=${k}`);
      r.dispose();
    }
    const minus = rot90(x, -1);
    t.deepEqual(tf.tidy(() => minus.reshape([2, 2]).arraySync()), expected[3], 'k=-1 is k=3');
    minus.dispose();
    x.dispose();
  });
});

test.serial('rot90 agrees with the index reference on a 3x3x2 image and composes', async (t) => {
  await withNoLeaks(t, () => {
    const img = Array.from({ length: 3 }, (_, h) => Array.from({ length: 3 }, (_, w) => [h * 3 + w, 100 + h * 3 + w]));
    const x = tf.tensor4d([img]);
    let ref = img;
    for (let k = 1; k < 4; k++) {
      ref = rot90Reference(ref);
      const r = rot90(x, k);
      t.deepEqual((r.arraySync() as number[][][][])[0], ref, `k=${k}`);
      r.dispose();
    }
    tf.tidy(() => {
      t.deepEqual(rot90(rot90(x, 1), 1).arraySync(), rot90(x, 2).arraySync());
      t.deepEqual(rot90(x, 4).arraySync(), x.arraySync());
    });
    x.dispose();
  });
});

test.serial('rot90: the host (index-mapping) path equals the tfjs-ops path, non-square, batched, float and int', async (t) => {
  await withNoLeaks(t, () => {
    const values = Array.from({ length: 2 * 3 * 5 * 2 }, (_, i) => i * 7 - 30);
    for (const dtype of ['float32', 'int32'] as const) {
      const x = tf.tensor4d(values, [2, 3, 5, 2], dtype);
      for (let turns = 1; turns < 4; turns++) {
        tf.tidy(() => {
          const host = rot90OnHost(x, turns);
          const ops = rot90WithOps(x, turns);
          t.deepEqual(host.shape, ops.shape, `${dtype} k=${turns}`);
          t.is(host.dtype, dtype);
          t.deepEqual(host.arraySync(), ops.arraySync(), `${dtype} k=${turns}`);
        });
      }
      x.dispose();
    }
  });
});

test.serial('rotation set lays copies out query-major: row b*4 + j is copy j of image b', async (t) => {
  await withNoLeaks(t, () => {
    const rotation = getLabelTransform('rotation');
    t.is(rotation.count, 4);
    t.deepEqual(rotation.copyNames, ['identity', 'rot90', 'rot180', 'rot270']);
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]);
    const out = rotation.apply(x);
    t.deepEqual(out.shape, [8, 2, 2, 1]);
    const rows = tf.tidy(() => out.reshape([8, 4]).arraySync()) as number[][];
    for (let b = 0; b < 2; b++) {
      for (let j = 0; j < 4; j++) {
        const single = tf.tidy(() => rot90(x.slice([b, 0, 0, 0], [1, 2, 2, 1]), j).reshape([4]).arraySync());
        t.deepEqual(rows[b * 4 + j], single, `b=${b} j=${j}`);
        const viaCopy = (tf.tidy(() => rotation.applyCopy(x, j).reshape([2, 4]).arraySync()) as number[][])[b];
        t.deepEqual(viaCopy, single);
      }
    }
    out.dispose();
    x.dispose();
  });
});

test.serial('colorperm copies are the RGB orders of itertools.permutations, identity first', async (t) => {
  await withNoLeaks(t, () => {
    const expectedOrders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    t.deepEqual(COLOR_PERMUTATIONS, expectedOrders);
    const colorperm = getLabelTransform('colorperm');
    t.is(colorperm.count, 6);
    const x = tf.tensor4d([10, 20, 30], [1, 1, 1, 3]);
    const out = colorperm.apply(x);
    const rgb = [10, 20, 30];
    t.deepEqual(tf.tidy(() => out.reshape([6, 3]).arraySync()), expectedOrders.map((o) => o.map((c) => rgb[c]!)));
    out.dispose();
    const cyclic = getLabelTransform('colorperm3');
    const out3 = cyclic.apply(x);
    t.deepEqual(tf.tidy(() => out3.reshape([3, 3]).arraySync()), [
      [10, 20, 30],
      [20, 30, 10],
      [30, 10, 20],
    ]);
    out3.dispose();
    x.dispose();
  });
});

test.serial('product sets are rotation-major: copy j = r * P + p is permutation p, then rotation r', async (t) => {
  await withNoLeaks(t, () => {
    const sets: [string, number[], number[][]][] = [
      ['rotation2+colorperm3', [0, 2], [[0, 1, 2], [1, 2, 0], [2, 0, 1]]],
      ['rotation+colorperm3', [0, 1, 2, 3], [[0, 1, 2], [1, 2, 0], [2, 0, 1]]],
      ['rotation+colorperm', [0, 1, 2, 3], COLOR_PERMUTATIONS as number[][]],
    ];
    const x = tf.tensor4d(Array.from({ length: 12 }, (_, i) => i), [1, 2, 2, 3]);
    for (const [name, turns, orders] of sets) {
      const set = getLabelTransform(name);
      t.is(set.count, turns.length * orders.length, name);
      const out = set.apply(x);
      const got = out.arraySync();
      turns.forEach((k, r) => {
        orders.forEach((order, p) => {
          const expected = tf.tidy(() => rot90(tf.gather(x, order, 3), k).arraySync()[0]);
          t.deepEqual(got[r * orders.length + p], expected, `${name} r=${r} p=${p}`);
        });
      });
      out.dispose();
    }
    x.dispose();
  });
});

test.serial('registry: built-in names and M, unknown names list the choices, users can add a set', (t) => {
  const counts = Object.fromEntries(listLabelTransforms().map((s) => [s.name, s.count]));
  t.like(counts, {
    none: 1,
    rotation: 4,
    rotation2: 2,
    colorperm: 6,
    colorperm3: 3,
    'rotation2+colorperm3': 6,
    'rotation+colorperm3': 12,
    'rotation+colorperm': 24,
  });
  for (const s of listLabelTransforms()) t.is(s.copyNames[0], 'identity', `${s.name} starts with the identity`);
  const err = t.throws(() => getLabelTransform('rotate'), { instanceOf: UsageError });
  t.regex(err!.message, /unknown transformation set 'rotate'.*rotation/);
  t.notRegex(err!.message, /\n/);
  registerLabelTransform(defineLabelTransform('test-flipud', 'test set', [rotationPermutationCopy(0), {
    name: 'flipud',
    apply: (images) => tf.reverse(images, 1),
  }]));
  t.is(getLabelTransform('test-flipud').count, 2);
});

test.serial('odd rotations refuse non-square images, rotation2 takes them; colour sets need 3 channels', async (t) => {
  await withNoLeaks(t, () => {
    const wide = tf.zeros([2, 2, 3, 3]) as tf.Tensor4D;
    const err = t.throws(() => getLabelTransform('rotation').apply(wide), { instanceOf: UsageError });
    t.regex(err!.message, /square.*2x3.*rotation2/);
    const out = getLabelTransform('rotation2').apply(wide);
    t.deepEqual(out.shape, [4, 2, 3, 3]);
    out.dispose();
    const grey = tf.zeros([1, 2, 2, 1]) as tf.Tensor4D;
    t.throws(() => getLabelTransform('colorperm').apply(grey), { instanceOf: UsageError, message: /3-channel.*1 channel/ });
    const rotGrey = getLabelTransform('rotation').apply(grey);
    t.deepEqual(rotGrey.shape, [4, 2, 2, 1]);
    rotGrey.dispose();
    t.throws(() => getLabelTransform('rotation').applyCopy(grey, 4), { instanceOf: UsageError });
    wide.dispose();
    grey.dispose();
  });
});

test.serial('int32 (uint8-valued) images keep their dtype; transformedCopies returns uint8 copies', async (t) => {
  await withNoLeaks(t, () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1], 'int32');
    const out = getLabelTransform('rotation').apply(x);
    t.is(out.dtype, 'int32');
    out.dispose();
    x.dispose();
    const copies = transformedCopies(getLabelTransform('rotation'), [Uint8Array.from([1, 2, 3, 4])], { height: 2, width: 2, channels: 1 });
    t.deepEqual(copies.map((c) => Array.from(c)), [[1, 2, 3, 4], [2, 4, 1, 3], [4, 3, 2, 1], [3, 1, 4, 2]]);
  });
});
