/** The JSONL training log: one JSON object per line (steps, validations, checkpoints, the end). */
import { appendFile, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.js';

/** One log record; every record has `event` and the `step` it was written at. */
export interface LogRecord {
  event: string;
  step: number;
  [field: string]: unknown;
}

/** Appends records to a JSONL file. */
export class TrainLog {
  constructor(readonly path: string) {}

  /** Starts a fresh log (fresh run) or cuts it back to records at or before `step` (resume). */
  async start(resumeStep?: number): Promise<void> {
    if (resumeStep === undefined) {
      await writeFileAtomic(this.path, '');
      return;
    }
    const text = await readFile(this.path, 'utf8').catch(() => '');
    const kept = text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => {
        try {
          return (JSON.parse(line) as LogRecord).step <= resumeStep;
        } catch {
          return false;
        }
      });
    await writeFileAtomic(this.path, kept.map((l) => `${l}\n`).join(''));
  }

  /** Appends one record with a timestamp. */
  async write(record: LogRecord): Promise<void> {
    await appendFile(this.path, `${JSON.stringify({ ...record, time: new Date().toISOString() })}\n`);
  }
}
