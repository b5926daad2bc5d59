/**
 * Which class loss a long-tail run uses at each step: `ce`, `cb` (class-balanced weights, CB-RW)
 * or `ldam` (margins on a cosine classifier), and with `drw` the class-balanced weights deferred
 * to the DRW step (plain weights before it), as kaidic/LDAM-DRW's `--train_rule DRW`.
 */
import { UsageError } from '../../errors.js';
import { plainCrossEntropy } from '../losses.js';
import type { LrStage as Stage, TrainConfig } from '../../train/config.js';
import type { ClassLoss } from '../types.js';
import { ldamClassLoss, weightedClassLoss } from './losses.js';
import { classBalancedWeights, ldamMargins } from './weights.js';

export const LONG_TAIL_LOSSES = ['ce', 'cb', 'ldam'] as const;
export type LongTailLoss = (typeof LONG_TAIL_LOSSES)[number];

/** The long-tail keys of a training config (documented in TrainConfig). */
export type LongTailSettings = Pick<TrainConfig, 'loss' | 'drw' | 'cbBeta' | 'ldamMaxMargin' | 'ldamScale' | 'drwEpoch'>;

/** Checks the long-tail keys (types and ranges); one-line UsageErrors. */
export function checkLongTailSettings(s: LongTailSettings): void {
  if (!LONG_TAIL_LOSSES.includes(s.loss)) throw new UsageError(`loss must be one of ${LONG_TAIL_LOSSES.join(', ')}, found ${JSON.stringify(s.loss)}`);
  if (typeof s.drw !== 'boolean') throw new UsageError(`drw must be true or false, found ${JSON.stringify(s.drw)}`);
  if (s.drw && s.loss === 'ce') throw new UsageError('--drw defers the class-balanced weights: use it with --loss cb (CE-DRW) or --loss ldam (LDAM-DRW)');
  if (!(typeof s.cbBeta === 'number' && s.cbBeta >= 0 && s.cbBeta < 1)) throw new UsageError(`cbBeta must be a number in [0, 1), found ${JSON.stringify(s.cbBeta)}`);
  if (!(typeof s.ldamMaxMargin === 'number' && s.ldamMaxMargin > 0 && Number.isFinite(s.ldamMaxMargin))) throw new UsageError(`ldamMaxMargin must be a positive number, found ${JSON.stringify(s.ldamMaxMargin)}`);
  if (!(typeof s.ldamScale === 'number' && s.ldamScale > 0 && Number.isFinite(s.ldamScale))) throw new UsageError(`ldamScale must be a positive number, found ${JSON.stringify(s.ldamScale)}`);
  if (!(Number.isSafeInteger(s.drwEpoch) && s.drwEpoch >= 0)) throw new UsageError(`drwEpoch must be an integer >= 0 (0: the first lr decay), found ${JSON.stringify(s.drwEpoch)}`);
}

/** The epoch of the first stage whose lr is below the stage before it (after any warm-up), or null. */
export function firstDecayEpoch(schedule: readonly Stage[]): number | null {
  for (let i = 1; i < schedule.length; i++) if (schedule[i]!.lr < schedule[i - 1]!.lr) return schedule[i]!.epoch;
  return null;
}

/**
 * The 0-based step from which DRW applies the class-balanced weights: the first step of epoch
 * `drwEpoch`, or of the first lr decay when it is 0 (the reference: epoch index 160 of 200, where
 * its lr drops x0.01).
 */
export function drwStartStep(settings: Pick<LongTailSettings, 'drwEpoch'>, schedule: readonly Stage[], batchesPerEpoch: number, epochs: number): number {
  const epoch = settings.drwEpoch > 0 ? settings.drwEpoch : firstDecayEpoch(schedule);
  if (epoch === null) throw new UsageError('--drw needs the epoch of its switch: the lr schedule never decays, so set drwEpoch');
  if (epoch > epochs) throw new UsageError(`drwEpoch ${epoch} is after the last epoch (${epochs}): the weights would never switch; lower drwEpoch`);
  return (epoch - 1) * batchesPerEpoch;
}

/** The cosine classifier's scale the loss needs (`ldam`), or null for an ordinary linear classifier. */
export function cosineScaleOf(settings: Pick<LongTailSettings, 'loss' | 'ldamScale'>): number | null {
  return settings.loss === 'ldam' ? settings.ldamScale : null;
}

/** The class loss of each 0-based step, from the training set's class counts. */
export function classLossSchedule(settings: LongTailSettings, counts: readonly number[], drwStep: number): (step: number) => ClassLoss {
  checkLongTailSettings(settings);
  if (settings.loss === 'ce') return () => plainCrossEntropy;
  const weights = classBalancedWeights(counts, settings.cbBeta);
  if (settings.loss === 'cb') {
    const weighted = weightedClassLoss(weights);
    return settings.drw ? (step) => (step < drwStep ? plainCrossEntropy : weighted) : () => weighted;
  }
  const margins = ldamMargins(counts, settings.ldamMaxMargin);
  const plain = ldamClassLoss(margins, settings.ldamScale, null);
  if (!settings.drw) return () => plain;
  const weighted = ldamClassLoss(margins, settings.ldamScale, weights);
  return (step) => (step < drwStep ? plain : weighted);
}
