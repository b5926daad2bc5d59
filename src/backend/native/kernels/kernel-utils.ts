/** Shared helpers of the native kernels: typed access to cpu-backend data and the cpu fallback. */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../../tf.js';
import type { NativeAddon } from '../addon.js';
import { POOLED_MIN_ELEMENTS, takeFloat32, takeUint8 } from '../output-buffers.js';

/** What tfjs hands a kernel function, with the backend typed as the cpu backend it is. */
export interface NativeKernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: MathBackendCPU;
  attrs?: Record<string, unknown>;
}

/** A native kernel body: returns undefined to hand the call to the cpu backend's kernel. */
export type NativeKernelBody = (args: NativeKernelArgs, addon: NativeAddon) => tf.TensorInfo | undefined;

/** The Float32Array behind a float32 tensor of the cpu backend, or undefined for other dtypes. */
export function float32Values(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array | undefined {
  if (t.dtype !== 'float32') return undefined;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : undefined;
}

/**
 * A float32 output and the tensor info that owns it. Large outputs are UNINITIALISED recycled
 * buffers: the kernel must write every element (or fill them).
 */
export function newOutput(addon: NativeAddon, backend: MathBackendCPU, shape: number[]): { info: tf.TensorInfo; values: Float32Array } {
  const count = shape.reduce((p, d) => p * d, 1);
  const values = count >= POOLED_MIN_ELEMENTS ? takeFloat32(addon, count) : new Float32Array(count);
  return { info: backend.makeTensorInfo(shape, 'float32', values), values };
}

/** A bool output (Uint8Array storage), uninitialised when large as in `newOutput`. */
export function newBoolOutput(addon: NativeAddon, backend: MathBackendCPU, shape: number[]): { info: tf.TensorInfo; values: Uint8Array } {
  const count = shape.reduce((p, d) => p * d, 1);
  const values = count >= POOLED_MIN_ELEMENTS ? takeUint8(addon, count) : new Uint8Array(count);
  return { info: backend.makeTensorInfo(shape, 'bool', values), values };
}

/** The cpu backend's own kernel function for `name` (the fallback of every native kernel). */
export function cpuKernelFunc(name: string): tf.KernelFunc {
  const kernel = tf.getKernel(name, 'cpu');
  if (!kernel) throw new Error(`cpu backend has no kernel ${name}`);
  return kernel.kernelFunc;
}

/** Calls per kernel name that ran natively and that fell back to the cpu kernel. */
export type KernelCallCounts = Record<string, { native: number; fallback: number }>;

const counts: KernelCallCounts = {};

/** A copy of the per-kernel call counts since the process started (to see what ran natively). */
export function nativeKernelCounts(): KernelCallCounts {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, { ...v }]));
}

/**
 * A kernel config for backend `backendName`: the native body first, the cpu kernel when it
 * declines (jointshot's own kernels have no cpu counterpart: declining is an error there).
 */
export function nativeKernel(name: string, backendName: string, addon: NativeAddon, body: NativeKernelBody): tf.KernelConfig {
  const fallback: tf.KernelFunc = tf.getKernel(name, 'cpu')?.kernelFunc ?? (() => {
    throw new Error(`${name}: the native backend has no implementation for these inputs`);
  });
  const count = (counts[name] ??= { native: 0, fallback: 0 });
  return {
    kernelName: name,
    backendName,
    kernelFunc: (args) => {
      const result = body(args as unknown as NativeKernelArgs, addon);
      if (result) {
        count.native++;
        return result;
      }
      count.fallback++;
      return fallback(args);
    },
  };
}

const contentIds = new WeakMap<Float32Array, number>();
let lastContentId = 0;

/**
 * A positive id for the contents of a tensor's storage array, stable while that array object
 * lives: tfjs tensors are immutable and every new output gets a new array object (recycled
 * buffers included), so an equal id means equal contents. Lets the addon reuse reordered weights.
 */
export function contentId(values: Float32Array): number {
  let id = contentIds.get(values);
  if (id === undefined) {
    id = ++lastContentId;
    contentIds.set(values, id);
  }
  return id;
}

/**
 * Tells the addon that `values` is gone (its tensor data disposed): the copies it cached under the
 * array's content id can never be used again, so they go now rather than when its caches fill.
 */
export function forgetContent(addon: NativeAddon, values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  const id = contentIds.get(values);
  if (id === undefined) return;
  contentIds.delete(values);
  addon.forgetContent(id);
}
