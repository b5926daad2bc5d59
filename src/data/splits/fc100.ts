/**
 * FC100 superclass split (Oreshkin et al., NeurIPS 2018): 12/4/4 CIFAR-100 superclasses = 60/20/20
 * fine classes. Copied from tristandeleu/pytorch-meta (MIT), files {train,val,test}.json, in their
 * order (see PROVENANCE.md).
 */

export const FC100_TRAIN_SUPERCLASSES: readonly string[] = [
  'fish', 'flowers', 'food_containers',
  'fruit_and_vegetables', 'household_electrical_devices', 'household_furniture',
  'large_man-made_outdoor_things', 'large_natural_outdoor_scenes', 'reptiles',
  'trees', 'vehicles_1', 'vehicles_2',
];

export const FC100_VAL_SUPERCLASSES: readonly string[] = [
  'large_carnivores', 'large_omnivores_and_herbivores', 'non-insect_invertebrates',
  'small_mammals',
];

export const FC100_TEST_SUPERCLASSES: readonly string[] = [
  'aquatic_mammals', 'insects', 'medium_mammals',
  'people',
];
