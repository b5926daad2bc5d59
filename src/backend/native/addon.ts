/**
 * Loading the oneDNN Node-API addon (native/build/Release/jointshot_native.node, built with
 * node-gyp by `node native/install.mjs` at `npm install` when a compiler and oneDNN are present). Absent or unloadable
 * addons are reported, never thrown.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The addon's functions: every one writes into the last (output) array, which the caller allocates. */
export interface NativeAddon {
  /** params: N,H,W,IC,OC,KH,KW,OH,OW,strideH,strideW,padTop,padLeft,padBottom,padRight,dilationH,dilationW. */
  conv2dForward(params: Int32Array, x: Float32Array, filter: Float32Array, y: Float32Array): void;
  conv2dBackwardData(params: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  conv2dBackwardWeights(params: Int32Array, x: Float32Array, dy: Float32Array, dFilter: Float32Array): void;
  /**
   * k >= 1 stages y = act(conv(x, filter) * scale + shift [+ residual, last stage]) as inference
   * primitives in a row (17 params per stage), the activations between them kept in oneDNN's
   * layouts. scale and shift per output channel or null; activation 0 none, 1 ReLU with slope
   * alpha below 0; a weight id > 0 lets the addon reuse that filter's reordered copy (same contents).
   */
  convBnActChain(
    params: Int32Array, x: Float32Array, filters: Float32Array[], scales: Array<Float32Array | null>, shifts: Array<Float32Array | null>,
    weightIds: number[], activations: Int32Array, alphas: Float32Array, residual: Float32Array | null, y: Float32Array,
  ): void;
  /** params: N,H,W,C,OH,OW,KH,KW,strideH,strideW,padTop,padLeft,kind (0 max, 1 avg),0. */
  poolForward(params: Int32Array, x: Float32Array, y: Float32Array): void;
  poolBackward(params: Int32Array, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** params: batch,M,N,K,transposeA,transposeB,aBatchStride,bBatchStride. */
  batchMatMul(params: Int32Array, a: Float32Array, b: Float32Array, c: Float32Array): void;
  /** op: 0 add, 1 sub, 2 mul, 3 div, 4 max, 5 min, 6 squared difference; mode/period/group: see broadcastPlan. */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, mode: number, period: number, group: number): void;
  /** op: 0 ==, 1 !=, 2 >, 3 >=, 4 <, 5 <=; out is a bool (Uint8Array) tensor's storage. */
  compare(op: number, a: Float32Array, b: Float32Array, out: Uint8Array, mode: number, period: number, group: number): void;
  /** op: 0 relu, 1 leaky relu, 2 step, 3 square, 4 neg, 5 rsqrt, 6 sqrt, 7 exp, 8 abs, 9 log, 10 sign, 11 floor. */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  select(condition: Uint8Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Cast between storage types: bool (Uint8Array) or int32 to float32; float32 or int32 to bool (x != 0). */
  convert(x: Uint8Array | Int32Array | Float32Array, out: Float32Array | Uint8Array): void;
  /** out[o, j] = scale * sum over r of x[o, r, j], x viewed as [outer, reduced, inner] (float64 sums). */
  reduce(x: Float32Array, out: Float32Array, outer: number, reduced: number, inner: number, scale: number): void;
  batchNorm(
    x: Float32Array, mean: Float32Array, variance: Float32Array, offset: Float32Array, scale: Float32Array,
    out: Float32Array, epsilon: number, channels: number,
  ): void;
  addN(inputs: Float32Array[], out: Float32Array): void;
  /**
   * out (row-major over `shape`)[i_0..i_k] = x[offset + sum i_d * strides[d]]: Transpose, Reverse
   * and Slice as one strided copy (strides in elements, negative to reverse; bounds checked).
   */
  stridedCopy(x: Float32Array, out: Float32Array, shape: Int32Array, strides: Int32Array, offset: number): void;
  upsampleNearest(x: Float32Array, out: Float32Array, n: number, h: number, w: number, c: number, fh: number, fw: number): void;
  /** An uninitialised Float32Array (kind 0) or Uint8Array (kind 1) from the addon's recycled buffers. */
  alloc(kind: 0, length: number): Float32Array;
  alloc(kind: 1, length: number): Uint8Array;
  /** Recycles the block behind an ArrayBuffer from `alloc` now (nothing may use it afterwards). */
  release(buffer: ArrayBufferLike): void;
  /** Makes glibc keep freed memory for reuse (fewer first-touch page faults; RSS stays at its peak). */
  keepFreedMemory(): void;
  /** Bytes of freed buffers kept for reuse (at most 1 GiB). */
  pooledBytes(): number;
  /**
   * Training-mode batch norm of x [rows, channels]: y = act(bn(x) + residual), and the batch mean
   * and biased variance. act 0 none, 1 ReLU, 2 leaky ReLU with `slope` > 0; residual null = none.
   */
  batchNormTrainForward(
    x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array,
    channels: number, epsilon: number, residual?: Float32Array | null, act?: number, slope?: number,
  ): void;
  /**
   * Its gradient: dx, dgamma, dbeta from x, dy and the forward's statistics; with an activation
   * the forward's output y (its mask), and dresidual (the masked dy) when given.
   */
  batchNormTrainBackward(
    x: Float32Array, dy: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array,
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array, channels: number, epsilon: number,
    y?: Float32Array | null, act?: number, slope?: number, dresidual?: Float32Array | null,
  ): void;
  /**
   * One SGD step of a parameter into pOut (and bufOut), g = grad + weightDecay * p: with momentum
   * buf' = momentum * buf + g and step = nesterov ? g + momentum * buf' : buf', else step = g;
   * p' = p - lr * step. buf and bufOut null without momentum (native/src/sgd.cc).
   */
  sgdUpdate(
    p: Float32Array, grad: Float32Array, buf: Float32Array | null, pOut: Float32Array, bufOut: Float32Array | null,
    lr: number, momentum: number, weightDecay: number, nesterov: 0 | 1,
  ): void;
  /**
   * The box `size` at `srcBegin` of src (shape srcShape) written at `dstBegin` of dst (shape
   * dstShape); with `fill`, every other element of dst set to it. Both Float32Arrays or both
   * Int32Arrays; shapes of one rank 1-8; RangeError when the box does not fit (native/src/copy-box.cc;
   * absent from addons built before it).
   */
  copyBox?(
    src: Float32Array | Int32Array, dst: Float32Array | Int32Array, srcShape: Int32Array, srcBegin: Int32Array,
    dstShape: Int32Array, dstBegin: Int32Array, size: Int32Array, fill?: number,
  ): void;
  /**
   * The instruction set of the addon's element-wise loops: switches to `name` when given (a
   * RangeError unless this CPU runs it); `available` lists what this CPU runs, narrowest first.
   */
  isa(name?: string): NativeIsa;
  /** Sets oneDNN's OpenMP threads (n > 0) and returns the count in effect. */
  setThreads(n: number): number;
  /** oneDNN's version, e.g. "2.6.3". */
  version(): string;
  /** [cache key with the 17 convolution parameters, kind, oneDNN implementation] of every convolution primitive made so far. */
  convImplementations(): Array<[string, 'forward' | 'backwardData' | 'backwardWeights' | 'inference', string]>;
  /** Turns oneDNN's Winograd kernels on or off when given a boolean; returns the setting in effect. */
  setWinograd(on?: boolean): boolean;
  /** Turns the addon's own fused Winograd inference kernel on or off when given a boolean; returns whether it runs. */
  setFusedWinograd(on?: boolean): boolean;
  /** Drops the cached weight copies made from content id `id` (its storage was disposed). */
  forgetContent(id: number): void;
  /** Bytes held by content id: [inference weights, transformed Winograd filters]. */
  contentCacheBytes(): [number, number];
}

/** Which build of the element-wise loops runs (`baseline`, `avx2`, `avx512`) and which this CPU could run. */
export interface NativeIsa {
  active: string;
  available: string[];
}

/** The addon, or why it could not be loaded. */
export type AddonLoad = { addon: NativeAddon; path: string } | { addon?: undefined; reason: string };

/** Where node-gyp puts the addon (same relative place from src/ and dist/). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/jointshot_native.node', import.meta.url));

let loaded: AddonLoad | undefined;

/** Loads the addon once per process (JOINTSHOT_NATIVE_ADDON overrides the path). */
export function loadNativeAddon(path = process.env.JOINTSHOT_NATIVE_ADDON || NATIVE_ADDON_PATH): AddonLoad {
  if (loaded) return loaded;
  if (!existsSync(path)) {
    loaded = { reason: `addon not built (${path} missing: install oneDNN, e.g. apt-get install libdnnl-dev, then run 'node native/install.mjs')` };
    return loaded;
  }
  // OpenMP threads that finish early sleep instead of spinning (libgomp reads this when the addon
  // loads it): on a shared machine a spinning thread burns the CPU its preempted partner needs
  // (docs/performance.md, Threads). The user's own OMP_WAIT_POLICY / GOMP_SPINCOUNT win.
  if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) process.env.OMP_WAIT_POLICY = 'PASSIVE';
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    loaded = { addon, path };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    loaded = { reason: `addon failed to load (${path}): ${message}` };
  }
  return loaded;
}
