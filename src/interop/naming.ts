/**
 * How PyTorch module names map to jointshot's backbone variables. MetaOptNet's Conv-4
 * (models/protonet_embedding.py: `encoder.<i>.block.0` conv, `.block.1` BN) and ResNet-12
 * (models/ResNet12_embedding.py: `layer<i>.0.conv<j>`/`bn<j>`, `downsample.0`/`.1`); the CIFAR
 * ResNets of hankook/SLA (models/cifar_resnet.py `conv_1_3x3`, `bn_1`, `stage_<s>.<j>.conv_a`...,
 * or wrapped by its models/__init__.py as `base_model.<k>...` with `classifiers.<c>`); ResNet-18
 * as torchvision (`conv1`, `bn1`, `layer<l>.<j>.conv1`..., `downsample`) or in SLA's wrapper. Every
 * unit is a bias-free conv + BatchNorm2d, as jointshot's ConvBn.
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
  /** Keys of other parts of the same file (classifiers): skipped, not an error. */
  skip?: RegExp;
}

type Shapes = ReadonlyMap<string, readonly number[]>;

function convShape(shapes: Shapes, key: string, source: string, backbone: string): readonly number[] {
  const shape = shapes.get(key);
  if (!shape) {
    const found = [...shapes.keys()].slice(0, 3).join(', ');
    const guess = guessBackbone(shapes);
    throw new DataError(
      `${source}: missing key '${key}' for --backbone ${backbone} (the file has ${found}${shapes.size > 3 ? ', ...' : ''})${guess && guess !== backbone ? `; it looks like --backbone ${guess}` : ''}`,
    );
  }
  if (shape.length !== 4) throw new DataError(`${source}: '${key}' should be a conv weight [out, in, h, w], found shape [${shape.join(', ')}]`);
  return shape;
}

/** Blocks stored under `stage` (keys `<stage>.<j>.<first>.weight`, j = 0, 1, ...). */
function blockCount(shapes: Shapes, stage: string, first: string): number {
  let n = 0;
  while (shapes.has(`${stage}.${n}.${first}.weight`)) n++;
  return n;
}

const conv4: TorchNaming = {
  backbone: 'conv4',
  reference: "MetaOptNet's models/protonet_embedding.py (ProtoNetEmbedding)",
  units: () =>
    [0, 1, 2, 3].map((i) => ({ conv: `encoder.${i}.block.0`, bn: `encoder.${i}.block.1`, prefix: `block${i + 1}/conv` })),
  inferConfig(shapes, source) {
    const convs = [0, 1, 2, 3].map((i) => convShape(shapes, `encoder.${i}.block.0.weight`, source, 'conv4'));
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
    const convs = [1, 2, 3, 4].map((i) => convShape(shapes, `layer${i}.0.conv1.weight`, source, 'resnet12'));
    return { name: 'resnet12', widths: convs.map((s) => s[0]!), inChannels: convs[0]![1]! };
  },
};

/** Module paths of a ResNet's stem conv/BN and of stage s's container (s from 1). */
interface ResNetLayout {
  stemConv: string;
  stemBn: string;
  stage: (s: number) => string;
}

/** hankook/SLA's CIFAR ResNet of `depth` (option-A shortcuts: no shortcut parameters). */
function cifarResNet(depth: number, layout: ResNetLayout, reference: string, skip: RegExp): TorchNaming {
  const backbone = `resnet${depth}`;
  const n = (depth - 2) / 6;
  return {
    backbone,
    reference,
    skip,
    units: () => [
      { conv: layout.stemConv, bn: layout.stemBn, prefix: 'stem' },
      ...[1, 2, 3].flatMap((s) =>
        Array.from({ length: n }, (_, j) => [
          { conv: `${layout.stage(s)}.${j}.conv_a`, bn: `${layout.stage(s)}.${j}.bn_a`, prefix: `stage${s}/block${j + 1}/conv1` },
          { conv: `${layout.stage(s)}.${j}.conv_b`, bn: `${layout.stage(s)}.${j}.bn_b`, prefix: `stage${s}/block${j + 1}/conv2` },
        ]).flat(),
      ),
    ],
    inferConfig(shapes, source) {
      const stem = convShape(shapes, `${layout.stemConv}.weight`, source, backbone);
      const widths = [1, 2, 3].map((s) => convShape(shapes, `${layout.stage(s)}.0.conv_a.weight`, source, backbone)[0]!);
      const found = blockCount(shapes, layout.stage(1), 'conv_a');
      if (found !== n) {
        throw new DataError(`${source}: the file has ${found} blocks per stage, a resnet${6 * found + 2}, not ${backbone}: use --backbone resnet${6 * found + 2}`);
      }
      return { name: backbone, widths, inChannels: stem[1]! };
    },
  };
}

