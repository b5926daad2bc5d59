import test from 'ava';
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import { DataError } from '../../src/errors.js';
import { readPickle } from '../../src/data/pickle.js';
import { readPth } from '../../src/interop/pth.js';
import { findStateDict } from '../../src/interop/state-dict.js';
import { isTorchTensor, tensorValues, torchPickleExtension, type TorchTensor } from '../../src/interop/torch-pickle.js';
import { fixture, PTH_VARIANTS } from './helpers.js';

const read = (name: string) => readPth(readFileSync(fixture(name)), name);

test('zip and legacy files of one model hold the same tensors, bit for bit', (t) => {
  for (const backbone of ['conv4', 'resnet12']) {
    const zip = findStateDict(read(`${backbone}-zip.pth`).root, 'zip');
    t.is(read(`${backbone}-zip.pth`).format, 'zip');
    t.is(read(`${backbone}-legacy.pth`).format, 'legacy');
    for (const variant of PTH_VARIANTS) {
      const other = findStateDict(read(`${backbone}-${variant}.pth`).root, variant);
      t.deepEqual([...other.tensors.keys()], [...zip.tensors.keys()], `${backbone} ${variant} keys`);
      for (const [key, tensor] of zip.tensors) t.deepEqual(other.tensors.get(key), tensor, `${backbone} ${variant} ${key}`);
    }
  }
});

test('values, shapes and int64 counters read as PyTorch wrote them', (t) => {
  const { tensors } = findStateDict(read('conv4-zip.pth').root, 'conv4');
  // torch.load('conv4-zip.pth')['encoder.0.block.0.weight'].flatten()[:3] and ['encoder.0.block.1.num_batches_tracked']
  const kernel = tensors.get('encoder.0.block.0.weight')!;
  t.deepEqual(kernel.shape, [8, 3, 3, 3]);
  t.deepEqual(Array.from(kernel.values.slice(0, 3)), [-0.05963532626628876, -0.5752708315849304, -0.36112579703330994]);
  t.deepEqual(tensors.get('encoder.3.block.1.num_batches_tracked'), { shape: [], values: Float32Array.of(5) });
  t.true([...tensors.get('encoder.2.block.1.running_var')!.values].every((v) => v > 0));
});

test("DataParallel's module. prefix is removed; MetaOptNet's layout gives the embedding and the head scale", (t) => {
  const parallel = findStateDict(read('resnet12-dataparallel-zip.pth').root, 'p');
  t.deepEqual(parallel.layout, ['dataparallel']);
  t.true(parallel.tensors.has('layer1.0.conv1.weight'));
  const meta = findStateDict(read('resnet12-metaoptnet-legacy.pth').root, 'm');
  t.deepEqual(meta.layout, ['metaoptnet', 'dataparallel']);
  t.is(meta.headScale, 7.5);
  t.is(findStateDict(read('conv4-legacy.pth').root, 'c').headScale, undefined);
});

test('strided and offset tensors are gathered in C order', (t) => {
  const storage = { kind: 'object', type: 'torch.storage', key: '0', dtype: 'float32', itemBytes: 4, numel: 8, view: null, bytes: new Uint8Array(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]).buffer) } as const;
  // x = torch.arange(8.)[1:].as_strided((2, 3), (1, 2)) -> [[1, 3, 5], [2, 4, 6]]
  const tensor: TorchTensor = { kind: 'object', type: 'torch.tensor', storage: { ...storage }, offset: 1, shape: [2, 3], stride: [1, 2] };
  t.deepEqual(Array.from(tensorValues(tensor, 't')), [1, 3, 5, 2, 4, 6]);
  const past: TorchTensor = { ...tensor, shape: [2, 4] };
  t.throws(() => tensorValues(past, 'p.pth'), { instanceOf: DataError, message: /reads past the end of storage '0'/ });
});

test('a file that is not a checkpoint is refused in one line', (t) => {
  t.throws(() => readPth(new Uint8Array(0), 'empty.pth'), { instanceOf: DataError, message: /^empty\.pth: not a PyTorch checkpoint: .* found an empty file$/ });
  t.throws(() => readPth(Buffer.from('hello world'), 'text.pth'), { instanceOf: DataError, message: /not a PyTorch checkpoint: .*found bytes 'hello wo'$/ });
  // A protocol-2 pickle that is not the legacy magic number (e.g. a dataset pickle renamed).
  t.throws(() => readPth(Buffer.from([0x80, 0x02, 0x4b, 0x07, 0x2e]), 'number.pth'), { instanceOf: DataError, message: /not a PyTorch checkpoint: .*a pickle of number first/ });
  const noPickle = zipSync({ 'a/readme.txt': Buffer.from('x') });
  t.throws(() => readPth(noPickle, 'other.zip'), { instanceOf: DataError, message: /a zip archive with no <name>\/data\.pkl entries/ });
});

test('damaged files: a missing storage, a truncated legacy file', (t) => {
  const entries = unzipSync(readFileSync(fixture('conv4-zip.pth')));
  delete entries['conv4-zip/data/3'];
  t.throws(() => readPth(zipSync(entries, { level: 0 }), 'cut.pth'), { instanceOf: DataError, message: /^cut\.pth: storage '3' is missing from the archive/ });
  const legacy = readFileSync(fixture('conv4-legacy.pth'));
  t.throws(() => readPth(legacy.subarray(0, legacy.length - 100), 'short.pth'), { instanceOf: DataError, message: /^short\.pth: truncated: storage '\d+' needs \d+ bytes/ });
  t.throws(() => readPth(legacy.subarray(0, 1000), 'shorter.pth'), { instanceOf: DataError, message: /^shorter\.pth: truncated pickle/ });
});

