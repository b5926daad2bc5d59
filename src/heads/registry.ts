/** Heads by name: the built-ins and any registered by users (the extension point). */
import { UsageError } from '../errors.js';
import type { Head, HeadFactory } from './types.js';
import { createProtoNetHead } from './protonet.js';
import { createRidgeHead } from './ridge.js';
import { createSvmHead } from './svm.js';
import { createCosineHead } from './examples/cosine.js';

const factories = new Map<string, HeadFactory>([
  ['protonet', createProtoNetHead],
  ['ridge', createRidgeHead],
  ['svm', createSvmHead],
  ['cosine', createCosineHead], // the worked example of docs/extending.md
]);

/** Names of all registered heads, sorted. */
export function listHeads(): string[] {
  return [...factories.keys()].sort();
}

/** Registers a head factory under `name`; an existing name is an error unless `replace` is set. */
export function registerHead(name: string, factory: HeadFactory, { replace = false } = {}): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`registerHead: name '${name}' must be lower-case letters, digits and '-'`);
  if (factories.has(name) && !replace) {
    throw new UsageError(`registerHead: head '${name}' is already registered; pass { replace: true } to override it`);
  }
  factories.set(name, factory);
}

/** A new head by name, e.g. `createHead('ridge', { lambda: 50 })`. */
export function createHead(name: string, options?: Record<string, unknown>): Head {
  const factory = factories.get(name);
  if (!factory) throw new UsageError(`unknown head '${name}'; known heads: ${listHeads().join(', ')}`);
  return factory(options);
}
