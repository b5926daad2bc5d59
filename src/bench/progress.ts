/** Bench feedback for people: the trainer's bar (or log lines), evaluation progress, cell headers. */
import { createProgress, SILENT_PROGRESS, type TrainProgress } from '../train/progress.js';

/** Where the bench reports what it is doing. */
export interface BenchProgress {
  /** A one-line message (cell started, skipped, finished...). */
  note(text: string): void;
  /** The reporter for one training run. */
  training(batchesPerEpoch: number): TrainProgress;
  /** Evaluation progress of one phase (`embed`, `episodes`). */
  evaluation(phase: string, done: number, total: number): void;
}

/** Reports on `stream`: bars redrawn in place on a terminal, plain lines (every 10%) otherwise. */
export function createBenchProgress(stream: NodeJS.WriteStream = process.stderr): BenchProgress {
  const tty = stream.isTTY === true;
  let lastPhase = '';
  let lastDecile = -1;
  return {
    note: (text) => stream.write(`${text}\n`),
    training: (batchesPerEpoch) => createProgress(stream, Math.max(1, Math.round(batchesPerEpoch / 5))),
    evaluation(phase, done, total) {
      const line = `  ${phase} ${done}/${total} (${Math.floor((100 * done) / total)}%)`;
      if (tty) {
        stream.write(`\r\x1b[K${line}${done === total ? '\n' : ''}`);
        return;
      }
      const decile = Math.floor((10 * done) / total);
      if (phase !== lastPhase || decile !== lastDecile) stream.write(`${line}\n`);
      lastPhase = phase;
      lastDecile = decile;
    },
  };
}

/** Reports nothing (tests, library use). */
export const SILENT_BENCH: BenchProgress = { note() {}, training: () => SILENT_PROGRESS, evaluation() {} };
