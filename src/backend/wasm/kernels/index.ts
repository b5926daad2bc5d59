/** Registers jointshot's wasm kernels over (or next to) the stock tfjs-backend-wasm ones. */
import { tf } from '../../../tf.js';
import { batchMatMul } from './batch-matmul.js';
import { conv2DBackpropFilter } from './conv2d-backprop-filter.js';
import { conv2DBackpropInput } from './conv2d-backprop-input.js';
import { overrideWasmKernel, stockKernel } from './kernel-utils.js';
import { maxPoolGrad } from './max-pool-grad.js';

let registered = false;

/** Kernel names jointshot implements (or re-implements) for the wasm backend. */
export const JOINTSHOT_WASM_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', 'MaxPoolGrad'] as const;

/**
 * Registers the kernels once per process. Needs '@tensorflow/tfjs-backend-wasm' imported (its
 * stock kernels are what ours build on and fall back to).
 */
export function registerWasmKernels(): void {
  if (registered) return;
  for (const name of ['Conv2D', 'Transpose', 'Reshape', 'Reverse', 'Conv2DBackpropInput', 'BatchMatMul', 'MaxPoolGrad']) {
    stockKernel(name);
  }
  overrideWasmKernel('Conv2DBackpropInput', conv2DBackpropInput);
  overrideWasmKernel('BatchMatMul', batchMatMul);
  overrideWasmKernel('MaxPoolGrad', maxPoolGrad);
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  });
  registered = true;
}
