/**
 * Plugins: ES modules given with `--plugin FILE` (or a config file's `plugins` list) that register
 * heads, backbones, datasets or label transformation sets through jointshot's public API. A plugin
 * exports `register(jointshot)` (default or named); it receives the API object the CLI itself runs
 * on, so what it registers is seen by every command, whether jointshot runs from dist/ or src/.
 */
import { stat } from 'node:fs/promises';
import { delimiter, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JointshotError, UsageError } from '../errors.js';

/** jointshot's public API, as a plugin's `register` receives it. */
export type JointshotApi = typeof import('../index.js');

/** What a plugin module exports. */
export interface PluginModule {
  register?: (jointshot: JointshotApi) => void | Promise<void>;
  default?: ((jointshot: JointshotApi) => void | Promise<void>) | { register?: (jointshot: JointshotApi) => void | Promise<void> };
}

/** What one plugin added to the registries. */
export interface LoadedPlugin {
  file: string;
  heads: string[];
  backbones: string[];
  datasets: string[];
  transforms: string[];
}

/** Environment variable listing the loaded plugin files, so worker processes load them too. */
export const PLUGINS_ENV = 'JOINTSHOT_PLUGINS';

const loaded = new Map<string, LoadedPlugin>();

function registrations(api: JointshotApi) {
  return {
    heads: api.listHeads(),
    backbones: api.backboneNames(),
    datasets: api.listDatasets().map((d) => d.name),
    transforms: api.listLabelTransforms().map((t) => t.name),
  };
}

function registerFunction(module: PluginModule): ((jointshot: JointshotApi) => void | Promise<void>) | undefined {
  if (typeof module.register === 'function') return module.register;
  if (typeof module.default === 'function') return module.default;
  if (module.default && typeof module.default.register === 'function') return module.default.register;
  return undefined;
}

/**
 * Loads the plugin at `file` (relative to `baseDir`) once and runs its `register` with the API;
 * `source` names where it was given (`--plugin`, `--config x.json`) in errors.
 */
export async function loadPlugin(file: string, { baseDir = process.cwd(), source = '--plugin' } = {}): Promise<LoadedPlugin> {
  const path = resolve(baseDir, file);
  const already = loaded.get(path);
  if (already) return already;
  const found = await stat(path).catch(() => undefined);
  if (!found?.isFile()) throw new UsageError(`${source} ${file}: no such file (looked for ${path}); give the path of an ES module (.mjs or .js)`);
  let module: PluginModule;
  try {
    module = (await import(pathToFileURL(path).href)) as PluginModule;
  } catch (error) {
    throw new JointshotError(`${source} ${file}: the module failed to load: ${error instanceof Error ? error.message : String(error)}`);
  }
  const register = registerFunction(module);
  if (!register) {
    throw new UsageError(`${source} ${file}: exports no register function; expected \`export default function register(jointshot) { ... }\` or \`export function register(jointshot)\``);
  }
  const api = (await import('../index.js')) as JointshotApi;
  const before = registrations(api);
  try {
    await register(api);
  } catch (error) {
    if (error instanceof JointshotError) throw new (error.constructor as typeof JointshotError)(`${source} ${file}: ${error.message}`);
    throw new JointshotError(`${source} ${file}: register() failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const after = registrations(api);
  const added = (key: keyof typeof after) => after[key].filter((name) => !before[key].includes(name));
  const plugin: LoadedPlugin = { file: path, heads: added('heads'), backbones: added('backbones'), datasets: added('datasets'), transforms: added('transforms') };
  loaded.set(path, plugin);
  process.env[PLUGINS_ENV] = [...loaded.keys()].join(delimiter);
  return plugin;
}

/** One line on what a plugin registered, e.g. `plugin ./x.mjs: head cosine2`. */
export function describePlugin(plugin: LoadedPlugin, given: string): string {
  const parts = (['heads', 'backbones', 'datasets', 'transforms'] as const)
    .filter((key) => plugin[key].length > 0)
    .map((key) => `${plugin[key].length === 1 ? key.slice(0, -1) : key} ${plugin[key].join(', ')}`);
  return `plugin ${given}: ${parts.length > 0 ? parts.join('; ') : 'registered nothing new'}`;
}

/** Loads the plugins the parent process listed in $JOINTSHOT_PLUGINS (evaluation worker processes). */
export async function loadPluginsFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  for (const file of (env[PLUGINS_ENV] ?? '').split(delimiter).filter(Boolean)) await loadPlugin(file, { source: `$${PLUGINS_ENV}` });
}
