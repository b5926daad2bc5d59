/** Backbones: Conv-4, ResNet-12, ResNet-18 and the CIFAR ResNet-20/32/56 with train/inference modes, seeded init and checkpoints. */
export type { Backbone, BackboneConfig, BackboneFactory, BuildOptions, EmbedOptions, Pooling } from './types.js';
export type { Conv4Config } from './conv4.js';
export type { ResNet12Config } from './resnet12.js';
export type { ResNet18Config, ResNet18Stem } from './resnet18.js';
export type { CifarResNetConfig } from './resnet-cifar.js';
export { backboneNames, createBackbone, registerBackbone } from './registry.js';
export {
  CHECKPOINT_MAGIC,
  CHECKPOINT_VERSION,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  readCheckpointHeader,
  saveCheckpoint,
  type CheckpointContents,
  type CheckpointHeader,
  type JsonValue,
  type LoadedCheckpoint,
  type StateRecord,
} from './checkpoint.js';
export { batchNormTrain, batchNormInference, BN_EPSILON, BN_MOMENTUM } from './batchnorm.js';
export { maxPool2x2 } from './maxpool.js';
export { leakyRelu } from './activations.js';
export { dropBlock, dropBlockKeepRate, seededDropout } from './dropout.js';
export { fastUniform, kaimingNormalKernel, normalSampler } from './init.js';
export { BackboneBase, type ForwardContext } from './base.js';
export { BatchNormLayer, ConvBn, ParameterStore } from './layers.js';
export { BasicBlock, optionAShortcut, type Shortcut } from './basic-block.js';
