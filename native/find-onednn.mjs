// Finds an installed oneDNN (headers, library directory, version) the way C/C++ projects do:
// DNNL_ROOT / ONEDNN_ROOT, then pkg-config (dnnl, onednn), then oneDNN's CMake config package
// (dnnl-config.cmake) under the usual prefixes: conda ($CONDA_PREFIX), Homebrew (brew --prefix
// onednn, /opt/homebrew, /usr/local), Debian/Ubuntu (/usr, multiarch lib dirs).
// Own code (absence): no npm package locates oneDNN. Used by native/install.mjs and, through
// `node native/find-onednn.mjs --include|--libdir|--version`, by native/binding.gyp.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HEADER = path.join('oneapi', 'dnnl', 'dnnl.hpp');
const LIBRARY = process.platform === 'darwin' ? 'libdnnl.dylib' : 'libdnnl.so';

/** oneDNN's version from dnnl_version.h under `includeDir`, e.g. { major: 2, minor: 6, patch: 3 }. */
export function readVersion(includeDir) {
  const file = path.join(includeDir, 'oneapi', 'dnnl', 'dnnl_version.h');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const part = (name) => Number(new RegExp(`#define\\s+DNNL_VERSION_${name}\\s+(\\d+)`).exec(text)?.[1]);
  const version = { major: part('MAJOR'), minor: part('MINOR'), patch: part('PATCH') };
  return Number.isInteger(version.major) ? version : undefined;
}

/** The directory among `dirs` holding the oneDNN shared library, if any. */
function libraryDirIn(dirs) {
  return dirs.find((dir) => existsSync(path.join(dir, LIBRARY)));
}

/** Library directories of an install prefix: lib, lib64 and Debian's multiarch lib/<triplet>. */
function libDirsOf(prefix) {
  const lib = path.join(prefix, 'lib');
  const multiarch = existsSync(lib)
    ? readdirSync(lib).filter((d) => /-linux-gnu/.test(d)).map((d) => path.join(lib, d))
    : [];
  return [lib, path.join(prefix, 'lib64'), ...multiarch];
}

/** A oneDNN found under install prefix `prefix` (include/oneapi/dnnl/dnnl.hpp and the library). */
function fromPrefix(prefix, via) {
  const includeDir = path.join(prefix, 'include');
  if (!existsSync(path.join(includeDir, HEADER))) return undefined;
  const libDir = libraryDirIn(libDirsOf(prefix));
  if (!libDir) return undefined;
  return { includeDir, libDir, version: readVersion(includeDir), via };
}

function run(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** pkg-config's view of package `name` (oneDNN installs one only in some builds). */
function fromPkgConfig(name) {
  const includeDir = run('pkg-config', ['--variable=includedir', name]);
  const libDir = run('pkg-config', ['--variable=libdir', name]);
  if (!includeDir || !libDir || !existsSync(path.join(includeDir, HEADER))) return undefined;
  return { includeDir, libDir, version: readVersion(includeDir), via: `pkg-config ${name}` };
}

/** The install prefix of a oneDNN CMake config package found under `prefix`. */
function fromCMakePackage(prefix) {
  for (const libDir of libDirsOf(prefix)) {
    const config = path.join(libDir, 'cmake', 'dnnl', 'dnnl-config.cmake');
    if (existsSync(config)) {
      const found = fromPrefix(prefix, `CMake package ${config}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Install prefixes to look at, most specific first. */
function candidatePrefixes(env) {
  const prefixes = [];
  if (env.CONDA_PREFIX) prefixes.push(env.CONDA_PREFIX);
  if (process.platform === 'darwin') {
    const brew = run('brew', ['--prefix', 'onednn']);
    if (brew) prefixes.push(brew);
    prefixes.push('/opt/homebrew/opt/onednn', '/usr/local/opt/onednn', '/opt/homebrew');
  }
  prefixes.push('/usr/local', '/usr', '/opt/intel/oneapi/dnnl/latest');
  return prefixes;
}

/**
 * The oneDNN to build against: { includeDir, libDir, version, via }, or { reason } saying what
 * was looked at. `env` defaults to process.env (DNNL_ROOT / ONEDNN_ROOT win when set).
 */
export function findOneDnn(env = process.env) {
  for (const name of ['DNNL_ROOT', 'ONEDNN_ROOT']) {
    const root = env[name];
    if (!root) continue;
    const found = fromPrefix(root, name);
    if (found) return found;
    return { reason: `${name}=${root} has no include/${HEADER.split(path.sep).join('/')} with ${LIBRARY} in lib, lib64 or lib/<triplet>` };
  }
  for (const name of ['dnnl', 'onednn']) {
    const found = fromPkgConfig(name);
    if (found) return found;
  }
  for (const prefix of candidatePrefixes(env)) {
    const found = fromCMakePackage(prefix) ?? fromPrefix(prefix, `prefix ${prefix}`);
    if (found) return found;
  }
  return {
    reason:
      'oneDNN not found (set DNNL_ROOT to its install prefix; Debian/Ubuntu: apt-get install libdnnl-dev; ' +
      'macOS: brew install onednn; conda: conda install -c conda-forge onednn)',
  };
}

/**
 * Compiler and linker flags for OpenMP: GCC's -fopenmp on Linux; on macOS Apple clang needs
 * libomp (Homebrew's or conda's llvm-openmp): none found means no flags (the addon's loops then
 * run on one thread; oneDNN keeps its own threading).
 */
export function openmpFlags(env = process.env) {
  if (process.platform !== 'darwin') return { cflags: ['-fopenmp'], libs: ['-fopenmp'] };
  const prefixes = [run('brew', ['--prefix', 'libomp']), '/opt/homebrew/opt/libomp', '/usr/local/opt/libomp', env.CONDA_PREFIX];
  const prefix = prefixes.find((p) => p && existsSync(path.join(p, 'include', 'omp.h')) && existsSync(path.join(p, 'lib', 'libomp.dylib')));
  if (!prefix) return { cflags: [], libs: [] };
  return { cflags: ['-Xpreprocessor', '-fopenmp', `-I${path.join(prefix, 'include')}`], libs: [`-L${path.join(prefix, 'lib')}`, '-lomp'] };
}

// Command-line use from binding.gyp: prints one field of the oneDNN found (exit 1 if none).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = findOneDnn();
  const field = process.argv[2] ?? '--include';
  if (!found.includeDir) {
    console.error(found.reason);
    process.exit(1);
  }
  const v = found.version;
  const omp = openmpFlags();
  const out = {
    '--include': found.includeDir,
    '--libdir': found.libDir,
    '--version': v ? `${v.major}.${v.minor}.${v.patch}` : 'unknown',
    '--via': found.via,
    '--openmp-cflags': omp.cflags.join(' '),
    '--openmp-libs': omp.libs.join(' '),
  }[field];
  if (out === undefined) {
    console.error(`unknown option ${field} (expected --include, --libdir, --version, --via, --openmp-cflags or --openmp-libs)`);
    process.exit(2);
  }
  console.log(out);
}
