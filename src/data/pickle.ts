/**
 * A focused, safe reader for the Python pickles that hold datasets (CIFAR-100's python files,
 * MetaOptNet's `*.pickle`): protocols 2-4, plain containers, and numpy arrays. Pickles are code;
 * this reader executes none of it: only the few globals numpy arrays need are recognised (as
 * data constructors written here), any other global is refused with a DataError.
 * Python 2 `str` is read with latin1 semantics: as raw bytes, and as a latin1 string where it is
 * a dict key or a dtype code. A `PickleExtension` adds named globals and persistent ids (as data
 * constructors too, e.g. PyTorch's tensors in src/interop/torch-pickle.ts).
 */
import { DataError } from '../errors.js';

/** A numpy array read from a pickle: dtype code (e.g. 'u1', '<i8'), C-order shape, raw bytes. */
export interface NdArray {
  readonly kind: 'ndarray';
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** A value made by a PickleExtension (`type` tells which), or a global it allows named as a value. */
export interface PickleObject {
  readonly kind: 'object';
  readonly type: string;
}

/** A global named in a persistent id or a constructor's arguments (e.g. `torch.FloatStorage`). */
export interface PickleGlobal extends PickleObject {
  readonly type: 'global';
  readonly name: string;
}

/** Extra names and persistent ids a caller lets a pickle use; every callable is the caller's own data constructor. */
export interface PickleExtension {
  /** 'module.name' -> the constructor REDUCE calls with the argument tuple (null: usable only as a value). */
  readonly globals: ReadonlyMap<string, ((args: PickleValue[]) => PickleValue) | null>;
  /** What the allowed names are, for the refusal message (e.g. 'the names PyTorch state dicts use'). */
  readonly describe: string;
  /** Resolves a persistent id (BINPERSID); absent: persistent ids are refused. */
  persistentLoad?(pid: PickleValue): PickleValue;
  /** BUILD on a dict or an extension value (e.g. an OrderedDict's attributes); absent: refused. */
  build?(target: PickleValue, state: PickleValue): PickleValue;
}

/** The values a dataset pickle may hold. Python dicts become Maps with string or number keys. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<string | number, PickleValue>
  | NdArray
  | PickleObject;

/** The only globals a pickle may name, and what each stands for here. */
const ALLOWED_GLOBALS = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.ndarray',
  'numpy.dtype',
  '_codecs.encode',
]);

const ITEM_SIZES: Record<string, number> = { b1: 1, u1: 1, i1: 1, u2: 2, i2: 2, u4: 4, i4: 4, f4: 4, u8: 8, i8: 8, f8: 8 };

class Global {
  constructor(readonly name: string) {}
}
class Dtype {
  byteOrder = '|';
  constructor(readonly code: string) {}
}
/** An ndarray made by `_reconstruct`, waiting for its BUILD state. */
class PendingArray {}
const MARK = Symbol('mark');

type StackItem = PickleValue | Global | Dtype | PendingArray | typeof MARK;

/** Reads one pickle from `bytes`; `source` names the file in error messages. Throws DataError. */
export function readPickle(bytes: Uint8Array, source: string, extension?: PickleExtension): PickleValue {
  return readPickleAt(bytes, 0, source, extension).value;
}

