/**
 * The CIFAR ResNets of He et al. (2016, section 4.2) as hankook/SLA's models/cifar_resnet.py
 * (read for this): conv3x3 16 (no bias) + BN + ReLU stem, 3 stages of n basic blocks (n = 3/5/9
 * for depth 20/32/56 = 6n + 2) of 16/32/64 channels, stride 2 at the first block of stages 2
 * and 3, option-A parameter-free shortcuts, global average pool -> 64-d embedding.
 */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import { BackboneBase, commonOptions, rejectUnknownOptions, widthList, type ForwardContext } from './base.js';
import { BasicBlock, buildStages, halvedSide } from './basic-block.js';
import { ConvBn, fusedInferenceActive } from './layers.js';
import type { BackboneConfig, BuildOptions } from './types.js';

/** Options of `resnet20`, `resnet32` and `resnet56`. */
export interface CifarResNetConfig extends BackboneConfig {
  name: 'resnet20' | 'resnet32' | 'resnet56';
  /** Channels of the stem/stage 1, stage 2 and stage 3; non-decreasing; default [16, 32, 64]. */
  widths?: number | number[];
  inChannels?: number;
  /** Default 'avg' (global average pool, the reference); 'flatten' keeps the last map. */
  pooling?: 'flatten' | 'avg';
}

class CifarResNet extends BackboneBase {
  private readonly stem: ConvBn;
  private readonly blocks: BasicBlock[];
  private readonly widths: number[];

  constructor(name: string, depth: number, config: BackboneConfig, options: BuildOptions) {
    rejectUnknownOptions(name, config, ['widths']);
    const common = commonOptions(name, { pooling: 'avg', ...config });
    const widths = widthList(name, 'widths', config.widths ?? [16, 32, 64], 3);
    if (widths[1]! < widths[0]! || widths[2]! < widths[1]!) {
      throw new UsageError(`${name}: option 'widths' must not decrease (option-A shortcuts only add channels), found ${JSON.stringify(widths)}`);
    }
    super(name, { ...common, name, widths }, options);
    this.widths = widths;
    const n = (depth - 2) / 6;
    this.stem = new ConvBn(this.store, 'stem', common.inChannels, widths[0]!, 3, this.normal);
    this.blocks = buildStages(this.store, widths[0]!, widths, [n, n, n], 'optionA', this.normal);
    this.finishBuild();
  }

  protected features(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    let out = !context.training && fusedInferenceActive() ? this.stem.inferFused(x, 0) : this.stem.apply(x, context.training, { leak: 0 });
    for (const block of this.blocks) out = block.apply(out, context.training);
    return out;
  }

  protected featureShape(height: number, width: number): [number, number, number] {
    return [halvedSide(height, 2), halvedSide(width, 2), this.widths[2]!];
  }
}

/** Builds the CIFAR ResNet of `depth` = 6n + 2 layers (20, 32, 56) registered as `resnet{depth}`. */
export function createCifarResNet(depth: 20 | 32 | 56, config: BackboneConfig, options: BuildOptions = {}): BackboneBase {
  return new CifarResNet(`resnet${depth}`, depth, config, options);
}
