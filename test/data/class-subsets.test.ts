import test from 'ava';
import { UsageError } from '../../src/errors.js';
import { limitTraining, longTailCounts, seededOrder, splitClassImages } from '../../src/data/class-subsets.js';

// Reference lists: LDAM-DRW imbalance_cifar.py get_img_num_per_cls (img_max = 50000 / C, imb_factor = 1 / ratio),
// recorded with /usr/bin/python3: int(img_max * (imb_factor ** (i / (C - 1.0)))) for exp; for step
// C // 2 classes of int(img_max) then C // 2 of int(img_max * imb_factor).
const C100_EXP_100 = [
  500, 477, 455, 434, 415, 396, 378, 361, 344, 328, 314, 299, 286, 273, 260, 248, 237, 226, 216, 206, 197, 188, 179, 171, 163, 156, 149, 142, 135, 129,
  123, 118, 112, 107, 102, 98, 93, 89, 85, 81, 77, 74, 70, 67, 64, 61, 58, 56, 53, 51, 48, 46, 44, 42, 40, 38, 36, 35, 33, 32, 30, 29, 27, 26, 25,
  24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 15, 14, 13, 13, 12, 12, 11, 11, 10, 10, 9, 9, 8, 8, 7, 7, 7, 6, 6, 6, 6, 5, 5, 5, 5,
];
const C100_EXP_10 = [
  500, 488, 477, 466, 455, 445, 434, 424, 415, 405, 396, 387, 378, 369, 361, 352, 344, 336, 328, 321, 314, 306, 299, 292, 286, 279, 273, 266, 260,
  254, 248, 243, 237, 232, 226, 221, 216, 211, 206, 201, 197, 192, 188, 183, 179, 175, 171, 167, 163, 159, 156, 152, 149, 145, 142, 139, 135, 132,
  129, 126, 123, 121, 118, 115, 112, 110, 107, 105, 102, 100, 98, 95, 93, 91, 89, 87, 85, 83, 81, 79, 77, 75, 74, 72, 70, 69, 67, 66, 64, 63, 61,
  60, 58, 57, 56, 54, 53, 52, 51, 50,
];
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

test('exp long tail: CIFAR-10 ratio 100 and 10, CIFAR-100 ratio 100 and 10 equal the LDAM-DRW counts', (t) => {
  t.deepEqual(longTailCounts(10, 5000, { profile: 'exp', ratio: 100 }), [5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50]);
  t.deepEqual(longTailCounts(10, 5000, { profile: 'exp', ratio: 10 }), [5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500]);
  t.deepEqual(longTailCounts(100, 500, { profile: 'exp', ratio: 100 }), C100_EXP_100);
  t.deepEqual(longTailCounts(100, 500, { profile: 'exp', ratio: 10 }), C100_EXP_10);
  // the training-set sizes the long-tail literature reports for CIFAR-10-LT / CIFAR-100-LT at ratio 100
  t.is(sum(longTailCounts(10, 5000, { profile: 'exp', ratio: 100 })), 12406);
  t.is(sum(C100_EXP_100), 10847);
  // by hand: n_i = floor(5000 * 100^(-i/9)); e.g. i = 1: 5000 / 100^(1/9) = 2997.6
  t.is(Math.floor(5000 / 100 ** (1 / 9)), 2997);
});

test('step long tail: the second half of the classes get n_max / ratio; odd C keeps the middle class at n_max', (t) => {
  t.deepEqual(longTailCounts(10, 5000, { profile: 'step', ratio: 100 }), [5000, 5000, 5000, 5000, 5000, 50, 50, 50, 50, 50]);
  t.deepEqual(longTailCounts(100, 500, { profile: 'step', ratio: 100 }), [...Array(50).fill(500), ...Array(50).fill(5)]);
  t.deepEqual(longTailCounts(5, 100, { profile: 'step', ratio: 10 }), [100, 100, 100, 10, 10]);
  t.deepEqual(longTailCounts(1, 100, { profile: 'exp', ratio: 10 }), [100]);
  t.deepEqual(longTailCounts(4, 7, { profile: 'exp', ratio: 1 }), [7, 7, 7, 7]);
});

test('bad imbalance: ratio below 1, NaN, unknown profile', (t) => {
  t.throws(() => longTailCounts(10, 500, { profile: 'exp', ratio: 0 }), { instanceOf: UsageError, message: /ratio 0 must be a number >= 1/ });
  t.throws(() => longTailCounts(10, 500, { profile: 'exp', ratio: Number.NaN }), { instanceOf: UsageError });
  t.throws(() => longTailCounts(10, 500, { profile: 'linear' as never, ratio: 10 }), { instanceOf: UsageError, message: /profile 'linear' must be exp or step/ });
});

test('per-class train/test split: disjoint, complete, ascending, seeded per class name', (t) => {
  const a = splitClassImages('n01443537', 550, 50, 0);
  t.is(a.test.length, 50);
  t.is(a.train.length, 500);
  t.deepEqual([...a.train, ...a.test].sort((x, y) => x - y), Array.from({ length: 550 }, (_, i) => i));
  t.deepEqual(a.test, [...a.test].sort((x, y) => x - y));
  t.deepEqual(splitClassImages('n01443537', 550, 50, 0), a);
  t.notDeepEqual(splitClassImages('n01443537', 550, 50, 1).test, a.test);
  t.notDeepEqual(splitClassImages('n01629819', 550, 50, 0).test, a.test);
  t.deepEqual([...seededOrder('x', 3, 'c', 20)].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
});

test('limitTraining picks from the given image indices and keeps subsets nested', (t) => {
  const classes = ['a', 'b', 'c'];
  const train = [[10, 11, 12, 13, 14, 15], [20, 21, 22, 23, 24, 25, 26], [30, 31, 32, 33, 34, 35]];
  t.deepEqual(limitTraining('d', classes, train, { seed: 0 }), train);
  const two = limitTraining('d', classes, train, { seed: 4, perClass: 2 });
  const four = limitTraining('d', classes, train, { seed: 4, perClass: 4 });
  two.forEach((list, c) => {
    t.is(list.length, 2);
    t.true(list.every((i) => four[c]!.includes(i) && train[c]!.includes(i)));
  });
  const tail = limitTraining('d', classes, train, { seed: 4, imbalance: { profile: 'exp', ratio: 6 } });
  t.deepEqual(tail.map((l) => l.length), [6, 2, 1]);
});
