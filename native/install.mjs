#!/usr/bin/env node
// npm `install` script: builds the oneDNN addon (native/build/Release/jointshot_native.node) with
// node-gyp when a C++ compiler, make and oneDNN 2.x are present; otherwise prints one line saying
// why and exits 0, so that `npm install` never fails for lack of them (jointshot then uses the
// wasm backend).
// Usage: node native/install.mjs [--force]   (JOINTSHOT_SKIP_NATIVE=1 skips the build;
// DNNL_ROOT=<prefix> picks a oneDNN install; CXX picks the compiler)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOneDnn } from './find-onednn.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const output = path.join(here, 'build', 'Release', 'jointshot_native.node');
const force = process.argv.includes('--force');

function skip(reason) {
  console.log(`jointshot native backend not built: ${reason} (the wasm backend will be used)`);
  process.exit(0);
}

/** Whether `command` runs (`--version`). */
function runs(command) {
  try {
    execFileSync(command, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** node-gyp's entry script: npm's own (npm sets npm_config_node_gyp), a local install, or the one bundled with Node's npm. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: fall through to npm's bundled copy
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(
    path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(prefix, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  );
  return candidates.find((c) => c && existsSync(c));
}

if (process.env.JOINTSHOT_SKIP_NATIVE) skip('JOINTSHOT_SKIP_NATIVE is set');
if (process.platform !== 'linux' && process.platform !== 'darwin') skip(`no native build for ${process.platform} (Linux and macOS only)`);

const compilers = process.env.CXX ? [process.env.CXX] : process.platform === 'darwin' ? ['clang++', 'c++'] : ['g++', 'c++', 'clang++'];
const compiler = compilers.find(runs);
if (!compiler) skip(`no C++ compiler (${compilers.join(', ')} not found on PATH)`);
if (!runs('make')) skip('make not found on PATH');

const onednn = findOneDnn();
if (!onednn.includeDir) skip(onednn.reason);
const version = onednn.version;
if (!version || version.major !== 2) {
  const found = version ? `${version.major}.${version.minor}.${version.patch}` : 'an unknown version';
  skip(`oneDNN ${found} at ${onednn.includeDir} (via ${onednn.via}); the addon is written against oneDNN 2.x (Debian/Ubuntu libdnnl-dev, conda onednn=2)`);
}

const gyp = nodeGyp();
if (!gyp) skip('node-gyp not found (it comes with npm; or npm install -g node-gyp)');

const inputs = [
  ...readdirSync(path.join(here, 'src')).map((f) => path.join(here, 'src', f)),
  path.join(here, 'binding.gyp'),
  path.join(here, 'find-onednn.mjs'),
  fileURLToPath(import.meta.url),
];
const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
if (!force && existsSync(output) && statSync(output).mtimeMs > newest) {
  console.log(`jointshot native backend up to date: ${path.relative(process.cwd(), output)}`);
  process.exit(0);
}

/**
 * Node's headers for node-gyp: npm passes its `nodedir` setting; run by hand, the headers
 * installed with Node itself (<prefix>/include/node), so that nothing is downloaded.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [];
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? ['--nodedir', prefix] : [];
}

const env = { ...process.env, CXX: compiler };
const args = [gyp, 'rebuild', '--directory', here, '--jobs', '2', ...nodedirArgs()];
const build = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
if (build.status !== 0) {
  const text = `${build.stderr ?? ''}\n${build.stdout ?? ''}`.split('\n');
  const compileErrors = text.filter((l) => /error:/.test(l));
  const lines = (compileErrors.length > 0 ? compileErrors : text.filter((l) => /ERR!/.test(l))).slice(0, 5);
  skip(`node-gyp failed (${compiler}, oneDNN ${version.major}.${version.minor}.${version.patch} via ${onednn.via}):\n${lines.join('\n') || build.error?.message || 'no error line'}`);
}
console.log(
  `jointshot native backend built: ${path.relative(process.cwd(), output)} ` +
    `(oneDNN ${version.major}.${version.minor}.${version.patch} via ${onednn.via})`,
);
