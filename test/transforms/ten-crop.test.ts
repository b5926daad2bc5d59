import test from 'ava';
import { tenCropDraws, tenCropView } from '../../src/transforms/ten-crop.js';

const shape = { height: 3, width: 3, channels: 1 };
const identity = { mean: [0], std: [1] };
// the image 1 2 3 / 4 5 6 / 7 8 9
const image = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
const view = (v: number) => Array.from(tenCropView([image], shape, 1, v, identity));

test('ten-crop: the four corners and the centre of the image padded by P, at the original size', (t) => {
  t.deepEqual(view(0), [0, 0, 0, 0, 1, 2, 0, 4, 5], 'top-left');
  t.deepEqual(view(1), [0, 0, 0, 2, 3, 0, 5, 6, 0], 'top-right');
  t.deepEqual(view(2), [0, 4, 5, 0, 7, 8, 0, 0, 0], 'bottom-left');
  t.deepEqual(view(3), [5, 6, 0, 8, 9, 0, 0, 0, 0], 'bottom-right');
  t.deepEqual(view(4), [1, 2, 3, 4, 5, 6, 7, 8, 9], 'centre = the image itself');
});

test('ten-crop: views 5-9 are the mirrors of views 0-4', (t) => {
  const mirror = (a: number[]) => [0, 1, 2].flatMap((y) => [2, 1, 0].map((x) => a[y * 3 + x]!));
  for (let v = 0; v < 5; v++) t.deepEqual(view(v + 5), mirror(view(v)), `view ${v + 5}`);
  t.is(tenCropDraws(4).length, 10);
});

test('ten-crop: normalisation is applied and bad views are refused', (t) => {
  t.deepEqual(Array.from(tenCropView([image], shape, 1, 4, { mean: [1], std: [2] })), [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4]);
  t.throws(() => tenCropView([image], shape, 1, 10, identity), { message: /views 0\.\.9/ });
  t.throws(() => tenCropView([image], shape, -1, 0, identity), { message: /padding must be an integer >= 0/ });
});
