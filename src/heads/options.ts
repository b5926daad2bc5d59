/** Reading a head's options: known keys only, each of the expected type. */
import { UsageError } from '../errors.js';

type Spec = Record<string, number | boolean>;

/**
 * `defaults` merged with `options`, rejecting unknown keys and values of the wrong type (a
 * misspelt option must not silently fall back to its default).
 */
export function readHeadOptions<T extends Spec>(head: string, defaults: T, options: Record<string, unknown> = {}): T {
  const out: Spec = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(key in defaults)) {
      throw new UsageError(`head '${head}': unknown option '${key}'; known options: ${Object.keys(defaults).join(', ') || '(none)'}`);
    }
    const want = typeof defaults[key];
    if (typeof value !== want || (want === 'number' && !Number.isFinite(value))) {
      throw new UsageError(`head '${head}': option '${key}' must be a finite ${want}, got ${JSON.stringify(value)}`);
    }
    out[key] = value as number | boolean;
  }
  return out as T;
}

/** Throws unless `value` (option `key` of `head`) is > 0. */
export function requirePositive(head: string, key: string, value: number): void {
  if (!(value > 0)) throw new UsageError(`head '${head}': option '${key}' must be > 0, got ${value}`);
}
