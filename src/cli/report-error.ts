/** Turns any error into the CLI's one-line message and exit code. */
import { UsageError } from '../errors.js';
import { Interrupted } from './interrupt.js';

/** yargs reports usage problems (unknown command or option, bad value) as a YError. */
function isYargsUsageError(error: unknown): boolean {
  return error instanceof Error && error.name === 'YError';
}

/** Exit code for an error: 2 when the request itself was wrong, 130/143 after a signal, 1 for any other failure. */
export function exitCodeFor(error: unknown): 1 | 2 | 130 | 143 {
  if (error instanceof Interrupted) return error.exitCode;
  return error instanceof UsageError || isYargsUsageError(error) ? 2 : 1;
}

/** `jointshot: <message>` on one line; with `verbose`, the stack follows on the next lines. */
export function formatError(error: unknown, verbose: boolean): string {
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.replace(/\s*\n\s*/g, ' ').trim() || (error instanceof Error ? error.name : 'unknown error');
  const line = `jointshot: ${message}`;
  if (verbose && error instanceof Error && error.stack) return `${line}\n${error.stack}`;
  return line;
}
