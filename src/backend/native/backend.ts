/**
 * The `native` tfjs backend: the cpu backend (MathBackendCPU, same tensor storage) with the
 * heavy kernels (convolutions, pooling, matmul) replaced by oneDNN calls through the addon.
 * Every other kernel is the cpu backend's own, registered again under the name `native`.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import os from 'node:os';
import { tf } from '../../tf.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { NATIVE_KERNELS } from './kernels/index.js';
import { nativeKernel } from './kernels/kernel-utils.js';

/** The tfjs backend name the native backend registers under. */
export const NATIVE_BACKEND = 'native';

/** Whether the native backend can run here, and its oneDNN version or why not. */
export interface NativeProbe {
  available: boolean;
  detail: string;
}

let addonInUse: NativeAddon | undefined;

/** Registers the cpu backend's kernels under `native`, with the oneDNN ones in place of the heavy ones. */
function registerKernels(addon: NativeAddon): void {
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    const body = NATIVE_KERNELS[kernel.kernelName];
    tf.registerKernel(
      body ? nativeKernel(kernel.kernelName, NATIVE_BACKEND, addon, body) : { ...kernel, backendName: NATIVE_BACKEND },
    );
  }
}

/**
 * Loads the addon and registers the `native` backend once per process (it is then selectable
 * with tf.setBackend('native')). Threads: `threads`, else JOINTSHOT_NATIVE_THREADS, else the
 * CPU count. Never throws: an unusable addon is reported in `detail`.
 */
export function registerNativeBackend(threads?: number): NativeProbe {
  const load = loadNativeAddon();
  if (!load.addon) return { available: false, detail: load.reason };
  if (!addonInUse) {
    addonInUse = load.addon;
    const wanted = threads ?? (Number(process.env.JOINTSHOT_NATIVE_THREADS) || os.availableParallelism());
    addonInUse.setThreads(wanted);
    registerKernels(addonInUse);
    tf.registerBackend(
      NATIVE_BACKEND,
      () => {
        const backend = new MathBackendCPU();
        // The cpu backend prints an "install tfjs-node" banner on first use; it does not apply here.
        (backend as unknown as { firstUse: boolean }).firstUse = false;
        return backend;
      },
      0,
    );
  }
  return { available: true, detail: `oneDNN ${addonInUse.version()} (${load.path})` };
}

/** oneDNN's OpenMP threads (0 when the native backend is not registered). */
export function nativeThreadCount(): number {
  return addonInUse ? addonInUse.setThreads(0) : 0;
}

/** Sets oneDNN's OpenMP threads; returns the count in effect (0 when not registered). */
export function setNativeThreads(threads: number): number {
  return addonInUse ? addonInUse.setThreads(threads) : 0;
}
