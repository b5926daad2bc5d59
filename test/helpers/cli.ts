/** Test helper: runs the jointshot CLI in-process and captures what it prints. */
import type { CommandModule } from 'yargs';
import { runCli } from '../../src/cli/run.js';

/** What one CLI run returned and printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `jointshot ...args` in-process with only `commands`, capturing stdout and stderr.
 * It replaces process-wide streams: call it from serial tests only.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commands declare their own option types
export async function runCaptured(args: string[], commands: CommandModule<any, any>[]): Promise<CliRun> {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: await runCli(args, commands), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
