/**
 * ResNet-18 (He et al., 2016) as torchvision's resnet18, which hankook/SLA uses for its large
 * datasets (tiny-ImageNet, CUB200, ...): stem, 4 stages of 2 basic blocks (64-128-256-512; stride
 * 2 at the first block of stages 2-4, 1x1 conv + BN projection shortcuts there), global average
 * pool -> 512-d. Stems: 'imagenet' = conv7x7/2 (pad 3) + BN + ReLU + maxpool 3x3/2 (pad 1), the
 * reference's (it resizes every image to 224); 'cifar' = conv3x3/1 + BN + ReLU, no max-pool, the
 * usual choice for 32x32 inputs kept at their size.
 */
import { tf } from '../tf.js';
import { UsageError } from '../errors.js';
import { BackboneBase, commonOptions, rejectUnknownOptions, widthList, type ForwardContext } from './base.js';
import { BasicBlock, buildStages, halvedSide } from './basic-block.js';
import { ConvBn, fusedInferenceActive } from './layers.js';
import type { BackboneConfig, BuildOptions } from './types.js';

/** The two ResNet-18 stems. */
export type ResNet18Stem = 'imagenet' | 'cifar';

/** Options of `resnet18`. */
export interface ResNet18Config extends BackboneConfig {
  name: 'resnet18';
  /** Default 'imagenet' (torchvision's, as the reference); 'cifar' keeps the input resolution. */
  stem?: ResNet18Stem;
  /** Channels of the 4 stages (the stem has the first); default [64, 128, 256, 512]. */
  widths?: number | number[];
  inChannels?: number;
  /** Default 'avg' (global average pool, the reference); 'flatten' keeps the last map. */
  pooling?: 'flatten' | 'avg';
}

class ResNet18 extends BackboneBase {
  private readonly stemConv: ConvBn;
  private readonly blocks: BasicBlock[];
  private readonly widths: number[];
  private readonly stem: ResNet18Stem;

  constructor(config: BackboneConfig, options: BuildOptions) {
    const name = 'resnet18';
    rejectUnknownOptions(name, config, ['stem', 'widths']);
    const common = commonOptions(name, { pooling: 'avg', ...config });
    const stem = config.stem ?? 'imagenet';
    if (stem !== 'imagenet' && stem !== 'cifar') {
      throw new UsageError(`${name}: option 'stem' must be 'imagenet' (7x7/2 conv + max-pool) or 'cifar' (3x3/1 conv), found ${JSON.stringify(stem)}`);
    }
    const widths = widthList(name, 'widths', config.widths ?? [64, 128, 256, 512], 4);
    super(name, { ...common, name, stem, widths }, options);
    this.stem = stem;
    this.widths = widths;
    this.stemConv = stem === 'imagenet'
      ? new ConvBn(this.store, 'stem', common.inChannels, widths[0]!, 7, this.normal, 2)
      : new ConvBn(this.store, 'stem', common.inChannels, widths[0]!, 3, this.normal);
    this.blocks = buildStages(this.store, widths[0]!, widths, [2, 2, 2, 2], 'projection', this.normal);
    this.finishBuild();
  }

  protected features(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    let out = !context.training && fusedInferenceActive()
      ? this.stemConv.inferFused(x, 0)
      : this.stemConv.apply(x, context.training, { leak: 0 });
    if (this.stem === 'imagenet') out = tf.maxPool(out, 3, 2, 1);
    for (const block of this.blocks) out = block.apply(out, context.training);
    return out;
  }

  protected featureShape(height: number, width: number): [number, number, number] {
    const halvings = this.stem === 'imagenet' ? 5 : 3;
    return [halvedSide(height, halvings), halvedSide(width, halvings), this.widths[3]!];
  }
}

/** Builds a ResNet-18 backbone. */
export function createResNet18(config: BackboneConfig, options: BuildOptions = {}): BackboneBase {
  return new ResNet18(config, options);
}
