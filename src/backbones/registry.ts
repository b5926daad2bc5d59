/** Backbones by name: a new backbone is one file plus one `registerBackbone` line. */
import { UsageError } from '../errors.js';
import { createConv4 } from './conv4.js';
import { createResNet12 } from './resnet12.js';
import { createResNet18 } from './resnet18.js';
import { createCifarResNet } from './resnet-cifar.js';
import type { Backbone, BackboneConfig, BackboneFactory, BuildOptions } from './types.js';

const factories = new Map<string, BackboneFactory>();

/** Adds (or replaces) the backbone factory called `name`. */
export function registerBackbone(name: string, factory: BackboneFactory): void {
  factories.set(name, factory);
}

/** The registered backbone names, sorted. */
export function backboneNames(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Builds the backbone `config.name` with seeded weights (zeros with `initialize: false`), or a
 * UsageError listing the known names.
 */
export function createBackbone(config: BackboneConfig, options: BuildOptions = {}): Backbone {
  const factory = factories.get(config.name);
  if (!factory) {
    throw new UsageError(`unknown backbone '${config.name}': expected one of ${backboneNames().join(', ')}`);
  }
  return factory(config, options);
}

registerBackbone('conv4', createConv4);
registerBackbone('resnet12', createResNet12);
registerBackbone('resnet18', createResNet18);
registerBackbone('resnet20', (config, options) => createCifarResNet(20, config, options));
registerBackbone('resnet32', (config, options) => createCifarResNet(32, config, options));
registerBackbone('resnet56', (config, options) => createCifarResNet(56, config, options));
