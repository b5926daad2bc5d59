import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  hasInstallScript?: boolean;
  engines?: { node?: string } | string[];
}

const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const LOCK = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

/** `node_modules/a/node_modules/@s/b` -> `@s/b`. */
function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** Node APIs jointshot's runtime code needs, with the releases that added them. */
const NODE_API_FLOORS: Record<string, string> = {
  'zlib.crc32 (src/util/png.ts)': '^20.15.0 || >=22.2.0',
};

test('engines.node only admits Node releases that every runtime dependency and the Node APIs used support', (t) => {
  const ours = PKG.engines.node;
  t.truthy(semver.validRange(ours), `engines.node '${ours}' is a valid range`);
  t.true(semver.satisfies(process.version, ours), `this Node (${process.version}) is inside engines.node`);
  const runtime = Object.entries(LOCK.packages).filter(([path, e]) => path !== '' && !e.dev && !e.optional && !e.devOptional);
  t.true(runtime.length > 10);
  const narrower = runtime
    .map(([path, e]) => [nameOf(path), Array.isArray(e.engines) ? undefined : e.engines?.node] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined && !semver.subset(ours, entry[1]))
    .map(([name, range]) => `${name} needs ${range}`);
  t.deepEqual(narrower, [], `engines.node '${ours}' admits Node releases these runtime dependencies do not support`);
  for (const [api, floor] of Object.entries(NODE_API_FLOORS)) t.true(semver.subset(ours, floor), `${api} needs ${floor}`);
});

test('the engines check is not vacuous: the old ">=20" fails it', (t) => {
  const yargs = LOCK.packages['node_modules/yargs']?.engines;
  t.false(semver.subset('>=20', NODE_API_FLOORS['zlib.crc32 (src/util/png.ts)']!));
  t.false(semver.subset('>=20', (yargs && !Array.isArray(yargs) && yargs.node) || '>=99'));
});

/** Whether an allowScripts key (`name`, `name@1.2.3` or `name@1.2.3 || 1.2.4`) covers `name@version`. */
function covers(key: string, name: string, version: string | undefined): boolean {
  const at = key.lastIndexOf('@');
  if (at <= 0) return key === name;
  if (key.slice(0, at) !== name) return false;
  const spec = key.slice(at + 1);
  return spec === '*' || (version !== undefined && spec.split('||').some((v) => v.trim() === version));
}

test('allowScripts decides every dependency install script in the lockfile, and names nothing that is not there', (t) => {
  const policy = PKG.allowScripts ?? {};
  const withScripts = Object.entries(LOCK.packages)
    .filter(([path, e]) => path !== '' && e.hasInstallScript)
    .map(([path, e]) => ({ name: nameOf(path), version: e.version }));
  t.true(withScripts.some((p) => p.name === 'sharp'), 'sharp has an install script');
  const undecided = withScripts.filter((p) => !Object.keys(policy).some((key) => covers(key, p.name, p.version)));
  t.deepEqual(undecided.map((p) => `${p.name}@${p.version}`), [], 'add them to allowScripts in package.json (true to run, false to skip)');
  const stale = Object.keys(policy).filter((key) => !withScripts.some((p) => covers(key, p.name, p.version)));
  t.deepEqual(stale, [], 'allowScripts entries with no install script in the lockfile');
  t.true(policy.sharp, 'sharp runs its install check (it builds from source where no prebuilt binary fits)');
  t.true(policy.esbuild, "esbuild's postinstall checks its platform binary");
});

/** Every .ts/.mjs/.js file below `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mjs|js)$/.test(f))
    .map((f) => join(dir, f));
}

test('every runtime dependency is imported by the shipped code (src/, native/ scripts) or named by a package script; test-only ones are devDependencies', (t) => {
  const native = existsSync(join(ROOT, 'native')) ? readdirSync(join(ROOT, 'native')).filter((f) => /\.(mjs|cjs|js)$/.test(f)).map((f) => join(ROOT, 'native', f)) : [];
  const scripts = Object.values(PKG.scripts).map((s) => ` '${s.split(' ')[0]}' `);
  const code = [...sources(join(ROOT, 'src')), ...native].map((f) => readFileSync(f, 'utf8')).concat(scripts).join('\n');
  const unused = Object.keys(PKG.dependencies).filter((dep) => !code.includes(`'${dep}'`) && !code.includes(`'${dep}/`));
  t.deepEqual(unused, [], 'move these to devDependencies (or remove them)');
});

test('every package src/ imports is a runtime (or optional) dependency, so `npm install --omit=dev` users have it', (t) => {
  const declared = new Set([...Object.keys(PKG.dependencies), ...Object.keys(PKG.optionalDependencies ?? {})]);
  const missing = new Set<string>();
  const found = new Set<string>();
  for (const file of sources(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const statics = text.matchAll(/^\s*(?:import|export)\b(?:[^;'"]*?\bfrom)?\s*'([^'\n]+)'/gm);
    const dynamics = text.matchAll(/\b(?:import|require)\(\s*'([^'\n]+)'\s*\)/g);
    for (const m of [...statics, ...dynamics]) {
      const spec = m[1]!;
      if (spec.startsWith('node:') || spec.startsWith('.')) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      found.add(name);
      if (!declared.has(name)) missing.add(`${name} (${file.slice(ROOT.length)})`);
    }
  }
  t.true(['yargs', 'sharp', 'undici'].every((name) => found.has(name)), `the scan finds imports: ${[...found].join(', ')}`);
  t.deepEqual([...missing], [], 'add these to dependencies');
});