/** torchvision's ResNet-18 (projection shortcuts `downsample.0/.1` where a block changes shape). */
function resNet18(layout: ResNetLayout, reference: string, skip: RegExp): TorchNaming {
  const backbone = 'resnet18';
  return {
    backbone,
    reference,
    skip,
    units: (config) => {
      const widths = (config.widths as number[] | undefined) ?? [64, 128, 256, 512];
      const units: ConvBnUnit[] = [{ conv: layout.stemConv, bn: layout.stemBn, prefix: 'stem' }];
      let channels = widths[0]!;
      widths.forEach((outC, i) => {
        for (let j = 0; j < 2; j++) {
          const path = `${layout.stage(i + 1)}.${j}`;
          const prefix = `stage${i + 1}/block${j + 1}`;
          units.push({ conv: `${path}.conv1`, bn: `${path}.bn1`, prefix: `${prefix}/conv1` }, { conv: `${path}.conv2`, bn: `${path}.bn2`, prefix: `${prefix}/conv2` });
          if ((i > 0 && j === 0) || channels !== outC) units.push({ conv: `${path}.downsample.0`, bn: `${path}.downsample.1`, prefix: `${prefix}/shortcut` });
          channels = outC;
        }
      });
      return units;
    },
    inferConfig(shapes, source) {
      const stem = convShape(shapes, `${layout.stemConv}.weight`, source, backbone);
      const widths = [1, 2, 3, 4].map((s) => convShape(shapes, `${layout.stage(s)}.0.conv1.weight`, source, backbone)[0]!);
      if (stem[2] !== 7 && stem[2] !== 3) throw new DataError(`${source}: ResNet-18 stem kernel ${stem[2]}x${stem[3]}: expected 7x7 (torchvision) or 3x3 (CIFAR stem)`);
      return { name: backbone, widths, inChannels: stem[1]!, stem: stem[2] === 7 ? 'imagenet' : 'cifar' };
    },
  };
}

const SLA_WRAPPER = "hankook/SLA's models/__init__.py (check_model: base_model + classifiers)";
const slaCifar: ResNetLayout = { stemConv: 'base_model.0', stemBn: 'base_model.1', stage: (s) => `base_model.${2 + s}` };
const plainCifar: ResNetLayout = { stemConv: 'conv_1_3x3', stemBn: 'bn_1', stage: (s) => `stage_${s}` };
const slaResNet18: ResNetLayout = { stemConv: 'base_model.0', stemBn: 'base_model.1', stage: (l) => `base_model.${3 + l}` };
const torchvision: ResNetLayout = { stemConv: 'conv1', stemBn: 'bn1', stage: (l) => `layer${l}` };

/** Every naming; the first of a backbone is the one export writes. */
const NAMINGS: TorchNaming[] = [
  conv4,
  resnet12,
  ...[20, 32, 56].flatMap((depth) => [
    cifarResNet(depth, plainCifar, `hankook/SLA's models/cifar_resnet.py (resnet${depth})`, /^classifier\./),
    cifarResNet(depth, slaCifar, `${SLA_WRAPPER}, cresnet${depth}`, /^classifiers\./),
  ]),
  resNet18(torchvision, "torchvision's models/resnet.py (resnet18)", /^fc\./),
  resNet18(slaResNet18, `${SLA_WRAPPER}, resnet18`, /^classifiers\./),
];

/** The backbones with a PyTorch naming. */
export function torchNamingNames(): string[] {
  return [...new Set(NAMINGS.map((n) => n.backbone))].sort();
}

function firstConvKey(naming: TorchNaming): string {
  return `${naming.units({ name: naming.backbone })[0]!.conv}.weight`;
}

/**
 * The PyTorch naming of `backbone`: with `keys` (a file's), the one whose first conv the file has;
 * else (or when none matches) the first, which export writes. UsageError for an unknown backbone.
 */
export function torchNaming(backbone: string, keys?: Iterable<string>): TorchNaming {
  const candidates = NAMINGS.filter((n) => n.backbone === backbone);
  if (candidates.length === 0) throw new UsageError(`no PyTorch naming for backbone '${backbone}': supported are ${torchNamingNames().join(', ')}`);
  if (keys) {
    const all = new Set(keys);
    const match = candidates.find((n) => all.has(firstConvKey(n)));
    if (match) return match;
  }
  return candidates[0]!;
}

/** The backbone whose naming fits `shapes` (first conv present, architecture readable), if any: for hints. */
export function guessBackbone(shapes: Shapes): string | undefined {
  const fits = (naming: TorchNaming): boolean => {
    if (!shapes.has(firstConvKey(naming))) return false;
    try {
      naming.inferConfig(shapes, '');
      return true;
    } catch {
      return false;
    }
  };
  return NAMINGS.find(fits)?.backbone;
}
