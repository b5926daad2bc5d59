/**
 * CIFAR-100 label names (Krizhevsky, 2009). Fine labels 0..99 and coarse labels 0..19 are the
 * alphabetical order of their names, as in the official `meta` file; each superclass holds five
 * fine classes (see PROVENANCE.md).
 */

/** The 20 superclasses and their five fine classes each, superclasses in coarse-label order. */
export const CIFAR100_SUPERCLASSES: Readonly<Record<string, readonly string[]>> = {
  aquatic_mammals: ['beaver', 'dolphin', 'otter', 'seal', 'whale'],
  fish: ['aquarium_fish', 'flatfish', 'ray', 'shark', 'trout'],
  flowers: ['orchid', 'poppy', 'rose', 'sunflower', 'tulip'],
  food_containers: ['bottle', 'bowl', 'can', 'cup', 'plate'],
  fruit_and_vegetables: ['apple', 'mushroom', 'orange', 'pear', 'sweet_pepper'],
  household_electrical_devices: ['clock', 'keyboard', 'lamp', 'telephone', 'television'],
  household_furniture: ['bed', 'chair', 'couch', 'table', 'wardrobe'],
  insects: ['bee', 'beetle', 'butterfly', 'caterpillar', 'cockroach'],
  large_carnivores: ['bear', 'leopard', 'lion', 'tiger', 'wolf'],
  'large_man-made_outdoor_things': ['bridge', 'castle', 'house', 'road', 'skyscraper'],
  large_natural_outdoor_scenes: ['cloud', 'forest', 'mountain', 'plain', 'sea'],
  large_omnivores_and_herbivores: ['camel', 'cattle', 'chimpanzee', 'elephant', 'kangaroo'],
  medium_mammals: ['fox', 'porcupine', 'possum', 'raccoon', 'skunk'],
  'non-insect_invertebrates': ['crab', 'lobster', 'snail', 'spider', 'worm'],
  people: ['baby', 'boy', 'girl', 'man', 'woman'],
  reptiles: ['crocodile', 'dinosaur', 'lizard', 'snake', 'turtle'],
  small_mammals: ['hamster', 'mouse', 'rabbit', 'shrew', 'squirrel'],
  trees: ['maple_tree', 'oak_tree', 'palm_tree', 'pine_tree', 'willow_tree'],
  vehicles_1: ['bicycle', 'bus', 'motorcycle', 'pickup_truck', 'train'],
  vehicles_2: ['lawn_mower', 'rocket', 'streetcar', 'tank', 'tractor'],
};

/** Fine label names in label order (index = CIFAR-100 fine label). */
export const CIFAR100_FINE_NAMES: readonly string[] = Object.values(CIFAR100_SUPERCLASSES).flat().sort();

/** Coarse label names in label order (index = CIFAR-100 coarse label). */
export const CIFAR100_COARSE_NAMES: readonly string[] = Object.keys(CIFAR100_SUPERCLASSES).sort();
