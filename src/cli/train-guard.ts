/**
 * `train` without a preset starts MetaOptNet's full recipe (60 epochs x 1000 batches x 8 episodes =
 * 480,000 episodes): days on a CPU. These checks run before anything is loaded or written.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { TrainConfig } from '../train/config.js';
import { formatDuration } from '../util/status-line.js';

/**
 * Training images per second of Conv-4 at 32x32 on two CPU cores, copies counted: the cpu-real
 * runs of docs/training.md measured 48.5 and 55.8 img/s. ResNet-12 and larger images are slower.
 */
export const CPU_TRAIN_IMAGES_PER_SECOND = 50;

/** Runs estimated longer than this need a preset, a config file or --yes. */
export const LONG_RUN_SECONDS = 3600;

/** Episodes and images (copies counted) of an episodic run, and its time at CPU_TRAIN_IMAGES_PER_SECOND. */
export function estimateEpisodicRun(config: TrainConfig, copies: number): { episodes: number; images: number; seconds: number } {
  const episodes = config.epochs * config.batchesPerEpoch * config.episodesPerBatch;
  const images = episodes * config.ways * (config.shots + config.queries) * copies;
  return { episodes, images, seconds: images / CPU_TRAIN_IMAGES_PER_SECOND };
}

/**
 * Refuses an episodic run chosen without --preset or --config whose estimate exceeds an hour,
 * unless `yes`: the message gives the estimate and the ways to go ahead.
 */
export function checkLongRun(config: TrainConfig, copies: number, given: { preset?: string; config?: string; yes?: boolean }): void {
  if (config.task !== 'episodic' || given.preset !== undefined || given.config !== undefined || given.yes) return;
  const { episodes, seconds } = estimateEpisodicRun(config, copies);
  if (seconds <= LONG_RUN_SECONDS) return;
  throw new UsageError(
    `train without --preset is the full recipe: ${episodes.toLocaleString('en-US')} episodes (${config.epochs} epochs x ${config.batchesPerEpoch} batches x ${config.episodesPerBatch}), ` +
      `about ${seconds > 2 * 86400 ? `${(seconds / 86400).toFixed(1)} days` : formatDuration(seconds)} at ${CPU_TRAIN_IMAGES_PER_SECOND} img/s (Conv-4 32x32 on two CPU cores; more for ResNet-12): ` +
      `choose --preset quick or cpu-real (or paper-cifar on a GPU), or pass --yes to start it`,
  );
}

/** `--resume` needs a run in `out` (its last.jsm); checked before the folder could be created. */
export async function checkResumable(out: string, lastFile: string): Promise<void> {
  const exists = await access(join(out, lastFile)).then(
    () => true,
    () => false,
  );
  if (!exists) throw new UsageError(`--resume: ${out} holds no training run (no ${lastFile}); drop --resume to start one there`);
}
