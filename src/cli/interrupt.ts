/**
 * SIGINT/SIGTERM for long commands: the first signal asks the work to stop and save, the command
 * then ends with exit 130 (SIGINT) or 143 (SIGTERM) as shells expect; a second signal ends it at once.
 */
import { JointshotError } from '../errors.js';

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit code of a process stopped by `signal`: 128 + its number. */
export function signalExitCode(signal: StopSignal): 130 | 143 {
  return signal === 'SIGINT' ? 130 : 143;
}

/** The command stopped on a signal after saving what it had: the CLI exits with `exitCode`. */
export class Interrupted extends JointshotError {
  readonly exitCode: 130 | 143;
  constructor(readonly signal: StopSignal, message: string) {
    super(message);
    this.exitCode = signalExitCode(signal);
  }
}

/** What `interruptible` tells the user. */
export interface InterruptNotes {
  /** Printed on the first signal, e.g. 'saving a checkpoint after this step'. */
  stopping: string;
  /** The one-line error after the work returned, e.g. 'stopped after saving; run the same command to continue'. */
  stopped: string;
}

/**
 * Runs `work` with an AbortSignal that SIGINT or SIGTERM aborts. When the work returns after a
 * signal, throws Interrupted (exit 130/143). With `{ immediate }` (nothing to save) the first signal exits at once.
 */
export async function interruptible<T>(notes: InterruptNotes | { immediate: string }, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    if (received !== undefined || 'immediate' in notes) {
      process.stderr.write(`\n${'immediate' in notes ? notes.immediate : 'second signal: quitting now'}\n`);
      process.exit(signalExitCode(signal));
    }
    received = signal;
    process.stderr.write(`\n${signal}: ${notes.stopping} (send it again to quit now)\n`);
    controller.abort();
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const result = await work(controller.signal);
    if (received !== undefined && 'stopped' in notes) throw new Interrupted(received, `${received}: ${notes.stopped}`);
    return result;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
