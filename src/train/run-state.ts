/**
 * Where a training folder stands (finished, interrupted with a checkpoint, not started), read from
 * the files the trainer writes; shared by the bench's cells and `train --seeds`.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { resumeConflicts, type TrainConfig } from './config.js';
import { TRAIN_FILES } from './trainer.js';

/** done: finished with its best model; partial: a checkpoint to resume; new: nothing to resume. */
export type RunState = 'done' | 'partial' | 'new';

/** The parts of summary.json the state needs. */
export interface SavedSummary {
  steps: number;
  totalSteps: number;
  stopped: boolean;
  best: { accuracy: number | null; epoch: number; step: number } | null;
  trainSeconds: number;
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

const exists = (path: string) => access(path).then(() => true, () => false);

/** The run's summary.json when the run in `dir` finished every step and saved best.jsm, else undefined. */
export async function finishedRun(dir: string): Promise<SavedSummary | undefined> {
  const summary = await readJson<SavedSummary>(join(dir, TRAIN_FILES.summary));
  if (!summary || summary.stopped || summary.steps !== summary.totalSteps) return undefined;
  return (await exists(join(dir, TRAIN_FILES.best))) ? summary : undefined;
}

/**
 * The state of the run in `dir` if it were continued with `config`; a UsageError when the saved
 * run was trained with a configuration that cannot be resumed as `config`.
 */
export async function runState(dir: string, config: TrainConfig): Promise<RunState> {
  const saved = await readJson<TrainConfig>(join(dir, TRAIN_FILES.config));
  if (saved) {
    const differences = resumeConflicts(saved, config);
    if (differences.length > 0) {
      throw new UsageError(`${dir} holds a run trained with different ${differences.join(', ')}; choose another --out or delete that folder`);
    }
  }
  if (saved && (await finishedRun(dir))) return 'done';
  return (await exists(join(dir, TRAIN_FILES.last))) ? 'partial' : 'new';
}
