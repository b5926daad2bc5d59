/**
 * native/install.mjs (npm's install script) and native/find-onednn.mjs: without a compiler the
 * install prints one line and exits 0 leaving any built addon alone; oneDNN is found from
 * DNNL_ROOT, a wrong DNNL_ROOT is named, and a oneDNN of another major version is refused.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain JavaScript module of the build (no declarations)
import { findOneDnn } from '../../native/find-onednn.mjs';

const nativeDir = fileURLToPath(new URL('../../native/', import.meta.url));
const installScript = path.join(nativeDir, 'install.mjs');
const addon = path.join(nativeDir, 'build', 'Release', 'jointshot_native.node');

/** A fake oneDNN install prefix of version `major`.1.0 (headers and an empty library file). */
function fakeOneDnn(root: string, major: number): string {
  const include = path.join(root, 'include', 'oneapi', 'dnnl');
  mkdirSync(include, { recursive: true });
  writeFileSync(path.join(include, 'dnnl.hpp'), '');
  writeFileSync(path.join(include, 'dnnl_version.h'), `#define DNNL_VERSION_MAJOR ${major}\n#define DNNL_VERSION_MINOR 1\n#define DNNL_VERSION_PATCH 0\n`);
  mkdirSync(path.join(root, 'lib'), { recursive: true });
  writeFileSync(path.join(root, 'lib', process.platform === 'darwin' ? 'libdnnl.dylib' : 'libdnnl.so'), '');
  return root;
}

function runInstall(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [installScript], { env, encoding: 'utf8' });
}

test('install without a C++ compiler: one line, exit 0, built addon untouched', (t) => {
  const bin = mkdtempSync(path.join(os.tmpdir(), 'jointshot-nocc-'));
  try {
    symlinkSync(process.execPath, path.join(bin, 'node'));
    const before = existsSync(addon) ? statSync(addon).mtimeMs : undefined;
    const { CXX: _cxx, JOINTSHOT_SKIP_NATIVE: _skip, ...rest } = process.env;
    const run = runInstall({ ...rest, PATH: bin });
    t.is(run.status, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    t.is(lines.length, 1, run.stdout);
    t.regex(lines[0]!, /^jointshot native backend not built: no C\+\+ compiler \(g\+\+, c\+\+, clang\+\+ not found on PATH\) \(the wasm backend will be used\)$/);
    t.is(existsSync(addon) ? statSync(addon).mtimeMs : undefined, before);
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test('JOINTSHOT_SKIP_NATIVE skips the build with one line', (t) => {
  const run = runInstall({ ...process.env, JOINTSHOT_SKIP_NATIVE: '1' });
  t.is(run.status, 0);
  t.is(run.stdout.trim(), 'jointshot native backend not built: JOINTSHOT_SKIP_NATIVE is set (the wasm backend will be used)');
});

test('findOneDnn: DNNL_ROOT prefix, version from dnnl_version.h; a wrong DNNL_ROOT is named', (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'jointshot-dnnl-'));
  try {
    fakeOneDnn(root, 2);
    const found = findOneDnn({ DNNL_ROOT: root });
    t.is(found.includeDir, path.join(root, 'include'));
    t.is(found.libDir, path.join(root, 'lib'));
    t.deepEqual(found.version, { major: 2, minor: 1, patch: 0 });
    t.is(found.via, 'DNNL_ROOT');
    const missing = findOneDnn({ ONEDNN_ROOT: path.join(root, 'nothing') });
    t.is(missing.includeDir, undefined);
    t.regex(missing.reason, /^ONEDNN_ROOT=.*nothing has no include\/oneapi\/dnnl\/dnnl\.hpp/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const hasCompiler = ['g++', 'c++', 'clang++'].some((cc) => spawnSync(cc, ['--version']).status === 0) && spawnSync('make', ['--version']).status === 0;
(hasCompiler ? test : test.skip)('install refuses a oneDNN of another major version, naming it', (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'jointshot-dnnl3-'));
  try {
    fakeOneDnn(root, 3);
    const { JOINTSHOT_SKIP_NATIVE: _skip, ...rest } = process.env;
    const run = runInstall({ ...rest, DNNL_ROOT: root });
    t.is(run.status, 0, run.stderr);
    t.regex(run.stdout.trim(), /^jointshot native backend not built: oneDNN 3\.1\.0 at .* \(via DNNL_ROOT\); the addon is written against oneDNN 2\.x/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
