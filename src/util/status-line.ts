/**
 * Progress for people on stderr: on a terminal one status line redrawn in place and cut to the
 * terminal's width (a wrapped line could not be redrawn and would leave stale copies); elsewhere
 * (logs, CI) plain lines, printed by the caller at its own pace. Own code, not a progress library:
 * cli-progress and log-update draw one bar or block, while the trainer, bench and evaluator
 * interleave a status line with permanent lines (validation, notes) and need identical plain
 * lines when not on a terminal; what is left is 40 lines of cursor control.
 */

/** `1h02m`, `3m20s` or `45s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** `text` cut to fit in `columns` terminal cells (one is left free: writing the last cell wraps on some terminals). */
export function fitToWidth(text: string, columns: number): string {
  const room = Math.max(1, columns - 1);
  const chars = [...text];
  return chars.length <= room ? text : `${chars.slice(0, room - 1).join('')}…`;
}

/** One status line on `stream`. */
export interface StatusLine {
  /** True on a terminal: `show` redraws; otherwise `show` does nothing and callers print plain lines. */
  readonly tty: boolean;
  /** Redraws the status line (terminal only). */
  show(text: string): void;
  /** Writes a permanent line (the status line, if shown, is cleared first and redrawn by the next `show`). */
  print(line: string): void;
  /** Clears the status line. */
  clear(): void;
}

/** A status line on `stream`; its width is read at each redraw (the terminal may be resized). */
export function createStatusLine(stream: NodeJS.WriteStream): StatusLine {
  const tty = stream.isTTY === true;
  let shown = false;
  const clear = () => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  return {
    tty,
    show(text) {
      if (!tty) return;
      stream.write(`\r\x1b[K${fitToWidth(text, stream.columns || 80)}`);
      shown = true;
    },
    print(line) {
      clear();
      stream.write(`${line}\n`);
    },
    clear,
  };
}

/** Reports `done` of `total` in named phases (embedding pass, episodes...). */
export type PhaseProgress = (phase: string, done: number, total: number) => void;

/**
 * Phase progress with the elapsed time and an ETA from the phase's own rate: on a terminal the
 * status line, elsewhere a plain line every 10% (and the first item); the finished phase stays as
 * a line either way. `now` returns seconds (tests fix it).
 */
export function createPhaseProgress(stream: NodeJS.WriteStream, { indent = '', now = () => performance.now() / 1000 } = {}): PhaseProgress {
  const status = createStatusLine(stream);
  let phase = '';
  let started = 0;
  let lastDecile = -1;
  return (name, done, total) => {
    if (name !== phase) {
      phase = name;
      started = now();
      lastDecile = -1;
    }
    const elapsed = now() - started;
    const eta = done > 0 ? (elapsed / done) * (total - done) : Number.NaN;
    const line = `${indent}${name} ${done}/${total} (${Math.floor((100 * done) / total)}%, ${elapsed.toFixed(1)} s${done < total ? `, ETA ${formatDuration(eta)}` : ''})`;
    const decile = Math.floor((10 * done) / total);
    if (done === total) status.print(line);
    else if (status.tty) status.show(line);
    else if (decile !== lastDecile) stream.write(`${line}\n`);
    lastDecile = decile;
  };
}
