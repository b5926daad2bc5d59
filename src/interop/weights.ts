/**
 * Moving weights between a PyTorch state dict and a jointshot backbone through a TorchNaming:
 * conv kernels OIHW <-> HWIO, BN weight/bias/running_mean/running_var <-> gamma/beta/runningMean/
 * runningVar; strict about keys (missing and unexpected ones listed) and shapes.
 */
import { DataError } from '../errors.js';
import { createBackbone } from '../backbones/registry.js';
import type { Backbone, BackboneConfig } from '../backbones/types.js';
import { tf } from '../tf.js';
import { BN_COUNTER, BN_ENTRIES, type TorchNaming } from './naming.js';
import type { HostTensor } from './state-dict.js';

/** One PyTorch entry and the jointshot variable it holds (`conv`: a kernel stored OIHW in PyTorch). */
interface Pairing {
  torch: string;
  jointshot: string;
  conv: boolean;
}

function pairings(naming: TorchNaming, config: Readonly<BackboneConfig>): Pairing[] {
  return naming.units(config).flatMap((unit) => [
    { torch: `${unit.conv}.weight`, jointshot: `${unit.prefix}/kernel`, conv: true },
    ...BN_ENTRIES.map(([t, j]) => ({ torch: `${unit.bn}.${t}`, jointshot: `${unit.prefix}/bn/${j}`, conv: false })),
  ]);
}

function counters(naming: TorchNaming, config: Readonly<BackboneConfig>): string[] {
  return naming.units(config).map((unit) => `${unit.bn}.${BN_COUNTER}`);
}

function variableOf(backbone: Backbone, name: string): tf.Variable {
  const variable = backbone.trainable[name] ?? backbone.state[name];
  if (!variable) throw new Error(`backbone ${backbone.name} has no variable ${name} (naming out of date)`);
  return variable;
}

function listed(keys: string[]): string {
  const shown = keys.slice(0, 4).map((k) => `'${k}'`).join(', ');
  return keys.length > 4 ? `${shown} and ${keys.length - 4} more` : shown;
}

/** PyTorch's shape of a jointshot variable: kernels [h, w, in, out] are [out, in, h, w] there. */
function torchShape(shape: readonly number[], conv: boolean): number[] {
  return conv ? [shape[3]!, shape[2]!, shape[0]!, shape[1]!] : [...shape];
}

/**
 * Builds `naming.backbone` with the architecture the state dict implies (plus `options`, e.g.
 * pooling) and its weights; DataError on missing or unexpected keys or a shape mismatch.
 */
export function backboneFromStateDict(
  naming: TorchNaming,
  tensors: ReadonlyMap<string, HostTensor>,
  source: string,
  options: Record<string, unknown> = {},
): Backbone {
  const shapes = new Map([...tensors].map(([k, t]) => [k, t.shape] as const));
  const config = { ...naming.inferConfig(shapes, source), ...options };
  const pairs = pairings(naming, config);
  const known = new Set([...pairs.map((p) => p.torch), ...counters(naming, config)]);
  const missing = pairs.map((p) => p.torch).filter((k) => !tensors.has(k));
  if (missing.length > 0) throw new DataError(`${source}: missing keys for ${naming.backbone}: ${listed(missing)}`);
  const unexpected = [...tensors.keys()].filter((k) => !known.has(k) && !naming.skip?.test(k));
  if (unexpected.length > 0) {
    throw new DataError(`${source}: unexpected keys for ${naming.backbone} (${naming.reference}): ${listed(unexpected)}`);
  }
  const backbone = createBackbone(config, { initialize: false });
  try {
    for (const pair of pairs) {
      const variable = variableOf(backbone, pair.jointshot);
      const expected = torchShape(variable.shape, pair.conv);
      const found = tensors.get(pair.torch)!;
      if (found.shape.join(',') !== expected.join(',')) {
        throw new DataError(`${source}: '${pair.torch}' should have shape [${expected.join(', ')}] for ${naming.backbone}, found [${found.shape.join(', ')}]`);
      }
      tf.tidy(() => {
        const value = tf.tensor(found.values, found.shape, 'float32');
        variable.assign(pair.conv ? value.transpose([2, 3, 1, 0]) : value);
      });
    }
  } catch (error) {
    backbone.dispose();
    throw error;
  }
  return backbone;
}

/**
 * The backbone's weights as a PyTorch state dict in `naming`'s order (kernels OIHW), with each BN's
 * `num_batches_tracked` as 0 so that `load_state_dict(strict=True)` accepts it.
 */
export function stateDictFromBackbone(naming: TorchNaming, backbone: Backbone): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const unit of naming.units(backbone.config)) {
    const pairs = pairings(naming, backbone.config).filter((p) => p.torch.startsWith(`${unit.conv}.`) || p.torch.startsWith(`${unit.bn}.`));
    for (const pair of pairs) {
      const variable = variableOf(backbone, pair.jointshot);
      const values = tf.tidy(() => (pair.conv ? variable.transpose([3, 2, 0, 1]) : variable).dataSync() as Float32Array);
      out.set(pair.torch, { shape: torchShape(variable.shape, pair.conv), values: Float32Array.from(values) });
    }
    out.set(`${unit.bn}.${BN_COUNTER}`, { shape: [], values: new Float32Array(1) });
  }
  return out;
}
