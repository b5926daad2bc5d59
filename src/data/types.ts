/** The split model every reader produces: named classes, each with uint8 HWC images behind an index. */

export type SplitName = 'train' | 'val' | 'test';
export const SPLIT_NAMES: readonly SplitName[] = ['train', 'val', 'test'];

/** A class of a split: its name (e.g. a WordNet id or CIFAR name) and how many images it has. */
export interface ClassInfo {
  name: string;
  count: number;
}

/** What a split is, without pixels: enough to make and verify episode manifests. */
export interface SplitDescription {
  dataset: string;
  split: SplitName;
  classes: ClassInfo[];
}

/** A split with its pixels: `image(c, i)` is image i of class c, uint8, HWC, length H*W*C. */
export interface FewShotSplit extends SplitDescription {
  height: number;
  width: number;
  channels: number;
  image(classIndex: number, imageIndex: number): Uint8Array;
}
