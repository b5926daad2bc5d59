/** The kernels the native backend runs through oneDNN, by tfjs kernel name. */
import { batchMatMul } from './batch-matmul.js';
import { CONV_BN_ACT, CONV_BN_ACT_CHAIN, conv2D, conv2DBackpropFilter, conv2DBackpropInput, convBnAct, convBnActChain, fusedConv2D } from './conv2d.js';
import { ELEMENTWISE_KERNELS } from './elementwise.js';
import { padV2, slice } from './slice-pad.js';
import { reverse, transpose } from './layout.js';
import { mean, sum } from './reduce.js';
import { BN_TRAIN_BACKWARD, BN_TRAIN_FORWARD, batchNormTrainBackward, batchNormTrainForward } from './batchnorm-train.js';
import { avgPool, avgPoolGrad, maxPool, maxPoolGrad } from './pool.js';
import { SGD_UPDATE, sgdUpdate } from './sgd.js';
import { RUNNING_STATS, runningStats } from './running-stats.js';
import type { NativeKernelBody } from './kernel-utils.js';

/** jointshot's own kernels (no cpu counterpart): name -> native body. */
export const JOINTSHOT_KERNELS: Readonly<Record<string, NativeKernelBody>> = {
  [BN_TRAIN_FORWARD]: batchNormTrainForward,
  [BN_TRAIN_BACKWARD]: batchNormTrainBackward,
  [CONV_BN_ACT]: convBnAct,
  [CONV_BN_ACT_CHAIN]: convBnActChain,
  [SGD_UPDATE]: sgdUpdate,
  [RUNNING_STATS]: runningStats,
};

/** Kernel name -> native body (each falls back to the cpu kernel for what it does not cover). */
export const NATIVE_KERNELS: Readonly<Record<string, NativeKernelBody>> = {
  Conv2D: conv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  FusedConv2D: fusedConv2D,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  AvgPool: avgPool,
  AvgPoolGrad: avgPoolGrad,
  BatchMatMul: batchMatMul,
  Slice: slice,
  Sum: sum,
  Mean: mean,
  PadV2: padV2,
  Transpose: transpose,
  Reverse: reverse,
  ...ELEMENTWISE_KERNELS,
};
