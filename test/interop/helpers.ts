/** The PyTorch fixtures of test/fixtures/interop (made by make_fixtures.py) and their reference embeddings. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'interop');

/** Path of fixture `name`. */
export const fixture = (name: string): string => join(FIXTURES, name);

/** Every .pth fixture of MetaOptNet's backbones by layout: zip/legacy, plain, DataParallel, MetaOptNet. */
export const PTH_VARIANTS = ['zip', 'legacy', 'dataparallel-zip', 'metaoptnet-legacy', 'metaoptnet-zip'] as const;

/** The .pth fixtures of every backbone: MetaOptNet's in all layouts; the ResNets plain (with classifier) and as SLA's checkpoint. */
export const FIXTURE_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  conv4: PTH_VARIANTS,
  resnet12: PTH_VARIANTS,
  resnet20: ['zip', 'sla-legacy'],
  resnet18: ['zip', 'sla-legacy'],
};

interface Reference {
  torch: string;
  inputs: { shape: [number, number, number, number]; values: number[] };
  models: Record<string, { config: Record<string, unknown>; featureMap: [number, number, number]; shape: [number, number]; embeddings: number[] }>;
}

/** The fixed NHWC inputs and, per backbone, PyTorch's eval-mode embeddings. */
export const reference: Reference = JSON.parse(readFileSync(join(FIXTURES, 'embeddings.json'), 'utf8')) as Reference;

/**
 * PyTorch's embeddings of `backbone` reordered as jointshot flattens: PyTorch flattens the last
 * NCHW map as (C, H, W), jointshot's NHWC one as (H, W, C); heads see the same distances and
 * inner products either way.
 */
export function torchEmbeddingsHwc(backbone: string): Float32Array {
  const { featureMap: [c, h, w], shape: [n, d], embeddings } = reference.models[backbone]!;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
      out[i * d + (y * w + x) * c + k] = embeddings[i * d + k * h * w + y * w + x]!;
    }
  }
  return out;
}

/** Largest absolute difference between two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}
