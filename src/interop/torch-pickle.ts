/**
 * PyTorch's tensors as data, for the safe pickle reader: the allow-list of names a state dict's
 * pickle uses (tensor rebuild functions, OrderedDict, the typed storages) and the persistent ids
 * that point at storages. Nothing named in the file is ever run: each allowed name maps to a
 * constructor written here. Own code (absence: no npm library reads .pth files).
 */
import { DataError } from '../errors.js';
import type { PickleExtension, PickleGlobal, PickleObject, PickleValue } from '../data/pickle.js';

/** Element types of PyTorch storages, by storage class name. */
const STORAGE_TYPES: Readonly<Record<string, { dtype: TorchDtype; bytes: number }>> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};

/** Element types of the tensors read here. */
export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** A storage named by a persistent id; its bytes are attached once the container has been read. */
export interface TorchStorage extends PickleObject {
  readonly type: 'torch.storage';
  readonly key: string;
  readonly dtype: TorchDtype;
  readonly itemBytes: number;
  /** Elements, when the persistent id says (zip format; legacy files say it in front of the data). */
  readonly numel: number | null;
  /** Legacy view of a larger storage: element offset and count inside `root`'s elements. */
  readonly view: { offset: number; numel: number } | null;
  /** The storage a view looks into (its bytes arrive after the pickle is read). */
  readonly root?: TorchStorage;
  bytes: Uint8Array | null;
}

/** A tensor: a strided window on a storage (`_rebuild_tensor_v2`). */
export interface TorchTensor extends PickleObject {
  readonly type: 'torch.tensor';
  readonly storage: TorchStorage;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

const STATE_DICT_NAMES = 'the tensor, storage and OrderedDict names of a PyTorch state dict: save model.state_dict(), not the model object';

function isGlobal(v: PickleValue | undefined): v is PickleGlobal {
  return typeof v === 'object' && v !== null && (v as PickleObject).kind === 'object' && (v as PickleObject).type === 'global';
}

/** True when `v` is a tensor read from a .pth file. */
export function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && (v as PickleObject).kind === 'object' && (v as PickleObject).type === 'torch.tensor';
}

function integers(v: PickleValue | undefined, what: string, source: string): number[] {
  if (!Array.isArray(v) || !v.every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)) {
    throw new DataError(`${source}: a tensor's ${what} is not a tuple of non-negative integers`);
  }
  return v as number[];
}

function storageKey(v: PickleValue | undefined, source: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new DataError(`${source}: a storage key is neither a string nor an integer`);
}

function rebuildTensor(args: PickleValue[], source: string): TorchTensor {
  const storage = args[0] as TorchStorage | undefined;
  if (typeof storage !== 'object' || storage === null || (storage as PickleObject).type !== 'torch.storage') {
    throw new DataError(`${source}: a tensor is rebuilt from something other than a storage`);
  }
  const offset = args[1];
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) throw new DataError(`${source}: a tensor has a bad storage offset`);
  const shape = integers(args[2], 'size', source);
  const stride = integers(args[3], 'stride', source);
  if (stride.length !== shape.length) throw new DataError(`${source}: a tensor's size and stride have different lengths`);
  return { kind: 'object', type: 'torch.tensor', storage, offset, shape, stride };
}

/**
 * The pickle extension for a .pth file's main pickle. `format` picks the persistent-id layout:
 * zip `('storage', type, key, location, numel)`, legacy `('storage', type, key, location, numel,
 * view)`; every storage met is recorded in `storages` by key.
 */
