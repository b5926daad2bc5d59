/**
 * Recycled output buffers of the native kernels. Blocks come from the addon (external
 * ArrayBuffers); when the last tensor data holding one is disposed, its ArrayBuffer object itself
 * is kept for the next output of the same byte length. Reusing the object, not only the memory
 * behind it, matters: V8 counts every new ArrayBuffer's bytes as external memory and starts a
 * full garbage collection for each 64 MB of it, which was 25-35 mark-compacts (about 0.5 s) per
 * ResNet-12 84x84 training step before.
 */
import os from 'node:os';
import { UsageError } from '../../errors.js';
import type { NativeAddon } from './addon.js';

/** From this many elements on, outputs come from the recycled buffers (below, a JS array is cheaper). */
export const POOLED_MIN_ELEMENTS = 4096;

/**
 * At most this many bytes of idle ArrayBuffers are kept (the sizes released longest ago go back
 * to the addon first): setIdleLimit, by default half the machine's memory. Memory handed back
 * costs first-touch page faults when it is used again, and in a VM those are very slow and not
 * even counted as kernel time: with a 2 GiB limit a ResNet-56 84x84 batch-80 training step
 * (about 6 GB of outputs) took 2.0-2.2 s and faulted 10-12 thousand times, with 8 GiB 1.1-1.2 s and
 * a few hundred (docs/performance.md, "Idle output buffers"). The process keeps what its largest
 * step used, as PyTorch's allocator does.
 */
let maxIdleBytes = Math.floor(os.totalmem() / 2);

/** The idle-buffer limit in bytes that JOINTSHOT_NATIVE_IDLE_MB (megabytes) asks for; undefined when unset or empty. */
export function idleLimitFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const mb = Number(value);
  if (!(Number.isFinite(mb) && mb >= 0)) {
    throw new UsageError(`JOINTSHOT_NATIVE_IDLE_MB: expected the megabytes of idle output buffers to keep (a number >= 0), found '${value}'; unset it for half the machine's memory`);
  }
  return Math.floor(mb * 2 ** 20);
}

/** Sets the idle-buffer limit in bytes (from JOINTSHOT_NATIVE_IDLE_MB at registration); returns it. */
export function setIdleLimit(bytes: number): number {
  if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`idle-buffer limit must be a number of bytes >= 0, found ${bytes}`);
  maxIdleBytes = bytes;
  return maxIdleBytes;
}

/** The idle-buffer limit in bytes now. */
export function idleLimit(): number {
  return maxIdleBytes;
}

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
    if (idleBytes <= maxIdleBytes) break;
    while (stale.length > 0 && idleBytes > maxIdleBytes) {
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
