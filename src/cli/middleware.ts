/**
 * What runs between parsing and a command's handler: refusing repeated single-valued flags and
 * non-numbers (echoing what was typed), then loading `--plugin` modules and a config file's `plugins`.
 */
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { readJsonObject } from '../util/json-file.js';

/** The option lists yargs keeps (`getOptions()`). */
export interface OptionLists {
  key: Record<string, unknown>;
  array: string[];
  number: string[];
}

/** The text typed after `--name` in `args` (`--name value` or `--name=value`), for messages. */
export function typedValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
    if (arg === `--${name}`) return args[i + 1];
  }
  return undefined;
}

/** Throws a UsageError for a single-valued flag given more than once, or a number flag given a non-number. */
export function checkParsedArgs(argv: Record<string, unknown>, options: OptionLists, args: readonly string[]): void {
  for (const name of Object.keys(options.key)) {
    const value = argv[name];
    if (Array.isArray(value) && !options.array.includes(name)) {
      throw new UsageError(`--${name} was given ${value.length} times (${value.map(String).join(', ')}); it takes one value: give it once`);
    }
  }
  for (const name of options.number) {
    const value = argv[name];
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => typeof v === 'number' && Number.isNaN(v))) {
      throw new UsageError(`--${name} must be a number, got '${typedValue(args, name) ?? ''}'`);
    }
  }
}

/**
 * `--seed` must be a safe integer (it names a random stream; 1.5 would be a typo). Repeats and
 * non-numbers pass through to checkParsedArgs, which echoes what was typed.
 */
export function checkSeed<T extends number | number[] | undefined>(seed: T): T {
  if (seed === undefined || Array.isArray(seed) || Number.isNaN(seed)) return seed;
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed must be an integer, got ${String(seed)}`);
  return seed;
}

/** The `plugins` list of a JSON config file, as paths relative to the file's folder. */
export async function configPlugins(file: string): Promise<string[]> {
  const parsed = await readJsonObject(file, `--config ${file}`, 'options');
  const plugins = parsed.plugins;
  if (plugins === undefined) return [];
  if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string')) {
    throw new UsageError(`--config ${file}: "plugins" must be a list of module paths (relative to the file), found ${JSON.stringify(plugins)}`);
  }
  return plugins as string[];
}

/** Loads `--plugin` modules (relative to the working folder), then a `--config` file's plugins (relative to that file). */
export async function loadCliPlugins(argv: { plugin?: string[]; config?: unknown; verbose?: boolean }): Promise<void> {
  const fromConfig = typeof argv.config === 'string' ? await configPlugins(argv.config) : [];
  if ((argv.plugin ?? []).length === 0 && fromConfig.length === 0) return;
  const { describePlugin, loadPlugin } = await import('../plugins/load.js');
  for (const file of argv.plugin ?? []) process.stderr.write(`${describePlugin(await loadPlugin(file), file)}\n`);
  for (const file of fromConfig) {
    const plugin = await loadPlugin(file, { baseDir: dirname(argv.config as string), source: `--config ${String(argv.config)}: plugin` });
    process.stderr.write(`${describePlugin(plugin, file)}\n`);
  }
}
