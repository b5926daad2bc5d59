/**
 * A jointshot-specific kernel of the native backend: one batch-norm layer's running-average
 * update (mean and variance, PyTorch's momentum form with the unbiased batch variance) in one call,
 * where src/backbones' updateRunningStats takes 7 tfjs ops. The vectors have one entry per channel
 * (16-640), so the kernel is plain JS on the backend's arrays (written for call count, not
 * arithmetic): each product and sum rounded to float32 in the order of the tfjs ops, so the results
 * are bit-identical to them on the cpu backend.
 */
import { tf } from '../../../tf.js';
import { float32Values, newOutput, type NativeKernelBody } from './kernel-utils.js';

/** Kernel name (inputs runningMean, runningVar, mean, variance; attrs momentum, rows). */
export const RUNNING_STATS = 'JointshotRunningStats';

/** Attributes of the running-statistics kernel: the averaging momentum and the rows behind the batch statistics. */
export interface RunningStatsAttrs {
  momentum: number;
  rows: number;
}

/** [runningMean', runningVar']: r' = r * (1 - m) + batch * m, the variance made unbiased (x rows / (rows - 1)) first. */
export const runningStats: NativeKernelBody = ({ inputs, backend, attrs = {} }, addon) => {
  const { runningMean, runningVar, mean, variance } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { momentum, rows } = attrs as unknown as RunningStatsAttrs;
  const [rm, rv, m, v] = [runningMean, runningVar, mean, variance].map((t) => t && float32Values(backend, t));
  if (!rm || !rv || !m || !v || new Set([rm.length, rv.length, m.length, v.length]).size !== 1) {
    throw new Error(`${RUNNING_STATS}: four float32 vectors of one length expected`);
  }
  const f = Math.fround;
  const keep = f(1 - momentum);
  const take = f(momentum);
  const unbias = rows > 1 ? f(rows / (rows - 1)) : 1;
  const meanOut = newOutput(addon, backend, runningMean!.shape);
  const varOut = newOutput(addon, backend, runningVar!.shape);
  for (let i = 0; i < rm.length; i++) {
    meanOut.values[i] = f(rm[i]! * keep) + f(m[i]! * take);
    const unbiased = rows > 1 ? f(v[i]! * unbias) : v[i]!;
    varOut.values[i] = f(rv[i]! * keep) + f(unbiased * take);
  }
  return [meanOut.info, varOut.info] as unknown as tf.TensorInfo;
};
