/**
 * CIFAR-FS class split (Bertinetto et al., ICLR 2019): 64/16/20 CIFAR-100 fine classes.
 * Copied from ArnoutDevos/maml-cifar-fs (MIT), files {train,val,test}.txt, in their line order;
 * that order is the class order of the split (see PROVENANCE.md).
 */

export const CIFAR_FS_TRAIN: readonly string[] = [
  'train', 'skyscraper', 'turtle', 'raccoon', 'spider', 'orange',
  'castle', 'keyboard', 'clock', 'pear', 'girl', 'seal',
  'elephant', 'apple', 'aquarium_fish', 'bus', 'mushroom', 'possum',
  'squirrel', 'chair', 'tank', 'plate', 'wolf', 'road',
  'mouse', 'boy', 'shrew', 'couch', 'sunflower', 'tiger',
  'caterpillar', 'lion', 'streetcar', 'lawn_mower', 'tulip', 'forest',
  'dolphin', 'cockroach', 'bear', 'porcupine', 'bee', 'hamster',
  'lobster', 'bowl', 'can', 'bottle', 'trout', 'snake',
  'bridge', 'pine_tree', 'skunk', 'lizard', 'cup', 'kangaroo',
  'oak_tree', 'dinosaur', 'rabbit', 'orchid', 'willow_tree', 'ray',
  'palm_tree', 'mountain', 'house', 'cloud',
];

export const CIFAR_FS_VAL: readonly string[] = [
  'otter', 'motorcycle', 'television', 'lamp', 'crocodile', 'shark',
  'butterfly', 'beaver', 'beetle', 'tractor', 'flatfish', 'maple_tree',
  'camel', 'crab', 'sea', 'cattle',
];

export const CIFAR_FS_TEST: readonly string[] = [
  'baby', 'bed', 'bicycle', 'chimpanzee', 'fox', 'leopard',
  'man', 'pickup_truck', 'plain', 'poppy', 'rocket', 'rose',
  'snail', 'sweet_pepper', 'table', 'telephone', 'wardrobe', 'whale',
  'woman', 'worm',
];
