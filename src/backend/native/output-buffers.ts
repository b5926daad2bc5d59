/**
 * Recycled output buffers of the native kernels. Blocks come from the addon (external
 * ArrayBuffers); when the last tensor data holding one is disposed, its ArrayBuffer object itself
 * is kept for the next output of the same byte length. Reusing the object, not only the memory
 * behind it, matters: V8 counts every new ArrayBuffer's bytes as external memory and starts a
 * full garbage collection for each 64 MB of it, which was 25-35 mark-compacts (about 0.5 s) per
 * ResNet-12 84x84 training step before.
 */
import type { NativeAddon } from './addon.js';

/** From this many elements on, outputs come from the recycled buffers (below, a JS array is cheaper). */
export const POOLED_MIN_ELEMENTS = 4096;

/**
 * At most this many bytes of idle ArrayBuffers are kept (the sizes released longest ago go back
 * to the addon first). A ResNet-12 84x84 batch-16 training step cycles through 1.65 GB of outputs.
 */
const MAX_IDLE_BYTES = 2 ** 31;

/**
 * Recycled buffers handed out and in use, with how many live tensor-data entries hold each
 * (several can share one buffer: the cpu backend's Slice returns subarray views). The native
 * backend counts them in `write` and calls `releaseOutputBuffer` when the last entry is disposed.
 */
export const pooledBuffers = new Map<ArrayBufferLike, number>();

const idle = new Map<number, ArrayBufferLike[]>();
let idleBytes = 0;
const stats = { reused: 0, created: 0 };

function take(addon: NativeAddon, kind: 0 | 1, bytes: number): ArrayBufferLike {
  const kept = idle.get(bytes)?.pop();
  if (kept) {
    idleBytes -= bytes;
    stats.reused++;
    return kept;
  }
  stats.created++;
  return kind === 0 ? addon.alloc(0, bytes / 4).buffer : addon.alloc(1, bytes).buffer;
}

/** An uninitialised recycled Float32Array of `count` elements (count >= POOLED_MIN_ELEMENTS). */
export function takeFloat32(addon: NativeAddon, count: number): Float32Array {
  const buffer = take(addon, 0, count * 4);
  pooledBuffers.set(buffer, 0);
  return new Float32Array(buffer, 0, count);
}

/** An uninitialised recycled Uint8Array of `count` elements (count >= POOLED_MIN_ELEMENTS). */
export function takeUint8(addon: NativeAddon, count: number): Uint8Array {
  const buffer = take(addon, 1, count);
  pooledBuffers.set(buffer, 0);
  return new Uint8Array(buffer, 0, count);
}

/** Takes back a buffer no tensor holds any more: kept for reuse, or its block returned to the addon. */
export function releaseOutputBuffer(addon: NativeAddon, buffer: ArrayBufferLike): void {
  pooledBuffers.delete(buffer);
  const bytes = buffer.byteLength;
  const list = idle.get(bytes) ?? [];
  // Map order = least recently released size first.
  idle.delete(bytes);
  idle.set(bytes, list);
  list.push(buffer);
  idleBytes += bytes;
  for (const [size, stale] of idle) {
    if (idleBytes <= MAX_IDLE_BYTES) break;
    while (stale.length > 0 && idleBytes > MAX_IDLE_BYTES) {
      addon.release(stale.pop()!);
      idleBytes -= size;
    }
    if (stale.length === 0) idle.delete(size);
  }
}

/** Counts since start: outputs that reused an idle buffer, outputs that needed a new one; idle bytes now. */
export function outputBufferStats(): { reused: number; created: number; idleBytes: number } {
  return { ...stats, idleBytes };
}
