/**
 * The built-in label transformation sets (those of the SLA reference code). To add a set: write a
 * `LabelTransform` (see `defineLabelTransform`) in its own file and add it to `BUILTIN_LABEL_TRANSFORMS`.
 */
import { UsageError } from '../errors.js';
import { tf } from '../tf.js';
import { isIdentityOrder, permutationsOf, permuteChannels, rot90 } from './geometric.js';
import { defineLabelTransform, type LabelTransform, type TransformCopy } from './label-transform.js';

/** The six RGB channel orders in `itertools.permutations` order, identity first. */
export const COLOR_PERMUTATIONS: readonly (readonly number[])[] = permutationsOf(3);
/** The identity and the two cyclic shifts of RGB (the reference code's 3-permutation subset). */
export const CYCLIC_COLOR_PERMUTATIONS: readonly (readonly number[])[] = [
  [0, 1, 2],
  [1, 2, 0],
  [2, 0, 1],
];

/** The copy "permute channels to `order`, then rotate by k quarter turns counter-clockwise". */
export function rotationPermutationCopy(quarterTurns: number, order?: readonly number[]): TransformCopy {
  const permute = order !== undefined && !isIdentityOrder(order);
  const parts = [
    quarterTurns % 4 !== 0 ? `rot${(quarterTurns % 4) * 90}` : '',
    permute ? `ch(${order.join(',')})` : '',
  ].filter((p) => p !== '');
  return {
    name: parts.join('+') || 'identity',
    check(shape) {
      const [, h, w, c] = shape;
      if (quarterTurns % 2 === 1 && h !== w) {
        throw new UsageError(
          `rotation by ${(quarterTurns % 4) * 90} degrees needs square images, found ${h}x${w}: resize or crop to square, or use the 'rotation2' set (0/180)`,
        );
      }
      if (order !== undefined && c !== order.length) {
        throw new UsageError(`colour permutation needs ${order.length}-channel images, found ${c} channel(s)`);
      }
    },
    apply(images) {
      return tf.tidy(() => rot90(permute ? permuteChannels(images, order) : images, quarterTurns));
    },
  };
}

/** The product set: rotation-major, index j = r * orders.length + p (the reference code's order). */
export function rotationColorProduct(
  name: string,
  description: string,
  quarterTurns: readonly number[],
  orders: readonly (readonly number[])[],
): LabelTransform {
  const copies = quarterTurns.flatMap((k) => orders.map((o) => rotationPermutationCopy(k, o)));
  return defineLabelTransform(name, description, copies);
}

/** Rotations only (no channel requirement): one copy per entry of `quarterTurns`. */
export function rotationSet(name: string, description: string, quarterTurns: readonly number[]): LabelTransform {
  return defineLabelTransform(name, description, quarterTurns.map((k) => rotationPermutationCopy(k)));
}

/** The sets jointshot ships with; the first is the default for "no SLA". */
export const BUILTIN_LABEL_TRANSFORMS: readonly LabelTransform[] = [
  rotationSet('none', 'no label augmentation (M=1): the plain few-shot problem', [0]),
  rotationSet('rotation', 'rotations by 0/90/180/270 degrees counter-clockwise (M=4; square images)', [0, 1, 2, 3]),
  rotationSet('rotation2', 'rotations by 0/180 degrees (M=2; any aspect ratio)', [0, 2]),
  rotationColorProduct('colorperm', 'all 6 RGB channel orders, itertools.permutations order (M=6)', [0], COLOR_PERMUTATIONS),
  rotationColorProduct('colorperm3', 'RGB identity and its two cyclic shifts (M=3)', [0], CYCLIC_COLOR_PERMUTATIONS),
  rotationColorProduct('rotation2+colorperm3', '{0,180} rotations x cyclic RGB shifts, j = 3*r + p (M=6)', [0, 2], CYCLIC_COLOR_PERMUTATIONS),
  rotationColorProduct('rotation+colorperm3', '4 rotations x cyclic RGB shifts, j = 3*r + p (M=12; square images)', [0, 1, 2, 3], CYCLIC_COLOR_PERMUTATIONS),
  rotationColorProduct('rotation+colorperm', '4 rotations x 6 RGB orders, j = 6*r + p (M=24; square images)', [0, 1, 2, 3], COLOR_PERMUTATIONS),
];
