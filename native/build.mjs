#!/usr/bin/env node
// Builds the oneDNN addon (native/build/jointshot_native.node) when a C++ compiler, Node's
// headers and oneDNN (Debian: libdnnl-dev) are present; otherwise says why and exits 0, so that
// `npm install` never fails for lack of them (jointshot then uses the wasm backend).
// Usage: node native/build.mjs [--force]   (JOINTSHOT_SKIP_NATIVE=1 skips the build)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const sources = ['addon.cc', 'elementwise.cc', 'buffer-pool.cc', 'layout.cc'].map((f) => path.join(here, 'src', f));
const output = path.join(here, 'build', 'jointshot_native.node');
const force = process.argv.includes('--force');

function skip(reason) {
  console.log(`jointshot native backend not built: ${reason} (the wasm backend will be used)`);
  process.exit(0);
}

if (process.env.JOINTSHOT_SKIP_NATIVE) skip('JOINTSHOT_SKIP_NATIVE is set');
if (process.platform !== 'linux') skip(`build script supports Linux only (this is ${process.platform})`);

const compiler = process.env.CXX || 'g++';
try {
  execFileSync(compiler, ['--version'], { stdio: 'ignore' });
} catch {
  skip(`no C++ compiler (${compiler})`);
}

const nodeIncludes = [
  path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
  '/usr/include/node',
  '/usr/local/include/node',
].filter((dir) => existsSync(path.join(dir, 'node_api.h')));
if (nodeIncludes.length === 0) skip("Node's C headers (node_api.h) not found");

const dnnlHeader = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp'].find((f) => existsSync(f));
if (!dnnlHeader) skip('oneDNN headers not found (Debian/Ubuntu: apt-get install libdnnl-dev)');

const newest = Math.max(...[...sources, path.join(here, 'src', 'napi-util.h')].map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
if (!force && existsSync(output) && statSync(output).mtimeMs > newest) {
  console.log(`jointshot native backend up to date: ${path.relative(process.cwd(), output)}`);
  process.exit(0);
}

mkdirSync(path.dirname(output), { recursive: true });
const args = [
  // No FP-exception or errno semantics: lets GCC vectorise selects and compares (leaky ReLU,
  // step: 4x faster) and sqrt.
  '-O3', '-fno-trapping-math', '-fno-math-errno', '-std=c++17', '-shared', '-fPIC', '-fopenmp', ...(process.arch === 'x64' ? ['-march=x86-64-v2'] : []),
  `-I${nodeIncludes[0]}`, `-I${path.dirname(path.dirname(path.dirname(dnnlHeader)))}`,
  '-DNODE_GYP_MODULE_NAME=jointshot_native',
  ...sources, '-o', output, '-ldnnl',
];
try {
  execFileSync(compiler, args, { stdio: ['ignore', 'inherit', 'pipe'] });
} catch (error) {
  const stderr = String(error.stderr ?? '').split('\n').slice(0, 5).join('\n');
  skip(`compiling failed:\n${stderr}`);
}
console.log(`jointshot native backend built: ${path.relative(process.cwd(), output)}`);
