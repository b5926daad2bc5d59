/**
 * Conv-4 (ProtoNet's embedding, as in MetaOptNet's protonet_embedding.py): 4 x (conv3x3 without
 * bias, batch norm, ReLU, maxpool 2), flattened: 64*2*2 = 256 on 32x32, 64*5*5 = 1600 on 84x84.
 */
import { tf } from '../tf.js';
import { BackboneBase, commonOptions, pooledSide, rejectUnknownOptions, widthList } from './base.js';
import { ConvBn, fusedInferenceActive } from './layers.js';
import { maxPool2x2 } from './maxpool.js';
import type { BackboneConfig, BuildOptions } from './types.js';

/** Options of `conv4`: channels of the 4 blocks (a number or 4 numbers; default 64). */
export interface Conv4Config extends BackboneConfig {
  name: 'conv4';
  channels?: number | number[];
  inChannels?: number;
  pooling?: 'flatten' | 'avg';
}

class Conv4 extends BackboneBase {
  private readonly blocks: ConvBn[] = [];
  private readonly channels: number[];

  constructor(config: BackboneConfig, options: BuildOptions) {
    rejectUnknownOptions('conv4', config, ['channels']);
    const common = commonOptions('conv4', config);
    const channels = widthList('conv4', 'channels', config.channels ?? 64, 4);
    super('conv4', { ...common, name: 'conv4', channels }, options);
    this.channels = channels;
    let inC = common.inChannels;
    channels.forEach((outC, i) => {
      this.blocks.push(new ConvBn(this.store, `block${i + 1}/conv`, inC, outC, 3, this.normal));
      inC = outC;
    });
    this.finishBuild();
  }

  protected features(x: tf.Tensor4D, context: { training: boolean }): tf.Tensor4D {
    let out = x;
    const fused = !context.training && fusedInferenceActive();
    for (const block of this.blocks) {
      out = maxPool2x2(fused ? block.inferFused(out, 0) : block.apply(out, context.training, { leak: 0 }));
    }
    return out;
  }

  protected featureShape(height: number, width: number): [number, number, number] {
    return [pooledSide(height, 4), pooledSide(width, 4), this.channels[3]!];
  }
}

/** Builds a Conv-4 backbone. */
export function createConv4(config: BackboneConfig, options: BuildOptions = {}): BackboneBase {
  return new Conv4(config, options);
}
