/** Runs the CLI in-process: parse, dispatch, turn any error into one stderr line and an exit code. */
import type { CommandModule } from 'yargs';
import { createParser } from './parser.js';
import { exitCodeFor, formatError } from './report-error.js';

/** Runs `jointshot` on `args` (without node and script) and returns the exit code. */
export async function runCli(args: string[], commandList?: CommandModule<any, any>[]): Promise<number> {
  try {
    await createParser(args, commandList).parseAsync();
    return 0;
  } catch (error) {
    process.stderr.write(`${formatError(error, args.includes('--verbose'))}\n`);
    return exitCodeFor(error);
  }
}
