import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { isNdArray, readPickle, type PickleValue } from '../../src/data/pickle.js';
import { FIXTURES } from './helpers.js';

const read = (name: string): PickleValue => readPickle(readFileSync(join(FIXTURES, name)), name);
const asMap = (v: PickleValue): Map<string | number, PickleValue> => v as Map<string | number, PickleValue>;

test('reads a Python 2 protocol-2 MetaOptNet pickle (BINSTRING keys and data, numpy.core globals)', (t) => {
  const dict = asMap(read('metaoptnet/CIFAR_FS_test.pickle'));
  t.deepEqual([...dict.keys()], ['data', 'labels']);
  const data = dict.get('data');
  if (!isNdArray(data)) return t.fail('data is not an ndarray');
  t.is(data.dtype, 'u1');
  t.deepEqual(data.shape, [60, 32, 32, 3]);
  const labels = dict.get('labels') as number[];
  t.is(labels.length, 60);
  // Fixture pattern: image i has channel 1 = its CIFAR-100 fine label, channel 2 = (row + col) % 256.
  const image = 7;
  const base = image * 32 * 32 * 3;
  t.is(data.data[base + 1], labels[image]);
  t.is(data.data[base + (5 * 32 + 9) * 3 + 2], 14);
});

test('reads Python 3 pickles of protocols 2 (_codecs.encode bytes) and 4 (frames, memoize, numpy._core)', (t) => {
  for (const name of ['py3-pickles/protocol2.pickle', 'py3-pickles/protocol4.pickle']) {
    const dict = asMap(read(name));
    const data = dict.get('data');
    if (!isNdArray(data)) return t.fail(`${name}: data is not an ndarray`);
    t.deepEqual(data.shape, [2, 2, 2, 3], name);
    t.deepEqual([...data.data], Array.from({ length: 24 }, (_, i) => i), name);
    t.deepEqual(dict.get('labels'), [1, 70000], name);
    t.is(dict.get('name'), 'x', name);
  }
});

test('refuses a pickle that asks for any global outside the numpy allow-list, naming it', (t) => {
  const error = t.throws(() => read('bad-pickles/evil-global.pickle'), { instanceOf: DataError });
  t.regex(error!.message, /refused: the pickle asks for '(posix|os)\.system'/);
  t.notRegex(error!.message, /\n/);
});

test('refuses hand-made pickles calling builtins or instantiating classes', (t) => {
  // protocol 2: GLOBAL builtins.eval, ('1',) , REDUCE
  const evalPickle = Buffer.concat([Buffer.from([0x80, 2]), Buffer.from('cbuiltins\neval\nX\x01\x00\x00\x001\x85R.', 'latin1')]);
  t.throws(() => readPickle(evalPickle, 'eval.pickle'), { instanceOf: DataError, message: /refused: .*'builtins\.eval'/ });
  // numpy.dtype is allowed, but BUILD on anything but an ndarray/dtype is not
  const newobj = Buffer.from('\x80\x02cnumpy\nndarray\n)\x81.', 'latin1');
  t.throws(() => readPickle(newobj, 'newobj.pickle'), { instanceOf: DataError, message: /unsupported pickle opcode 0x81/ });
});

test('a truncated pickle gives one line naming the file', (t) => {
  const error = t.throws(() => read('bad-pickles/truncated.pickle'), { instanceOf: DataError });
  t.regex(error!.message, /^bad-pickles\/truncated\.pickle: truncated pickle/);
  t.notRegex(error!.message, /\n/);
});

test('an ndarray whose byte string does not match its shape is refused', (t) => {
  // 2x2 uint8 array with 3 data bytes
  const text =
    '\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R(K\x01K\x02K\x02\x86cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89U\x03abctb.';
  t.throws(() => readPickle(Buffer.from(text, 'latin1'), 'short.pickle'), { instanceOf: DataError, message: /has 3 bytes, shape 2x2 needs 4/ });
});

test('protocols above 4 are refused with the fix', (t) => {
  t.throws(() => readPickle(Buffer.from([0x80, 5, 0x4e, 0x2e]), 'p5.pickle'), {
    instanceOf: DataError,
    message: /p5\.pickle: pickle protocol 5 is not supported \(2-4 are\); re-save with protocol 4/,
  });
});
