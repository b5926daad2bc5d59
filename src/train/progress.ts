/** Training feedback for people: one status line on a terminal (fits its width), plain log lines otherwise. */
import { createStatusLine, formatDuration } from '../util/status-line.js';

export { formatDuration };

/** What the trainer reports after each step. */
export interface StepReport {
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  lr: number;
  loss: number;
  accuracy: number;
  /** Images (copies included) per second over this session so far. */
  imagesPerSecond: number;
  /** Estimated seconds to the end of the run. */
  etaSeconds: number;
}

/** What the trainer reports after each validation. */
export interface ValidationReport {
  epoch: number;
  /** Mean accuracy in percent (aggregated when M > 1) and its 95% half-width. */
  accuracy: number;
  ci95: number | null;
  best: boolean;
}

/** Receives the trainer's events (the CLI prints them; tests may record them). */
export interface TrainProgress {
  step(report: StepReport): void;
  validation(report: ValidationReport): void;
  /** A one-line note (checkpoint saved, resumed, stopped...). */
  note(text: string): void;
  /** The run ended (the bar gets its final newline). */
  end(): void;
}

function stepLine(r: StepReport): string {
  return (
    `epoch ${r.epoch}/${r.epochs} step ${r.step}/${r.totalSteps} lr ${r.lr.toPrecision(2)} ` +
    `loss ${r.loss.toFixed(4)} acc ${(100 * r.accuracy).toFixed(1)}% ${r.imagesPerSecond.toFixed(1)} img/s ETA ${formatDuration(r.etaSeconds)}`
  );
}

/** The status line of a step, most important first, so that cutting it to a narrow terminal keeps the ETA. */
function statusText(r: StepReport): string {
  return (
    `step ${r.step}/${r.totalSteps} (${Math.floor((100 * r.step) / r.totalSteps)}%) ETA ${formatDuration(r.etaSeconds)} ` +
    `loss ${r.loss.toFixed(4)} acc ${(100 * r.accuracy).toFixed(1)}% epoch ${r.epoch}/${r.epochs} lr ${r.lr.toPrecision(2)} ${r.imagesPerSecond.toFixed(1)} img/s`
  );
}

/**
 * A reporter on `stream`: on a TTY one status line redrawn in place; otherwise one line every
 * `every` steps, at the last step, and at least every `everySeconds` seconds.
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, every = 10, everySeconds = 60): TrainProgress {
  const status = createStatusLine(stream);
  let lastLine = performance.now();
  return {
    step(r) {
      if (status.tty) {
        status.show(statusText(r));
      } else if (r.step % every === 0 || r.step === r.totalSteps || performance.now() - lastLine >= everySeconds * 1000) {
        stream.write(`${stepLine(r)}\n`);
        lastLine = performance.now();
      }
    },
    validation(r) {
      const ci = r.ci95 === null ? '' : ` ± ${r.ci95.toFixed(2)}`;
      status.print(`validation after epoch ${r.epoch}: ${r.accuracy.toFixed(2)}%${ci}${r.best ? ' (best so far)' : ''}`);
    },
    note(text) {
      status.print(text);
    },
    end() {
      status.clear();
    },
  };
}

/** A reporter that prints nothing. */
export const SILENT_PROGRESS: TrainProgress = { step() {}, validation() {}, note() {}, end() {} };
