/** Bench feedback for people: the trainer's status line (or log lines), evaluation progress with ETA, cell headers. */
import { createProgress, SILENT_PROGRESS, type TrainProgress } from '../train/progress.js';
import { createPhaseProgress } from '../util/status-line.js';

/** Where the bench reports what it is doing. */
export interface BenchProgress {
  /** A one-line message (cell started, skipped, finished...). */
  note(text: string): void;
  /** The reporter for one training run. */
  training(batchesPerEpoch: number): TrainProgress;
  /** Evaluation progress of one phase (`embed`, `episodes`). */
  evaluation(phase: string, done: number, total: number): void;
}

/** Reports on `stream`: status lines redrawn in place on a terminal, plain lines (every 10%) otherwise. */
export function createBenchProgress(stream: NodeJS.WriteStream = process.stderr): BenchProgress {
  return {
    note: (text) => stream.write(`${text}\n`),
    training: (batchesPerEpoch) => createProgress(stream, Math.max(1, Math.round(batchesPerEpoch / 5))),
    evaluation: createPhaseProgress(stream, { indent: '  ' }),
  };
}

/** Reports nothing (tests, library use). */
export const SILENT_BENCH: BenchProgress = { note() {}, training: () => SILENT_PROGRESS, evaluation() {} };
