import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real executable through tsx, as `npm run jointshot -- ...` does. */
function jointshot(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: root, env: { ...process.env, JOINTSHOT_BACKEND: '' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

test('--help lists the commands and the global options', async (t) => {
  const run = await jointshot(['--help']);
  t.is(run.code, 0);
  t.regex(run.stdout, /jointshot backends/);
  for (const option of ['--backend', '--data-dir', '--seed', '--verbose', '--json']) t.true(run.stdout.includes(option), option);
});

test('an unknown command is one line on stderr and exit 2', async (t) => {
  const run = await jointshot(['frobnicate']);
  t.is(run.code, 2);
  t.is(run.stdout, '');
  t.is(run.stderr, 'jointshot: Unknown command: frobnicate (see jointshot --help)\n');
});

test('--verbose adds the stack after the one-line message', async (t) => {
  const run = await jointshot(['frobnicate', '--verbose']);
  t.is(run.code, 2);
  const lines = run.stderr.trimEnd().split('\n');
  t.is(lines[0], 'jointshot: Unknown command: frobnicate (see jointshot --help)');
  t.regex(lines[1]!, /^UsageError: /);
  t.true(lines.slice(2).some((line) => /^\s+at /.test(line)));
});

test('backends --json reports the chosen backend, announced on stderr', async (t) => {
  const run = await jointshot(['backends', '--backend', 'cpu', '--json']);
  t.is(run.code, 0, run.stderr);
  t.is(run.stderr, 'backend: cpu (1 thread)\n');
  const report = JSON.parse(run.stdout) as { chosen: { name: string; threads: number }; backends: { name: string }[] };
  t.deepEqual(report.chosen, { name: 'cpu', threads: 1 });
  t.deepEqual(report.backends.map((b) => b.name), ['tensorflow', 'native', 'wasm', 'cpu']);
});
