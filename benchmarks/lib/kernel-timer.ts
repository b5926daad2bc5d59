/** Times native kernels from the outside: wraps the registered kernels, for the benchmarks' profiles. */
import { NATIVE_BACKEND } from '../../src/backend/native/index.js';
import { tf } from '../../src/tf.js';

/** One kernel call: wall and CPU ms (all threads), minor page faults. */
export interface KernelSample {
  ms: number;
  cpuMs: number;
  faults: number;
}

/** A kernel's arguments (inputs, attributes, backend). */
export type KernelArgs = Parameters<tf.KernelConfig['kernelFunc']>[0];

/**
 * Wraps the native kernels whose names `which` accepts so that every outermost call (a kernel may
 * call others through the engine) is passed to `record` with its sample; returns a function that
 * puts the original kernels back.
 */
export function timeNativeKernels(which: (name: string) => boolean, record: (name: string, args: KernelArgs, sample: KernelSample) => void): () => void {
  const originals = tf.getKernelsForBackend(NATIVE_BACKEND).filter((k) => which(k.kernelName));
  let depth = 0;
  for (const kernel of originals) {
    tf.unregisterKernel(kernel.kernelName, NATIVE_BACKEND);
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        depth++;
        const wall = process.hrtime.bigint();
        const cpu = process.cpuUsage();
        const faults = process.resourceUsage().minorPageFault;
        try {
          return kernel.kernelFunc(args);
        } finally {
          depth--;
          if (depth === 0) {
            const used = process.cpuUsage(cpu);
            record(kernel.kernelName, args, {
              ms: Number(process.hrtime.bigint() - wall) / 1e6,
              cpuMs: (used.user + used.system) / 1000,
              faults: process.resourceUsage().minorPageFault - faults,
            });
          }
        }
      },
    });
  }
  return () => {
    for (const kernel of originals) {
      tf.unregisterKernel(kernel.kernelName, NATIVE_BACKEND);
      tf.registerKernel(kernel);
    }
  };
}
