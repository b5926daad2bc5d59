import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RECORDER = fileURLToPath(new URL('./load-recorder.mjs', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | { types: string; import: string }>;
  files: string[];
  scripts: Record<string, string>;
};

/** What must not load behind a light subpath: tfjs, its wasm, sharp and its libvips, the native addon, undici. */
const HEAVY = /\/node_modules\/(@tensorflow|sharp|@img|undici)\/|jointshot_native\.node/;

/** Each light subpath and one function it must export. */
const LIGHT: Record<string, string> = {
  './errors': 'UsageError',
  './stats': 'meanConfidenceInterval',
  './episodes': 'makeManifest',
  './report': 'renderTable',
};

const CHILD = `
import { createRequire } from 'node:module';
const mod = await import(process.argv[1]);
const cjs = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(JSON.stringify({ exports: Object.keys(mod), cjs }));`;

/** Imports `specifier` in a fresh node (with `flags`, from `cwd`); returns its export names and every module it loaded. */
async function importInChild(specifier: string, cwd: string, flags: string[] = []): Promise<{ exports: string[]; loaded: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-loads-'));
  try {
    const log = join(dir, 'loads.txt');
    const { stdout } = await run(
      process.execPath,
      [...flags, '--import', pathToFileURL(RECORDER).href, '--input-type=module', '-e', CHILD, specifier],
      { cwd, env: { ...process.env, LOAD_LOG: log }, maxBuffer: 64 * 2 ** 20 },
    );
    const { exports, cjs } = JSON.parse(stdout) as { exports: string[]; cjs: string[] };
    const esm = existsSync(log) ? (await readFile(log, 'utf8')).split('\n').filter(Boolean).map((u) => (u.startsWith('file:') ? fileURLToPath(u) : u)) : [];
    return { exports, loaded: [...esm, ...cjs] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `./dist/x/index.js` -> `src/x/index.ts`. */
function sourceOf(target: string): string {
  return join(ROOT, target.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

test('every subpath export maps dist JS and its .d.ts to a source module that exists', (t) => {
  for (const [subpath, target] of Object.entries(PKG.exports)) {
    if (subpath === './package.json') continue;
    if (typeof target === 'string') return t.fail(`${subpath} has no types/import conditions`);
    t.regex(target.import, /^\.\/dist\/.+\.js$/, subpath);
    t.is(target.types, target.import.replace(/\.js$/, '.d.ts'), subpath);
    t.true(existsSync(sourceOf(target.import)), `${subpath}: ${sourceOf(target.import)}`);
  }
  t.deepEqual(Object.keys(LIGHT).sort(), Object.keys(PKG.exports).filter((k) => k !== '.' && k !== './package.json').sort());
});

test('the published files hold every export target and the install script', (t) => {
  const shipped = (path: string) => PKG.files.some((entry) => path === entry || path.startsWith(`${entry.replace(/\/$/, '')}/`));
  for (const target of Object.values(PKG.exports)) {
    for (const path of typeof target === 'string' ? [target] : [target.types, target.import]) {
      const p = path.replace(/^\.\//, '');
      t.true(p === 'package.json' || shipped(p), `${p} is under package.json "files"`);
    }
  }
  const install = /^node (\S+)/.exec(PKG.scripts.install ?? '')?.[1];
  if (install) t.true(shipped(install) && existsSync(join(ROOT, install)), `${install} (the install script) ships and exists`);
});

test('the light subpaths (source) load neither tfjs, wasm, sharp, undici nor the native addon; the root does', async (t) => {
  t.timeout(600_000); // one child loads all of tfjs through tsx: minutes on a loaded machine
  const tsx = ['--import', 'tsx'];
  for (const [subpath, name] of Object.entries(LIGHT)) {
    const target = PKG.exports[subpath] as { import: string };
    const { exports, loaded } = await importInChild(pathToFileURL(sourceOf(target.import)).href, ROOT, tsx);
    t.true(exports.includes(name), `${subpath} exports ${name}`);
    t.deepEqual(loaded.filter((p) => HEAVY.test(p)), [], subpath);
  }
  const root = await importInChild(pathToFileURL(join(ROOT, 'src/index.ts')).href, ROOT, tsx);
  t.true(root.loaded.some((p) => p.includes('/node_modules/@tensorflow/tfjs-core/')), 'the recorder sees tfjs behind the root entry');
});

test('installed as a package, `jointshot/stats` (and the other light subpaths) resolve through the exports map to dist and work alone', async (t) => {
  t.timeout(600_000);
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-exports-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pkgDir = join(dir, 'node_modules', PKG.name);
  await mkdir(pkgDir, { recursive: true });
  await copyFile(join(ROOT, 'package.json'), join(pkgDir, 'package.json'));
  await symlink(join(ROOT, 'node_modules'), join(pkgDir, 'node_modules'), 'dir');
  const entries = Object.keys(LIGHT).map((k) => sourceOf((PKG.exports[k] as { import: string }).import));
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: { rootDir: join(ROOT, 'src'), outDir: join(pkgDir, 'dist'), sourceMap: false, typeRoots: [join(ROOT, 'node_modules/@types')] },
      include: [],
      files: entries,
    }),
  );
  await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: ROOT }).catch((e: { stdout?: string }) => {
    // type errors elsewhere in a shared tree still emit; a missing output is caught below
    t.log(`tsc: ${String(e.stdout ?? e).split('\n')[0]}`);
  });
  for (const [subpath, name] of Object.entries(LIGHT)) {
    const specifier = `${PKG.name}${subpath.slice(1)}`;
    const target = PKG.exports[subpath] as { types: string; import: string };
    t.true(existsSync(join(pkgDir, target.types)), `${target.types} is emitted`);
    const { exports, loaded } = await importInChild(specifier, dir);
    t.true(exports.includes(name), `${specifier} exports ${name}`);
    t.true(loaded.some((p) => p.startsWith(join(pkgDir, 'dist'))), `${specifier} resolves into the package's dist`);
    t.deepEqual(loaded.filter((p) => HEAVY.test(p)), [], specifier);
  }
  const probe = `const { meanConfidenceInterval } = await import('${PKG.name}/stats'); process.stdout.write(JSON.stringify(meanConfidenceInterval([0.5, 0.7, 0.6])));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe], { cwd: dir });
  const ci = JSON.parse(stdout) as { mean: number };
  t.true(Math.abs(ci.mean - 0.6) < 1e-12);
  const deep = run(process.execPath, ['--input-type=module', '-e', `await import('${PKG.name}/dist/stats/index.js')`], { cwd: dir });
  await t.throwsAsync(deep, { message: /ERR_PACKAGE_PATH_NOT_EXPORTED/ });
});
