/** The yargs parser for `jointshot <command>`: global options, strict checking, the command list. */
import yargs, { type Argv, type CommandModule } from 'yargs';
import { commands } from './commands/index.js';
import { defaultDataDir, type GlobalArgs } from './context.js';
import { checkParsedArgs, checkSeed, loadCliPlugins, type OptionLists } from './middleware.js';
import { BACKEND_NAMES } from '../backend/names.js';
import { UsageError } from '../errors.js';


/** Builds the parser for `args` (without node and script). Errors are thrown, never printed. */
export function createParser(args: string[], commandList: CommandModule<any, any>[] = commands): Argv<GlobalArgs> {
  return yargs(args)
    .scriptName('jointshot')
    .usage('$0 <command> [options]\n\nFew-shot meta-learning on TensorFlow.js with self-supervised label augmentation.')
    .option('backend', {
      type: 'string',
      choices: [...BACKEND_NAMES],
      describe: 'TensorFlow.js backend (default: $JOINTSHOT_BACKEND, else the first installed of tensorflow, native, wasm, cpu)',
      global: true,
    })
    .option('data-dir', {
      type: 'string',
      default: defaultDataDir(),
      defaultDescription: '$JOINTSHOT_DATA or ~/.cache/jointshot',
      describe: 'where datasets and caches live',
      global: true,
      normalize: true,
    })
    .option('seed', { type: 'number', default: 0, describe: 'seed of every random choice', global: true, coerce: checkSeed })
    .option('verbose', { type: 'boolean', default: false, describe: 'more output; stack traces on errors', global: true })
    .option('json', { type: 'boolean', default: false, describe: 'print results as JSON on stdout', global: true })
    .option('plugin', {
      type: 'string',
      array: true,
      describe: 'ES module registering heads, backbones, datasets or transformation sets (repeatable; see docs/extending.md)',
      global: true,
    })
    // No top-level group: each command's builder puts the global options after its own (src/cli/help.ts).
    // yargs passes itself as the second argument; its types only declare the first.
    .middleware((async (argv: Record<string, unknown>, y: { getOptions(): OptionLists }) => {
      checkParsedArgs(argv, y.getOptions(), args);
      await loadCliPlugins(argv);
    }) as never)
    .command(commandList)
    .demandCommand(1, 'missing command: run jointshot --help for the list')
    .recommendCommands()
    .strictCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      // Errors from handlers pass through untouched; yargs' own complaints are usage errors.
      if (error) throw error;
      throw new UsageError(message.includes('--help') ? message : `${message} (see jointshot --help)`);
    }) as unknown as Argv<GlobalArgs>;
}
