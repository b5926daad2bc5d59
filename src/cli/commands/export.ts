/**
 * `jointshot export <model>`: a model's (or bare checkpoint's) backbone weights as safetensors
 * with PyTorch names and layouts (MetaOptNet's Conv-4/ResNet-12 modules), for PyTorch users.
 */
import type { Argv, CommandModule } from 'yargs';
import { emit, startBackend, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';
import { checkOutputFile } from '../out-path.js';

interface ExportArgs extends GlobalArgs {
  model: string;
  format: 'safetensors';
  out: string;
}

const exportCommand: CommandModule<GlobalArgs, ExportArgs> = {
  command: 'export <model>',
  describe: "write a model's backbone weights for PyTorch (safetensors, MetaOptNet's module names)",
  builder: withHelp([], (y: Argv<GlobalArgs>) =>
    y
      .positional('model', { type: 'string', demandOption: true, describe: 'a trained model (.jsm) or backbone checkpoint' })
      .option('format', { type: 'string', choices: ['safetensors'] as const, default: 'safetensors' as const, describe: 'output format' })
      .option('out', { type: 'string', demandOption: true, describe: 'the file to write (e.g. model.safetensors)' })
      .example('$0 export runs/conv4/best.jsm --out conv4.safetensors', 'then in PyTorch: ProtoNetEmbedding().load_state_dict(safetensors.torch.load_file(...))') as unknown as Argv<ExportArgs>),
  handler: async (argv) => {
    await checkOutputFile(argv.out);
    await startBackend(argv);
    const { exportSafetensors } = await import('../../interop/export.js');
    const result = await exportSafetensors(argv.model, argv.out);
    emit(argv, { ...result, out: argv.out }, `wrote ${argv.out}: ${result.tensors} tensors of ${result.backbone} (${result.bytes} bytes, PyTorch names and layouts)`);
  },
};

export default exportCommand;
