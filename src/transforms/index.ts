/** Label transformations (SLA's t_1..t_M), training augmentation and normalisation. */
export { rot90, rot90OnHost, rot90WithOps, permuteChannels, permutationsOf } from './geometric.js';
export { type LabelTransform, type TransformCopy, defineLabelTransform } from './label-transform.js';
export {
  BUILTIN_LABEL_TRANSFORMS,
  COLOR_PERMUTATIONS,
  CYCLIC_COLOR_PERMUTATIONS,
  rotationColorProduct,
  rotationPermutationCopy,
  rotationSet,
} from './label-sets.js';
export { getLabelTransform, listLabelTransforms, registerLabelTransform } from './registry.js';
export {
  type AugmentationDraw,
  type AugmentationOptions,
  type ColorJitterStrength,
  type ImageShape,
  LUMA_WEIGHTS,
  NO_AUGMENTATION,
  applyAugmentation,
  augmentImages,
  drawAugmentation,
  recipeAugmentation,
} from './augment.js';
export {
  type ChannelStats,
  DATASET_NORMALIZATION,
  measureChannelStats,
  normalizationFor,
  normalizeInPlace,
} from './normalization.js';
export { type ImagePreparation, prepareImages } from './pipeline.js';
export { saveTransformGrid, transformedCopies } from './preview.js';
export { tenCropDraws, tenCropView } from './ten-crop.js';
