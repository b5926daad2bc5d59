import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** In a fresh process: the @stdlib modules loaded after importing src/stats, and after one paired comparison. */
const script = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const stdlib = () => Object.keys(require.cache).filter((f) => f.includes('/@stdlib/')).length;
const stats = await import('./src/stats/index.ts');
const afterImport = stdlib();
const p = stats.pairedComparison([0.2, 0.4, 0.6, 0.8], [0.1, 0.4, 0.5, 0.6]).t.pValue;
console.log(JSON.stringify({ afterImport, afterCall: stdlib(), p }));
`;

test('importing the stats module loads no stdlib-js module; the first test that needs one loads it', async (t) => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { cwd: root, timeout: 110_000 });
  const { afterImport, afterCall, p } = JSON.parse(stdout) as { afterImport: number; afterCall: number; p: number };
  t.is(afterImport, 0);
  t.true(afterCall > 100, `the t-test and Wilcoxon packages were required (${afterCall} modules)`);
  t.true(p > 0 && p < 1);
});
