/**
 * How PyTorch module names map to jointshot's backbone variables: MetaOptNet's Conv-4
 * (models/protonet_embedding.py: `encoder.<i>.block.0` conv, `.block.1` BN) and ResNet-12
 * (models/ResNet12_embedding.py: `layer<i>.0.conv<j>`/`bn<j>`, `downsample.0`/`.1`). Every unit
 * is a bias-free conv + BatchNorm2d, as jointshot's ConvBn.
 */
import { DataError, UsageError } from '../errors.js';
import type { BackboneConfig } from '../backbones/types.js';

/** One conv + BN unit: PyTorch module paths of the conv and the BN, jointshot's ConvBn prefix. */
export interface ConvBnUnit {
  conv: string;
  bn: string;
  prefix: string;
}

/** PyTorch BN entries -> jointshot BN variables (num_batches_tracked has no counterpart). */
export const BN_ENTRIES: ReadonlyArray<readonly [torch: string, jointshot: string]> = [
  ['weight', 'gamma'],
  ['bias', 'beta'],
  ['running_mean', 'runningMean'],
  ['running_var', 'runningVar'],
];

/** The BN buffer PyTorch saves and jointshot does not keep (read: ignored; written: 0). */
export const BN_COUNTER = 'num_batches_tracked';

/** A backbone's PyTorch naming: its units for a config, and the config a state dict implies. */
export interface TorchNaming {
  /** jointshot backbone name. */
  backbone: string;
  /** Where the naming comes from, for messages and docs. */
  reference: string;
  /** The conv+BN units of a backbone built with `config`, in PyTorch's state-dict order. */
  units(config: Readonly<BackboneConfig>): ConvBnUnit[];
  /** Architecture options read from the shapes in a state dict (conv weights are [out, in, h, w]). */
  inferConfig(shapes: ReadonlyMap<string, readonly number[]>, source: string): BackboneConfig;
}

function outChannels(shapes: ReadonlyMap<string, readonly number[]>, key: string, source: string, backbone: string): readonly number[] {
  const shape = shapes.get(key);
  if (!shape) {
    const found = [...shapes.keys()].slice(0, 3).join(', ');
    const guess = guessBackbone(shapes.keys());
    throw new DataError(
      `${source}: missing key '${key}' for --backbone ${backbone} (the file has ${found}${shapes.size > 3 ? ', ...' : ''})${guess && guess !== backbone ? `; it looks like --backbone ${guess}` : ''}`,
    );
  }
  if (shape.length !== 4) throw new DataError(`${source}: '${key}' should be a conv weight [out, in, h, w], found shape [${shape.join(', ')}]`);
  return shape;
}

const conv4: TorchNaming = {
  backbone: 'conv4',
  reference: "MetaOptNet's models/protonet_embedding.py (ProtoNetEmbedding)",
  units: () =>
    [0, 1, 2, 3].map((i) => ({ conv: `encoder.${i}.block.0`, bn: `encoder.${i}.block.1`, prefix: `block${i + 1}/conv` })),
  inferConfig(shapes, source) {
    const convs = [0, 1, 2, 3].map((i) => outChannels(shapes, `encoder.${i}.block.0.weight`, source, 'conv4'));
    return { name: 'conv4', channels: convs.map((s) => s[0]!), inChannels: convs[0]![1]! };
  },
};

const resnet12: TorchNaming = {
  backbone: 'resnet12',
  reference: "MetaOptNet's models/ResNet12_embedding.py (resnet12)",
  units: () =>
    [1, 2, 3, 4].flatMap((i) => [
      ...[1, 2, 3].map((j) => ({ conv: `layer${i}.0.conv${j}`, bn: `layer${i}.0.bn${j}`, prefix: `block${i}/conv${j}` })),
      { conv: `layer${i}.0.downsample.0`, bn: `layer${i}.0.downsample.1`, prefix: `block${i}/shortcut` },
    ]),
  inferConfig(shapes, source) {
    const convs = [1, 2, 3, 4].map((i) => outChannels(shapes, `layer${i}.0.conv1.weight`, source, 'resnet12'));
    return { name: 'resnet12', widths: convs.map((s) => s[0]!), inChannels: convs[0]![1]! };
  },
};

const NAMINGS = new Map<string, TorchNaming>([
  [conv4.backbone, conv4],
  [resnet12.backbone, resnet12],
]);

/** The backbones with a PyTorch naming. */
export function torchNamingNames(): string[] {
  return [...NAMINGS.keys()].sort();
}

/** The PyTorch naming of `backbone`, or a UsageError listing the supported ones. */
export function torchNaming(backbone: string): TorchNaming {
  const naming = NAMINGS.get(backbone);
  if (!naming) throw new UsageError(`no PyTorch naming for backbone '${backbone}': supported are ${torchNamingNames().join(', ')}`);
  return naming;
}

/** The backbone whose first conv key is among `keys`, if any (for hints in error messages). */
export function guessBackbone(keys: Iterable<string>): string | undefined {
  const all = new Set(keys);
  for (const naming of NAMINGS.values()) {
    const first = naming.units({ name: naming.backbone })[0]!;
    if (all.has(`${first.conv}.weight`)) return naming.backbone;
  }
  return undefined;
}
