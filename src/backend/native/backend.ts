/**
 * The `native` tfjs backend: the cpu backend (MathBackendCPU, same tensor storage) with the
 * heavy kernels (convolutions, pooling, matmul) replaced by oneDNN calls through the addon.
 * Every other kernel is the cpu backend's own, registered again under the name `native`.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import os from 'node:os';
import { tf } from '../../tf.js';
import { loadNativeAddon, type NativeAddon, type NativeIsa } from './addon.js';
import { JOINTSHOT_KERNELS, NATIVE_KERNELS } from './kernels/index.js';
import { forgetContent, nativeKernel } from './kernels/kernel-utils.js';
import { idleLimitFromEnv, pooledBuffers, releaseOutputBuffer, setIdleLimit } from './output-buffers.js';

/** The tfjs backend name the native backend registers under. */
export const NATIVE_BACKEND = 'native';

/** Whether the native backend can run here, and its oneDNN version or why not. */
export interface NativeProbe {
  available: boolean;
  detail: string;
}

let addonInUse: NativeAddon | undefined;

type BackendValues = Parameters<MathBackendCPU['write']>[0];
type DataId = ReturnType<MathBackendCPU['write']>;

const bufferOf = (values: unknown): ArrayBufferLike | undefined =>
  ArrayBuffer.isView(values) ? values.buffer : undefined;

/**
 * The cpu backend with the addon's recycled output buffers: a buffer goes back to the addon as
 * soon as the last tensor data holding it is disposed, and reads hand out copies of recycled
 * buffers (a caller may keep a dataSync() result after disposing its tensor).
 */
class NativeBackend extends MathBackendCPU {
  constructor(private readonly addon: NativeAddon) {
    super();
    // The cpu backend prints an "install tfjs-node" banner on first use; it does not apply here.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: BackendValues, shape: number[], dtype: tf.DataType): DataId {
    const id = super.write(values, shape, dtype);
    const buffer = bufferOf(values);
    const holders = buffer && pooledBuffers.get(buffer);
    if (holders !== undefined) pooledBuffers.set(buffer!, holders + 1);
    return id;
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId)!.values : undefined;
    const removed = super.disposeData(dataId, force);
    if (removed) forgetContent(this.addon, values);
    const buffer = removed ? bufferOf(values) : undefined;
    const holders = buffer && pooledBuffers.get(buffer);
    if (holders !== undefined) {
      if (holders > 1) {
        pooledBuffers.set(buffer!, holders - 1);
      } else {
        releaseOutputBuffer(this.addon, buffer!);
      }
    }
    return removed;
  }

  override readSync(dataId: DataId): BackendValues {
    const values = super.readSync(dataId);
    const buffer = bufferOf(values);
    return buffer && pooledBuffers.has(buffer) ? (values as Float32Array | Uint8Array).slice() : values;
  }
}

/** Registers the cpu backend's kernels under `native`, with the oneDNN ones in place of the heavy ones. */
function registerKernels(addon: NativeAddon): void {
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    const body = NATIVE_KERNELS[kernel.kernelName];
    tf.registerKernel(
      body ? nativeKernel(kernel.kernelName, NATIVE_BACKEND, addon, body) : { ...kernel, backendName: NATIVE_BACKEND },
    );
  }
  for (const [name, body] of Object.entries(JOINTSHOT_KERNELS)) tf.registerKernel(nativeKernel(name, NATIVE_BACKEND, addon, body));
}

/**
 * Loads the addon and registers the `native` backend once per process (it is then selectable
 * with tf.setBackend('native')). Threads: `threads`, else JOINTSHOT_NATIVE_THREADS, else the
 * CPU count. Also makes glibc keep freed memory for reuse (process-wide: first-touch page faults
 * dominate large allocations in a VM; the resident size stays at its peak instead), and keeps up to
 * JOINTSHOT_NATIVE_IDLE_MB megabytes of idle output buffers (default half the machine's memory;
 * output-buffers.ts). An unusable addon is reported in `detail`; throws a UsageError only for a
 * malformed JOINTSHOT_NATIVE_IDLE_MB.
 */
export function registerNativeBackend(threads?: number): NativeProbe {
  const load = loadNativeAddon();
  if (!load.addon) return { available: false, detail: load.reason };
  if (!addonInUse) {
    const idle = idleLimitFromEnv(process.env.JOINTSHOT_NATIVE_IDLE_MB);
    if (idle !== undefined) setIdleLimit(idle);
    addonInUse = load.addon;
    const wanted = threads ?? (Number(process.env.JOINTSHOT_NATIVE_THREADS) || os.availableParallelism());
    addonInUse.setThreads(wanted);
    addonInUse.keepFreedMemory();
    registerKernels(addonInUse);
    const addon = addonInUse;
    tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(addon), 0);
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

/**
 * The instruction set of the addon's element-wise loops (picked at load: the widest this CPU
 * runs, capped by JOINTSHOT_NATIVE_ISA), or undefined when the native backend is not registered.
 * With `name`, switches to it first (for A/B timing and tests; a RangeError when not available).
 */
export function nativeIsa(name?: string): NativeIsa | undefined {
  return addonInUse?.isa(name);
}

/** A convolution primitive the native backend made, and which oneDNN kernel runs it. */
export interface NativeConvImplementation {
  /** N, H, W, IC, OC, KH, KW, OH, OW, strides, paddings, dilations (the addon's 17 parameters). */
  params: number[];
  kind: 'forward' | 'backwardData' | 'backwardWeights' | 'inference';
  /** oneDNN's name, e.g. `jit_wino_4x3:avx512_core`, `brgconv:avx512_core`. */
  implementation: string;
}

/** Every convolution primitive made so far and its oneDNN kernel (empty when not registered): for tests and profiles. */
export function nativeConvImplementations(): NativeConvImplementation[] {
  return (addonInUse?.convImplementations() ?? []).map(([key, kind, implementation]) => ({
    params: key.split(',').slice(1, 18).map(Number),
    kind,
    implementation,
  }));
}

/**
 * Bytes of inference weight copies the addon holds by content id (reordered or folded weights,
 * transformed Winograd filters); they go when their source tensor is disposed. For tests and soaks.
 */
export function nativeContentCacheBytes(): { weights: number; winogradFilters: number } {
  const [weights, winogradFilters] = addonInUse?.contentCacheBytes() ?? [0, 0];
  return { weights, winogradFilters };
}

/**
 * Whether 3x3 stride-1 convolutions try oneDNN's Winograd kernels (docs/native-backend.md); with
 * `on`, switches first (for A/B timing in one process). False when not registered.
 */
export function nativeWinograd(on?: boolean): boolean {
  return addonInUse ? addonInUse.setWinograd(on) : false;
}

/**
 * Whether 3x3 stride-1 inference convolutions of 16-256 channels run the addon's own fused
 * Winograd kernel (AVX-512 only; docs/native-backend.md); with `on`, switches first.
 */
export function nativeFusedWinograd(on?: boolean): boolean {
  return addonInUse ? addonInUse.setFusedWinograd(on) : false;
}
