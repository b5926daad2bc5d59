/**
 * Finding the backbone's state dict in what a .pth file holds: a plain state dict, one saved from
 * `nn.DataParallel` (`module.` prefixes), MetaOptNet's `{'embedding': ..., 'head': ...}` or a
 * `{'state_dict': ...}`-style wrapper, as float32 host arrays by PyTorch name.
 */
import { DataError } from '../errors.js';
import type { PickleValue } from '../data/pickle.js';
import { isTorchTensor, tensorValues } from './torch-pickle.js';

/** A tensor on the host: C-order float32 values and shape. */
export interface HostTensor {
  shape: number[];
  values: Float32Array;
}

/** A backbone state dict and how it was found. */
export interface StateDict {
  tensors: Map<string, HostTensor>;
  /** How the file was laid out, e.g. ['metaoptnet', 'dataparallel']. */
  layout: string[];
  /** MetaOptNet's learnable head scale (`head.scale`), when the file has one. */
  headScale?: number;
}

const WRAPPER_KEYS = ['state_dict', 'model_state_dict', 'model', 'net'];
const PARALLEL_PREFIX = 'module.';

function asDict(value: PickleValue | undefined): Map<string | number, PickleValue> | undefined {
  return value instanceof Map ? value : undefined;
}

function describe(value: PickleValue): string {
  if (value instanceof Map) return `a dict with keys ${[...value.keys()].slice(0, 4).map((k) => `'${k}'`).join(', ')}`;
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'None' : typeof value;
}

/** The backbone state dict inside `root` (a .pth file's object), as host tensors by name. */
export function findStateDict(root: PickleValue, source: string): StateDict {
  const top = asDict(root);
  if (!top) throw new DataError(`${source}: expected a state dict (a dict of tensors), found ${describe(root)}`);
  const layout: string[] = [];
  let dict = top;
  let headScale: number | undefined;
  const embedding = asDict(top.get('embedding'));
  if (embedding) {
    layout.push('metaoptnet');
    dict = embedding;
    const scale = asDict(top.get('head'))?.get('scale');
    if (isTorchTensor(scale)) {
      const values = tensorValues(scale, source);
      if (values.length === 1) headScale = values[0]!;
    }
  } else {
    const wrapper = WRAPPER_KEYS.find((k) => asDict(top.get(k)) && ![...top.values()].some(isTorchTensor));
    if (wrapper) {
      layout.push(`'${wrapper}' entry`);
      dict = asDict(top.get(wrapper))!;
    }
  }
  const keys = [...dict.keys()].map(String);
  const parallel = keys.length > 0 && keys.every((k) => k.startsWith(PARALLEL_PREFIX));
  if (parallel) layout.push('dataparallel');
  const tensors = new Map<string, HostTensor>();
  for (const [key, value] of dict) {
    const name = parallel ? String(key).slice(PARALLEL_PREFIX.length) : String(key);
    if (!isTorchTensor(value)) throw new DataError(`${source}: state dict entry '${key}' is ${describe(value)}, not a tensor`);
    tensors.set(name, { shape: [...value.shape], values: tensorValues(value, source) });
  }
  if (tensors.size === 0) throw new DataError(`${source}: the state dict is empty`);
  return { tensors, layout: layout.length > 0 ? layout : ['state dict'], ...(headScale !== undefined ? { headScale } : {}) };
}
