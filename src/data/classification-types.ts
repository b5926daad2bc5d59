/**
 * The whole-class classification model of a dataset: every class of the dataset, a train set and
 * a test set of labelled images (and optionally a held-out validation set). Few-shot datasets read
 * this way use all their classes with a seeded per-class split of their images.
 */

/** Labelled uint8 HWC images: image i has class `labels[i]` (0..C-1). */
export interface LabelledImages {
  height: number;
  width: number;
  channels: number;
  /** Class index of every image, in image order. */
  labels: Int32Array;
  /** Image i, uint8 HWC, length height*width*channels (a view: do not modify). */
  image(index: number): Uint8Array;
}

/** A dataset read as whole-class classification. */
export interface ClassificationData {
  /** Dataset name, e.g. `cifar-100` or `tiny-imagenet-fs`. */
  dataset: string;
  /** Class names; label c is `classes[c]`. */
  classes: string[];
  train: LabelledImages;
  test: LabelledImages;
  /** Held-out validation images when asked for (e.g. the SLA reference code's 5,000 CIFAR images). */
  val?: LabelledImages;
  /** One line saying how train/test (and val) were formed, for reports and run summaries. */
  description: string;
  /** SHA-256 of the test set's identity (image bytes and labels, in order): per-image results are comparable when equal. */
  testHash: string;
}

/** Long-tailed training set: exponential profile n_i = n_max * ratio^(-i/(C-1)), or step (half the classes at n_max/ratio). */
export interface ImbalanceOptions {
  profile: 'exp' | 'step';
  /** n_max / n_min (e.g. 100 or 10). */
  ratio: number;
  /** Images of the largest class; default the smallest class size of the balanced training set. */
  maxPerClass?: number;
}

/** How to form the classification data from a prepared dataset. */
export interface ClassificationOptions {
  /** jointshot data dir holding the packed caches. */
  dataDir: string;
  /** Seed of the training-set choices (--per-class subsets, imbalance). */
  seed: number;
  /**
   * Few-shot datasets read whole-class: seed of the per-class train/test split (default 0), apart
   * from `seed` so that runs with different training seeds share one test set.
   */
  splitSeed?: number;
  /** Few-shot datasets read whole-class: use only the classes of these splits (default all; `['train']` for pretraining on base classes). */
  splits?: ('train' | 'val' | 'test')[];
  /** Few-shot datasets read whole-class: test images per class (default 50). */
  testPerClass?: number;
  /** Keep only K (seeded) training images per class. */
  perClass?: number;
  /** Make the training set long-tailed (the test set stays balanced). */
  imbalance?: ImbalanceOptions;
  /** Hold out the validation set the source defines (CIFAR: the SLA reference indices). */
  holdOutVal?: boolean;
}
