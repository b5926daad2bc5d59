/**
 * ResNet-12 as MetaOptNet's ResNet12_embedding.py: 4 residual blocks (default widths
 * 64-160-320-640); block = 3 x (conv3x3 no bias, BN) with LeakyReLU 0.1 after the first two,
 * 1x1 conv + BN shortcut, add, LeakyReLU 0.1, maxpool 2, then (training only) dropout in blocks
 * 1-2 and DropBlock in blocks 3-4, both after the pooling. Output flattened (640*5*5 on 84x84,
 * 640*2*2 on 32x32) or globally average-pooled.
 */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import {
  BackboneBase,
  commonOptions,
  pooledSide,
  positiveInt,
  rejectUnknownOptions,
  widthList,
  type ForwardContext,
} from './base.js';
import { dropBlock, dropBlockKeepRate, seededDropout } from './dropout.js';
import { ConvBn, fusedInferenceActive, inferChain, type ParameterStore } from './layers.js';
import { maxPool2x2 } from './maxpool.js';
import type { BackboneConfig, BuildOptions } from './types.js';

/** Options of `resnet12`. */
export interface ResNet12Config extends BackboneConfig {
  name: 'resnet12';
  /** Channels of the 4 blocks; default [64, 160, 320, 640]. */
  widths?: number | number[];
  inChannels?: number;
  pooling?: 'flatten' | 'avg';
  /** Dropout rate of blocks 1-2 and final DropBlock drop rate of blocks 3-4; default 0.1. */
  dropRate?: number;
  /** DropBlock block size, or 'auto' = the last feature map's side, at most 5 (5 on 84x84, 2 on 32x32). */
  dropBlockSize?: number | 'auto';
  /** Training passes over which the DropBlock keep rate ramps to 1 - dropRate; default 40000 (MetaOptNet: 20 x 2000). */
  dropBlockRampCalls?: number;
  /** LeakyReLU slope; default 0.1. */
  leak?: number;
}

/** One residual block: 3 conv-BN units and a 1x1 conv-BN shortcut. */
class ResidualBlock {
  private readonly units: ConvBn[];
  private readonly shortcut: ConvBn;

  constructor(store: ParameterStore, prefix: string, inC: number, outC: number, normal: (() => number) | null) {
    this.units = [1, 2, 3].map((i) => new ConvBn(store, `${prefix}/conv${i}`, i === 1 ? inC : outC, outC, 3, normal));
    this.shortcut = new ConvBn(store, `${prefix}/shortcut`, inC, outC, 1, normal);
  }

  /** The block up to and including the max pooling. */
  apply(x: tf.Tensor4D, training: boolean, leak: number): tf.Tensor4D {
    if (!training && fusedInferenceActive()) {
      const [u1, u2, u3] = this.units as [ConvBn, ConvBn, ConvBn];
      return maxPool2x2(inferChain([u1, u2, u3], [leak, leak, leak], x, this.shortcut.inferFused(x, null)));
    }
    const [u1, u2, u3] = this.units as [ConvBn, ConvBn, ConvBn];
    const out = u2.apply(u1.apply(x, training, { leak }), training, { leak });
    // The shortcut runs after u3's convolution, before its batch norm (ConvBn.apply).
    return maxPool2x2(u3.apply(out, training, { leak, residual: () => this.shortcut.apply(x, training) }));
  }
}

class ResNet12 extends BackboneBase {
  private readonly blocks: ResidualBlock[] = [];
  private readonly widths: number[];
  private readonly dropRate: number;
  private readonly dropBlockSize: number | 'auto';
  private readonly rampCalls: number;
  private readonly leak: number;

  constructor(config: BackboneConfig, options: BuildOptions) {
    const name = 'resnet12';
    rejectUnknownOptions(name, config, ['widths', 'dropRate', 'dropBlockSize', 'dropBlockRampCalls', 'leak']);
    const common = commonOptions(name, config);
    const widths = widthList(name, 'widths', config.widths ?? [64, 160, 320, 640], 4);
    const dropRate = config.dropRate ?? 0.1;
    if (typeof dropRate !== 'number' || !(dropRate >= 0 && dropRate < 1)) {
      throw new UsageError(`${name}: option 'dropRate' must be in [0, 1), found ${JSON.stringify(dropRate)}`);
    }
    const dropBlockSize = config.dropBlockSize ?? 'auto';
    if (dropBlockSize !== 'auto') positiveInt(name, 'dropBlockSize', dropBlockSize);
    const rampCalls = positiveInt(name, 'dropBlockRampCalls', config.dropBlockRampCalls ?? 40000);
    const leak = config.leak ?? 0.1;
    if (typeof leak !== 'number' || !Number.isFinite(leak)) {
      throw new UsageError(`${name}: option 'leak' must be a number, found ${JSON.stringify(leak)}`);
    }
    super(name, { ...common, name, widths, dropRate, dropBlockSize, dropBlockRampCalls: rampCalls, leak }, options);
    this.widths = widths;
    this.dropRate = dropRate;
    this.dropBlockSize = dropBlockSize as number | 'auto';
    this.rampCalls = rampCalls;
    this.leak = leak;
    let inC = common.inChannels;
    widths.forEach((outC, i) => {
      this.blocks.push(new ResidualBlock(this.store, `block${i + 1}`, inC, outC, this.normal));
      inC = outC;
    });
    this.finishBuild();
  }

  protected features(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    const regularise = context.training && this.dropRate > 0;
    const blockSize = this.dropBlockSize === 'auto' ? Math.min(5, pooledSide(x.shape[1], 4)) : this.dropBlockSize;
    const keepRate = dropBlockKeepRate(this.dropRate, context.trainingCalls, this.rampCalls);
    let out = x;
    this.blocks.forEach((block, i) => {
      out = block.apply(out, context.training, this.leak);
      if (!regularise) return;
      out = i < 2 ? seededDropout(out, this.dropRate, context.rng) : dropBlock(out, keepRate, blockSize, context.rng);
    });
    return out;
  }

  protected featureShape(height: number, width: number): [number, number, number] {
    return [pooledSide(height, 4), pooledSide(width, 4), this.widths[3]!];
  }
}

/** Builds a ResNet-12 backbone. */
export function createResNet12(config: BackboneConfig, options: BuildOptions = {}): BackboneBase {
  return new ResNet12(config, options);
}