/** Reads the pickle starting at byte `start` (files may hold several in a row) and where it ends. */
export function readPickleAt(bytes: Uint8Array, start: number, source: string, extension?: PickleExtension): { value: PickleValue; end: number } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, StackItem>();
  let pos = start;

  const fail = (what: string): never => {
    throw new DataError(`${source}: ${what} (at byte ${pos})`);
  };
  const need = (n: number): number => {
    if (pos + n > buf.length) {
      throw new DataError(`${source}: truncated pickle: needs ${pos + n} bytes, file has ${buf.length}; get the file again`);
    }
    const at = pos;
    pos += n;
    return at;
  };
  const take = (n: number): Uint8Array => {
    const at = need(n);
    return buf.subarray(at, at + n);
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) need(buf.length - pos + 1);
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): StackItem => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop()!;
  };
  const popToMark = (): StackItem[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('missing MARK');
    const items = stack.splice(at);
    items.shift();
    return items;
  };
  const top = (): StackItem => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1]!;
  };
  const plain = (v: StackItem): PickleValue => {
    if (v instanceof Global && extension?.globals.has(v.name)) return { kind: 'object', type: 'global', name: v.name } as PickleGlobal;
    if (v === MARK || v instanceof Global || v instanceof Dtype || v instanceof PendingArray) {
      return fail('a numpy helper object is used as a value');
    }
    return v;
  };
  const key = (k: StackItem): string | number => {
    if (typeof k === 'string' || typeof k === 'number') return k;
    if (k instanceof Uint8Array) return Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1');
    return fail('unsupported dict key type');
  };
  const text = (v: StackItem, what: string): string => {
    if (typeof v === 'string') return v;
    if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
    return fail(`expected a string for ${what}`);
  };
  const setItems = (dict: StackItem, items: StackItem[]): void => {
    if (!(dict instanceof Map)) fail('SETITEM on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) (dict as Map<string | number, PickleValue>).set(key(items[i]!), plain(items[i + 1]!));
  };
  const append = (list: StackItem, items: StackItem[]): void => {
    if (!Array.isArray(list)) fail('APPEND on a non-list');
    for (const item of items) (list as PickleValue[]).push(plain(item));
  };
  const global = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (extension?.globals.has(full)) return new Global(full);
    if (!ALLOWED_GLOBALS.has(full)) {
      const allowed = extension?.describe ?? 'the numpy/builtin names dataset pickles use';
      fail(`refused: the pickle asks for '${full}', which is not one of ${allowed} (pickles are code and are never run)`);
    }
    return new Global(full);
  };
  const reduce = (callable: StackItem, args: StackItem): StackItem => {
    if (!(callable instanceof Global) || !Array.isArray(args)) return fail('REDUCE needs an allowed global and a tuple');
    const a = args as StackItem[];
    const construct = extension?.globals.get(callable.name);
    if (construct) return construct(a.map(plain));
    switch (callable.name) {
      case 'numpy.core.multiarray._reconstruct':
      case 'numpy._core.multiarray._reconstruct':
        if (!(a[0] instanceof Global) || a[0].name !== 'numpy.ndarray') fail('_reconstruct of something other than numpy.ndarray');
        return new PendingArray();
      case 'numpy.dtype':
        return new Dtype(text(a[0]!, 'a dtype'));
      case '_codecs.encode': {
        const encoding = a[1] === undefined ? 'utf-8' : text(a[1], 'an encoding');
        if (typeof a[0] !== 'string' || !/^latin-?1$/i.test(encoding)) fail('_codecs.encode other than latin1');
        return Buffer.from(a[0] as string, 'latin1');
      }
      default:
        return fail(`cannot call '${callable.name}'`);
    }
  };
  const build = (target: StackItem, state: StackItem): StackItem => {
    if (target instanceof Dtype && Array.isArray(state)) {
      const order = state[1];
      if (typeof order === 'string') target.byteOrder = order;
      return target;
    }
    if (target instanceof PendingArray && Array.isArray(state)) {
      const [, shapeItem, dtype, fortran, raw] = state as StackItem[];
      if (!Array.isArray(shapeItem) || !shapeItem.every((d) => typeof d === 'number' && d >= 0)) fail('bad ndarray shape');
      if (!(dtype instanceof Dtype)) return fail('ndarray without a dtype');
      const code = dtype.code.replace(/^[<>|=]/, '');
      const itemSize = ITEM_SIZES[code];
      if (itemSize === undefined) fail(`unsupported ndarray dtype '${dtype.code}' (object arrays are refused)`);
      if (dtype.byteOrder === '>' && itemSize! > 1) fail('big-endian ndarray is not supported');
      if (fortran === true) fail('Fortran-ordered ndarray is not supported');
      if (!(raw instanceof Uint8Array)) return fail('ndarray data is not a byte string');
      const shape = shapeItem as number[];
      const expected = shape.reduce((p, d) => p * d, 1) * itemSize!;
      if (raw.length !== expected) fail(`ndarray data has ${raw.length} bytes, shape ${shape.join('x')} needs ${expected}`);
      const array: NdArray = { kind: 'ndarray', dtype: code, shape, data: raw };
      return array;
    }
    if (extension?.build && (target instanceof Map || (typeof target === 'object' && (target as PickleObject | null)?.kind === 'object'))) {
      return extension.build(target as PickleValue, plain(state));
    }
    return fail('BUILD of an object other than a numpy array or dtype');
  };

  for (;;) {
    const op = buf[need(1)]!;
    switch (op) {
      case 0x80: // PROTO
        if (buf[need(1)]! > 4) fail(`pickle protocol ${buf[pos - 1]} is not supported (2-4 are); re-save with protocol 4`);
        break;
      case 0x95: // FRAME
        need(8);
        break;
      case 0x2e: // STOP
        return { value: plain(pop()), end: pos };
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x74: // TUPLE
        stack.push(popToMark() as PickleValue[]);
        break;
      case 0x85: // TUPLE1
        stack.push([pop()] as PickleValue[]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b] as PickleValue[]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c] as PickleValue[]);
        break;
      }
      case 0x6c: // LIST
        stack.push(popToMark().map(plain));
        break;
      case 0x64: {
        // DICT
        const dict = new Map<string | number, PickleValue>();
        setItems(dict, popToMark());
        stack.push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popToMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const k = pop();
        setItems(top(), [k, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popToMark();
        setItems(top(), items);
        break;
      }
      case 0x4a: // BININT
        stack.push(buf.readInt32LE(need(4)));
        break;
      case 0x4b: // BININT1
        stack.push(buf[need(1)]!);
        break;
      case 0x4d: // BININT2
        stack.push(buf.readUInt16LE(need(2)));
        break;
      case 0x8a: {
        // LONG1
        const n = buf[need(1)]!;
        const bytes = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
        if (n > 0 && bytes[n - 1]! >= 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT
        stack.push(buf.readDoubleBE(need(8)));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x55: // SHORT_BINSTRING (py2 str: bytes, latin1)
      case 0x43: // SHORT_BINBYTES
        stack.push(take(buf[need(1)]!));
        break;
      case 0x54: // BINSTRING
      case 0x42: // BINBYTES
        stack.push(take(buf.readUInt32LE(need(4))));
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(Number(buf.readBigUInt64LE(need(8)))));
        break;
      case 0x58: // BINUNICODE
        stack.push(Buffer.from(take(buf.readUInt32LE(need(4)))).toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(Buffer.from(take(buf[need(1)]!)).toString('utf8'));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(Buffer.from(take(Number(buf.readBigUInt64LE(need(8))))).toString('utf8'));
        break;
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = text(pop(), 'a global name');
        stack.push(global(text(pop(), 'a module name'), name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        stack.push(reduce(pop(), args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        stack.push(build(pop(), state));
        break;
      }
      case 0x71: // BINPUT
        memo.set(buf[need(1)]!, top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(buf.readUInt32LE(need(4)), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const id = op === 0x68 ? buf[need(1)]! : buf.readUInt32LE(need(4));
        if (!memo.has(id)) fail(`memo ${id} is not defined`);
        stack.push(memo.get(id)!);
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popToMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x81: {
        // NEWOBJ (cls.__new__(cls, *args)): only a class an extension constructs, e.g. argparse.Namespace
        const args = pop();
        const cls = pop();
        if (!(cls instanceof Global) || !extension?.globals.get(cls.name)) {
          pos--;
          fail('unsupported pickle opcode 0x81 (NEWOBJ of a class no reader here constructs)');
        }
        stack.push(reduce(cls, args));
        break;
      }
      case 0x51: {
        // BINPERSID
        if (!extension?.persistentLoad) fail('persistent ids are not supported in dataset pickles');
        const pid = pop();
        stack.push(extension!.persistentLoad!(Array.isArray(pid) ? (pid as StackItem[]).map(plain) : plain(pid)));
        break;
      }
      default:
        pos--;
        fail(`unsupported pickle opcode 0x${op.toString(16)} (only protocol 2-4 dataset pickles are read)`);
    }
  }
}

/** True when `v` is a numpy array read by readPickle. */
export function isNdArray(v: unknown): v is NdArray {
  return typeof v === 'object' && v !== null && (v as NdArray).kind === 'ndarray';
}
