/** Training feedback for people: an updating bar on a terminal, plain log lines otherwise. */

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

/** `1h02m`, `3m20s` or `45s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function stepLine(r: StepReport): string {
  return (
    `epoch ${r.epoch}/${r.epochs} step ${r.step}/${r.totalSteps} lr ${r.lr.toPrecision(2)} ` +
    `loss ${r.loss.toFixed(4)} acc ${(100 * r.accuracy).toFixed(1)}% ${r.imagesPerSecond.toFixed(1)} img/s ETA ${formatDuration(r.etaSeconds)}`
  );
}

/**
 * A reporter on `stream`: on a TTY one bar redrawn in place; otherwise one line every `every`
 * steps (and at the last step).
 */
export function createProgress(stream: NodeJS.WriteStream = process.stderr, every = 10): TrainProgress {
  const tty = stream.isTTY === true;
  let barShown = false;
  const clearBar = () => {
    if (barShown) stream.write('\r\x1b[K');
    barShown = false;
  };
  return {
    step(r) {
      if (tty) {
        const width = 20;
        const filled = Math.round((width * r.step) / r.totalSteps);
        stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${stepLine(r)}`);
        barShown = true;
      } else if (r.step % every === 0 || r.step === r.totalSteps) {
        stream.write(`${stepLine(r)}\n`);
      }
    },
    validation(r) {
      clearBar();
      const ci = r.ci95 === null ? '' : ` ± ${r.ci95.toFixed(2)}`;
      stream.write(`validation after epoch ${r.epoch}: ${r.accuracy.toFixed(2)}%${ci}${r.best ? ' (best so far)' : ''}\n`);
    },
    note(text) {
      clearBar();
      stream.write(`${text}\n`);
    },
    end() {
      if (barShown) stream.write('\n');
      barShown = false;
    },
  };
}

/** A reporter that prints nothing. */
export const SILENT_PROGRESS: TrainProgress = { step() {}, validation() {}, note() {}, end() {} };