test('a pickle naming anything outside the allow-list is refused without running it, naming the global', (t) => {
  const legacy = readFileSync(fixture('conv4-legacy.pth'));
  // The first three pickles (magic, protocol, sys info) end at byte 137 (pickletools); then: os.system('ls').
  const evil = Buffer.concat([legacy.subarray(0, 137), Buffer.from('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.', 'latin1')]);
  t.throws(() => readPth(evil, 'evil.pth'), {
    instanceOf: DataError,
    message: /^evil\.pth: refused: the pickle asks for 'os\.system', which is not one of the tensor, storage and OrderedDict names of a PyTorch state dict: save model\.state_dict\(\), not the model object \(pickles are code and are never run\) \(at byte 150\)$/,
  });
  // A whole pickled model names its class: refused the same way.
  const model = Buffer.concat([legacy.subarray(0, 137), Buffer.from('\x80\x02cmodels.protonet_embedding\nProtoNetEmbedding\nq\x00)\x81q\x01.', 'latin1')]);
  t.throws(() => readPth(model, 'model.pth'), { instanceOf: DataError, message: /refused: the pickle asks for 'models\.protonet_embedding\.ProtoNetEmbedding'/ });
});

test('state dicts with non-tensor entries or no dict at all are refused', (t) => {
  t.throws(() => findStateDict([1, 2], 'list.pth'), { instanceOf: DataError, message: /^list\.pth: expected a state dict \(a dict of tensors\), found a list$/ });
  t.throws(() => findStateDict(new Map([['epoch', 3]]), 'e.pth'), { instanceOf: DataError, message: /^e\.pth: state dict entry 'epoch' is number, not a tensor$/ });
  const { root } = read('conv4-zip.pth');
  const wrapped = findStateDict(new Map([['state_dict', root]]), 'w.pth');
  t.deepEqual(wrapped.layout, ["'state_dict' entry"]);
  t.true(isTorchTensor((root as Map<string, unknown>).get('encoder.0.block.0.weight')));
});

test("hankook/SLA's training checkpoint: argparse options (NEWOBJ), optimizer state and counters read as data", (t) => {
  const root = read('resnet20-sla-legacy.pth').root as Map<string, unknown>;
  t.deepEqual([...root.keys()], ['model', 'optim', 'best', 'args', 'epoch', 'iteration']);
  t.true(root.get('args') instanceof Map);
  t.deepEqual(root.get('best'), [0.5, 0.4]);
  t.is(root.get('iteration'), 3000);
  const momentum = ((root.get('optim') as Map<string, unknown>).get('state') as Map<number, Map<string, unknown>>).get(0)!.get('momentum_buffer');
  t.true(isTorchTensor(momentum));
  // Without the torch extension NEWOBJ stays refused (dataset pickles never need it).
  t.throws(() => readPickle(Buffer.from('\x80\x02cargparse\nNamespace\n)\x81.', 'latin1'), 'ns.pickle'), { instanceOf: DataError, message: /refused: the pickle asks for 'argparse\.Namespace'/ });
});

test('storage types convert to float32; legacy storage views offset into their root storage', (t) => {
  const storages = new Map();
  const extension = torchPickleExtension('t.pth', storages);
  const type = (name: string) => ({ kind: 'object', type: 'global', name }) as const;
  const tensorOf = (storageName: string, bytes: number[], shape: number[], view?: [string, number, number]) => {
    const storage = extension.persistentLoad!(['storage', type(`torch.${storageName}`), `k${storages.size}`, 'cpu', null, view ?? null]) as TorchTensor['storage'];
    storages.get(storage.key)!.bytes = Uint8Array.from(bytes);
    const rebuild = extension.globals.get('torch._utils._rebuild_tensor_v2')!;
    return rebuild([storage, 0, shape, shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1)), false, new Map()]) as TorchTensor;
  };
  // float16 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal); bfloat16 1.0, -0.5; int64 -3; bool.
  t.deepEqual(Array.from(tensorValues(tensorOf('HalfStorage', [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00], [4]), 't')), [1, -2, 65504, 2 ** -24]);
  t.deepEqual(Array.from(tensorValues(tensorOf('BFloat16Storage', [0x80, 0x3f, 0x00, 0xbf], [2]), 't')), [1, -0.5]);
  t.deepEqual(Array.from(tensorValues(tensorOf('LongStorage', [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], []), 't')), [-3]);
  t.deepEqual(Array.from(tensorValues(tensorOf('BoolStorage', [1, 0, 1], [3]), 't')), [1, 0, 1]);
  // A view of elements 2..5 of an 8-element root storage: the tensor's element 0 is the root's element 2.
  const root = Array.from(new Uint8Array(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]).buffer));
  t.deepEqual(Array.from(tensorValues(tensorOf('FloatStorage', root, [2, 2], ['v', 2, 4]), 't')), [2, 3, 4, 5]);
  t.throws(() => tensorValues(tensorOf('FloatStorage', root, [2], ['w', 7, 2]), 't'), { instanceOf: DataError, message: /a view of storage 'k\d+' ends past its 8 elements/ });
  t.throws(() => extension.persistentLoad!(['storage', type('torch.QInt8Storage'), 'q', 'cpu', 1]), { instanceOf: DataError, message: /unsupported storage type/ });
  t.throws(() => extension.persistentLoad!(['module', 'x']), { instanceOf: DataError, message: /persistent id "module" is not a storage/ });
});
