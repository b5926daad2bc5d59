/**
 * The batch-norm running-average update (kernels/running-stats.ts) as an op for src/backbones to
 * use when the active backend is `native`: one kernel call per layer instead of 7, bit-identical to
 * the tfjs ops on the cpu backend. JOINTSHOT_NATIVE_FUSED_STATS=0 turns it off (read per call, for A/B timings).
 */
import { tf } from '../../tf.js';
import { NATIVE_BACKEND } from './backend.js';
import { RUNNING_STATS } from './kernels/running-stats.js';

/** Whether `nativeRunningStats` can run now (native backend active, JOINTSHOT_NATIVE_FUSED_STATS not '0'). */
export function nativeRunningStatsActive(): boolean {
  return tf.getBackend() === NATIVE_BACKEND && process.env.JOINTSHOT_NATIVE_FUSED_STATS !== '0';
}

/** The updated running mean and variance as new tensors (r' = (1 - m) r + m batch, variance unbiased over `rows`). */
export function nativeRunningStats(
  runningMean: tf.Tensor1D, runningVar: tf.Tensor1D, mean: tf.Tensor1D, variance: tf.Tensor1D, momentum: number, rows: number,
): [tf.Tensor1D, tf.Tensor1D] {
  if (tf.getBackend() !== NATIVE_BACKEND) throw new Error(`nativeRunningStats needs the '${NATIVE_BACKEND}' backend active (found '${tf.getBackend()}')`);
  return tf.engine().runKernel(RUNNING_STATS, { runningMean, runningVar, mean, variance }, { momentum, rows }) as [tf.Tensor1D, tf.Tensor1D];
}
