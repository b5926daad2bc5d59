/**
 * Helpers for jointshot's wasm kernels: call the stock wasm kernels on TensorInfos (the
 * backend-level way tfjs kernels compose), copy blocks inside the heap, dispose intermediates.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../../tf.js';

export type TensorInfo = tf.TensorInfo;

/** The padding attribute of tfjs' conv and pool kernels. */
export type PaddingAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

/** The rounding attribute of tfjs' conv and pool kernels (for numeric padding). */
export type RoundingAttr = 'floor' | 'round' | 'ceil' | undefined;

/** Arguments a wasm kernel function receives. */
export interface WasmKernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs: Record<string, unknown>;
}

/** A kernel implementation in terms of the wasm backend. */
export type WasmKernelFunc = (args: WasmKernelArgs) => TensorInfo;

const stockKernels = new Map<string, tf.KernelConfig>();

/** The kernel tfjs-backend-wasm itself registered under `name` (captured before any override). */
export function stockKernel(name: string): tf.KernelConfig {
  const saved = stockKernels.get(name);
  if (saved) return saved;
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`wasm kernel ${name} is not registered: import '@tensorflow/tfjs-backend-wasm' first`);
  stockKernels.set(name, config);
  return config;
}

/** Runs the stock wasm kernel `name` on backend-level tensors; the caller owns the result. */
export function runStock(
  name: string,
  backend: BackendWasm,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  return stockKernel(name).kernelFunc({
    inputs: inputs as tf.NamedTensorInfoMap,
    backend,
    attrs: attrs as tf.NamedAttrMap,
  }) as TensorInfo;
}

/** Replaces the wasm kernel `name` with `kernelFunc`, keeping the stock setup (its C bindings). */
export function overrideWasmKernel(name: string, kernelFunc: WasmKernelFunc): void {
  const stock = stockKernel(name);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  });
}

/** Permutes axes with the stock Transpose kernel. */
export function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runStock('Transpose', backend, { x }, { perm });
}

/** Views `x` with a new shape (shares the data; still needs its own dispose). */
export function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return runStock('Reshape', backend, { x }, { shape });
}

/** Zero padding per spatial side of an NHWC convolution. */
export interface SpatialPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Stride-1 NHWC convolution through the stock (XNNPACK) Conv2D kernel, explicit padding. */
export function convolveNhwc(
  backend: BackendWasm,
  x: TensorInfo,
  filter: TensorInfo,
  pads: SpatialPadding,
  dilations: [number, number] = [1, 1],
): TensorInfo {
  return runStock(
    'Conv2D',
    backend,
    { x, filter },
    {
      strides: [1, 1],
      dilations,
      pad: [
        [0, 0],
        [pads.top, pads.bottom],
        [pads.left, pads.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
    },
  );
}

/** Disposes backend-level intermediates (the wasm backend is reference-counted). */
export function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Copies `count` elements of `src` starting at `srcOffset` into `dst` at `dstOffset` (heap to heap). */
export function copyElements(
  backend: BackendWasm,
  src: TensorInfo,
  srcOffset: number,
  dst: TensorInfo,
  dstOffset: number,
  count: number,
): void {
  const from = backend.typedArrayFromHeap(src);
  const to = backend.typedArrayFromHeap(dst);
  to.set(from.subarray(srcOffset, srcOffset + count), dstOffset);
}

/** A new [1, ...rest] tensor holding batch entry `index` of a contiguous [batch, ...rest] tensor. */
export function batchEntry(backend: BackendWasm, x: TensorInfo, index: number): TensorInfo {
  const rest = x.shape.slice(1);
  const size = rest.reduce((p, d) => p * d, 1);
  const out = backend.makeOutput([1, ...rest], x.dtype);
  copyElements(backend, x, index * size, out, 0, size);
  return out;
}

/** Keeps the first `height` rows and `width` columns of an NHWC tensor (a fresh copy). */
export function cropNhwc(backend: BackendWasm, x: TensorInfo, height: number, width: number): TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = backend.makeOutput([n, height, width, c], x.dtype);
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const rowOut = width * c;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < height; r++) {
      const src = (b * h + r) * w * c;
      to.set(from.subarray(src, src + rowOut), (b * height + r) * rowOut);
    }
  }
  return out;
}
