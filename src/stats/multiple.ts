/** Multiple-comparison correction: Holm's step-down adjustment (stdlib-js @stdlib/stats-padjust). */
import { padjust } from './stdlib.js';
import { DataError } from '../errors.js';

/** Holm-adjusted p-values, in the order given (each compared with the level directly). */
export function holmAdjust(pValues: readonly number[]): number[] {
  const bad = pValues.findIndex((p) => !(p >= 0 && p <= 1));
  if (bad >= 0) throw new DataError(`holmAdjust: p-value ${bad} is ${pValues[bad]}; expected a number in [0, 1]`);
  if (pValues.length === 0) return [];
  return padjust()([...pValues], 'holm');
}