export function torchPickleExtension(source: string, storages: Map<string, TorchStorage>): PickleExtension {
  const globals = new Map<string, ((args: PickleValue[]) => PickleValue) | null>([
    ['collections.OrderedDict', () => new Map()],
    // Training scripts save their argparse options next to the weights (hankook/SLA's 'args'); read as an empty dict.
    ['argparse.Namespace', () => new Map()],
    ['torch._utils._rebuild_tensor_v2', (args) => rebuildTensor(args, source)],
    ['torch._utils._rebuild_tensor', (args) => rebuildTensor(args, source)],
    ['torch._utils._rebuild_parameter', (args) => {
      if (!isTorchTensor(args[0])) throw new DataError(`${source}: a Parameter wraps something other than a tensor`);
      return args[0];
    }],
  ]);
  for (const name of Object.keys(STORAGE_TYPES)) globals.set(`torch.${name}`, null);
  return {
    globals,
    describe: STATE_DICT_NAMES,
    persistentLoad(pid) {
      if (!Array.isArray(pid) || pid[0] !== 'storage') {
        throw new DataError(`${source}: persistent id ${JSON.stringify(Array.isArray(pid) ? pid[0] : typeof pid)} is not a storage (only state dicts of tensors are read)`);
      }
      const [, type, rawKey, , numel, view] = pid;
      if (!isGlobal(type) || !type.name.startsWith('torch.') || !(type.name.slice(6) in STORAGE_TYPES)) {
        throw new DataError(`${source}: unsupported storage type ${isGlobal(type) ? `'${type.name}'` : JSON.stringify(type)}`);
      }
      const kind = STORAGE_TYPES[type.name.slice(6)]!;
      const key = storageKey(rawKey, source);
      let viewOf: TorchStorage['view'] = null;
      const rootKey = key;
      if (Array.isArray(view)) {
        // Legacy storage views: (view key, element offset, element count) inside storage `key`.
        const [, offset, size] = view;
        if (typeof offset !== 'number' || typeof size !== 'number') throw new DataError(`${source}: bad storage view ${JSON.stringify(view)}`);
        viewOf = { offset, numel: size };
      }
      const existing = storages.get(rootKey);
      const root: TorchStorage = existing ?? {
        kind: 'object',
        type: 'torch.storage',
        key: rootKey,
        dtype: kind.dtype,
        itemBytes: kind.bytes,
        numel: typeof numel === 'number' ? numel : null,
        view: null,
        bytes: null,
      };
      storages.set(rootKey, root);
      if (!viewOf) return root;
      return { ...root, view: viewOf, root };
    },
    // An OrderedDict's attributes (a state dict's `_metadata`): not part of the data.
    build: (target) => target,
  };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Reads element `i` of a storage's bytes as a number (int64 exactly up to 2^53). */
function elementReader(storage: TorchStorage, view: DataView): (i: number) => number {
  const n = storage.itemBytes;
  switch (storage.dtype) {
    case 'float32': return (i) => view.getFloat32(i * n, true);
    case 'float64': return (i) => view.getFloat64(i * n, true);
    case 'float16': return (i) => halfToFloat(view.getUint16(i * n, true));
    case 'bfloat16': return (i) => {
      scratch.setUint32(0, view.getUint16(i * n, true) << 16, true);
      return scratch.getFloat32(0, true);
    };
    case 'int64': return (i) => Number(view.getBigInt64(i * n, true));
    case 'int32': return (i) => view.getInt32(i * n, true);
    case 'int16': return (i) => view.getInt16(i * n, true);
    case 'int8': return (i) => view.getInt8(i);
    case 'uint8':
    case 'bool': return (i) => view.getUint8(i);
  }
}
const scratch = new DataView(new ArrayBuffer(4));

/** The tensor's elements in C order as float32 (strides and storage offset applied). */
export function tensorValues(tensor: TorchTensor, source: string): Float32Array {
  const { storage, shape, stride } = tensor;
  const bytes = (storage.root ?? storage).bytes;
  if (!bytes) throw new DataError(`${source}: storage '${storage.key}' has no data in the file`);
  const base = (storage.view?.offset ?? 0) + tensor.offset;
  const available = storage.view?.numel ?? bytes.length / storage.itemBytes;
  if (storage.view && (storage.view.offset + storage.view.numel) * storage.itemBytes > bytes.length) {
    throw new DataError(`${source}: a view of storage '${storage.key}' ends past its ${bytes.length / storage.itemBytes} elements`);
  }
  const size = shape.reduce((p, d) => p * d, 1);
  const out = new Float32Array(size);
  if (size === 0) return out;
  const last = base + shape.reduce((s, d, i) => s + (d - 1) * stride[i]!, 0);
  if (last >= (storage.view ? storage.view.offset + available : available)) {
    throw new DataError(`${source}: a tensor of shape [${shape.join(', ')}] reads past the end of storage '${storage.key}' (${available} elements)`);
  }
  const read = elementReader(storage, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const index = new Array<number>(shape.length).fill(0);
  let at = base;
  for (let k = 0; k < size; k++) {
    out[k] = read(at);
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]!++;
      at += stride[d]!;
      if (index[d]! < shape[d]!) break;
      at -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}
