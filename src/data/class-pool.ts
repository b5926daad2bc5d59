/**
 * Classes with their images behind an index (one or more loaded splits side by side), and
 * labelled-image views that pick images out of them without copying pixels.
 */
import { createHash } from 'node:crypto';
import { DataError, UsageError } from '../errors.js';
import type { LabelledImages } from './classification-types.js';
import type { FewShotSplit } from './types.js';

/** Classes 0..C-1 with `counts[c]` images each; `image(c, i)` is a uint8 HWC view. */
export interface ClassPool {
  classes: string[];
  counts: number[];
  height: number;
  width: number;
  channels: number;
  image(classIndex: number, imageIndex: number): Uint8Array;
}

/** The classes of `splits` one after the other (split order, then class order within a split). */
export function poolOfSplits(splits: readonly FewShotSplit[]): ClassPool {
  const first = splits[0];
  if (!first) throw new DataError('no split to read classes from');
  const owner: { split: FewShotSplit; local: number }[] = [];
  for (const split of splits) {
    if (split.height !== first.height || split.width !== first.width || split.channels !== first.channels) {
      throw new DataError(
        `${split.dataset}/${split.split} images are ${split.height}x${split.width}x${split.channels}, ${first.dataset}/${first.split} ones ${first.height}x${first.width}x${first.channels}: prepare all splits at one --size`,
      );
    }
    split.classes.forEach((_, local) => owner.push({ split, local }));
  }
  return {
    classes: owner.map((o) => o.split.classes[o.local]!.name),
    counts: owner.map((o) => o.split.classes[o.local]!.count),
    height: first.height,
    width: first.width,
    channels: first.channels,
    image: (c, i) => {
      const o = owner[c];
      if (!o) throw new DataError(`class ${c} is outside 0..${owner.length - 1}`);
      return o.split.image(o.local, i);
    },
  };
}

/** Labelled images: for each class c (the label), the images `picks[c]` of `pool`'s class c, class-major. */
export function pickImages(pool: ClassPool, picks: readonly (readonly number[])[]): LabelledImages {
  const total = picks.reduce((n, p) => n + p.length, 0);
  const labels = new Int32Array(total);
  const within = new Int32Array(total);
  let k = 0;
  picks.forEach((list, c) => {
    for (const i of list) {
      labels[k] = c;
      within[k++] = i;
    }
  });
  return {
    height: pool.height,
    width: pool.width,
    channels: pool.channels,
    labels,
    image(index: number): Uint8Array {
      if (!Number.isInteger(index) || index < 0 || index >= total) throw new UsageError(`image ${index} is outside 0..${total - 1}`);
      return pool.image(labels[index]!, within[index]!);
    },
  };
}

/** Images per class of `images` (index = label), for reports and checks. */
export function classCounts(images: LabelledImages, classes?: number): number[] {
  let max = -1;
  for (const l of images.labels) if (l > max) max = l;
  const counts = new Array<number>(Math.max(classes ?? 0, max + 1)).fill(0);
  for (const l of images.labels) counts[l]!++;
  return counts;
}

/** SHA-256 (hex) of a labelled set: its shape, then every image's label (int32 LE) and bytes, in order. */
export function labelledImagesHash(images: LabelledImages): string {
  const hash = createHash('sha256');
  hash.update(`${images.height}x${images.width}x${images.channels}:${images.labels.length}\n`);
  const label = Buffer.alloc(4);
  images.labels.forEach((l, i) => {
    label.writeInt32LE(l);
    hash.update(label);
    hash.update(images.image(i));
  });
  return hash.digest('hex');
}
