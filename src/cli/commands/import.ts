/**
 * `jointshot import <file>`: a PyTorch checkpoint (.pth, zip or legacy format, or .safetensors) of
 * a MetaOptNet-style Conv-4 or ResNet-12 becomes a trained-model file that `jointshot eval` runs.
 * Heavy modules are imported inside the handler so that `--help` stays fast.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { IMPORT_DEFAULTS as DEFAULTS } from '../../interop/defaults.js';
import { torchNamingNames } from '../../interop/naming.js';
import { emit, startBackend, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';
import { checkOutputFile } from '../out-path.js';

interface ImportArgs extends GlobalArgs {
  file: string;
  backbone: string;
  out: string;
  head: string;
  transform: string;
  dataset: string;
  imageSize?: number;
  mean?: string;
  std?: string;
  pooling?: 'flatten' | 'avg';
  headScale: boolean;
}

/** Three comma-separated numbers of `flag` (pixel units 0..255), or a UsageError echoing the input. */
export function channelList(flag: string, text: string): number[] {
  const values = text.split(',').map((s) => Number(s.trim()));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v)) || text.trim() === '') {
    throw new UsageError(`--${flag} expects comma-separated numbers in pixel units (e.g. 120.4,115.6,104.5), found '${text}'`);
  }
  return values;
}

const importCommand: CommandModule<GlobalArgs, ImportArgs> = {
  command: 'import <file>',
  describe: 'turn a PyTorch checkpoint (.pth zip/legacy or .safetensors; MetaOptNet Conv-4/ResNet-12, SLA/torchvision ResNets) into a jointshot model',
  builder: withHelp([], (y: Argv<GlobalArgs>) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: "the checkpoint: a state dict, DataParallel's, or MetaOptNet's {'embedding', 'head'}" })
      .option('backbone', { type: 'string', demandOption: true, choices: torchNamingNames(), describe: 'the architecture whose PyTorch names the file uses (widths are read from the file)' })
      .option('out', { type: 'string', demandOption: true, describe: 'the trained-model file to write (e.g. model.jsm)' })
      .option('head', { type: 'string', default: DEFAULTS.head, describe: 'few-shot head stored in the model (protonet, ridge, svm)' })
      .option('transform', { type: 'string', default: DEFAULTS.transform, describe: 'label transformation set for evaluation: none (plain) or rotation, ... (lifted, SLA+AG)' })
      .option('dataset', { type: 'string', default: DEFAULTS.dataset, describe: 'dataset the weights were trained on: its normalisation and native image size' })
      .option('image-size', { type: 'number', describe: "square image side (default: the dataset's: 84 mini-imagenet, 32 cifar-fs/fc100, 64 tiny-imagenet-fs)" })
      .option('mean', { type: 'string', describe: "per-channel mean in pixel units 0..255, e.g. 120.4,115.6,104.5 (default: the dataset's)" })
      .option('std', { type: 'string', describe: "per-channel std in pixel units 0..255 (default: the dataset's)" })
      .option('pooling', { type: 'string', choices: ['flatten', 'avg'] as const, describe: "embedding: flatten the last feature map or average it (default: the backbone's: flatten for conv4/resnet12 as MetaOptNet, avg for the ResNets)" })
      .option('head-scale', { type: 'boolean', default: true, describe: "use the head's learnt scale when the file has one (MetaOptNet's 'head'); --no-head-scale: 1" })
      .example('$0 import embedding.pth --backbone resnet12 --dataset mini-imagenet --out resnet12.jsm', "MetaOptNet's ResNet-12 for mini-ImageNet, ProtoNet head")
      .example('$0 import conv4.pth --backbone conv4 --dataset cifar-fs --transform rotation --head ridge --out conv4-rr.jsm', 'lifted ridge head (SLA+AG at eval)') as unknown as Argv<ImportArgs>),
  handler: async (argv) => {
    if ((argv.mean === undefined) !== (argv.std === undefined)) throw new UsageError('give both --mean and --std, or neither (then the dataset\'s constants are used)');
    const normalization = argv.mean !== undefined ? { mean: channelList('mean', argv.mean), std: channelList('std', argv.std!) } : undefined;
    await checkOutputFile(argv.out);
    await startBackend(argv);
    const { importTorchModel } = await import('../../interop/import.js');
    const summary = await importTorchModel(argv.file, argv.out, {
      backbone: argv.backbone,
      head: argv.head,
      transform: argv.transform,
      dataset: argv.dataset,
      ...(argv.pooling !== undefined ? { pooling: argv.pooling } : {}),
      headScale: argv.headScale,
      ...(argv.imageSize !== undefined ? { imageSize: argv.imageSize } : {}),
      ...(normalization ? { normalization } : {}),
    });
    const { name, ...options } = summary.config;
    const skipped = summary.skipped.length > 0 ? `; left out ${summary.skipped.length} classifier tensors (${summary.skipped.slice(0, 2).join(', ')}${summary.skipped.length > 2 ? ', ...' : ''})` : '';
    const scale = summary.headScale !== undefined ? `, scale ${summary.headScale} from the file` : '';
    const text =
      `imported ${summary.tensors} tensors (${summary.format}; ${summary.layout.join(', ')}) as ${name} ${JSON.stringify(options)}${skipped}\n` +
      `wrote ${argv.out}: head ${argv.head}${scale}, transform ${argv.transform}, normalisation ${normalization ? 'from --mean/--std' : argv.dataset}\n` +
      `evaluate it: jointshot eval --model ${argv.out} --dataset ${argv.dataset} --episodes 1000`;
    emit(argv, { ...summary, out: argv.out }, text);
  },
};

export default importCommand;
