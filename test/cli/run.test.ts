import test from 'ava';
import type { CommandModule } from 'yargs';
import { runCli } from '../../src/cli/run.js';
import { defaultDataDir, resolveDataDir, type GlobalArgs } from '../../src/cli/context.js';
import { DataError, UsageError } from '../../src/errors.js';

/** Runs the CLI in-process with `commands`, capturing stderr. */
async function capture(args: string[], commands: CommandModule<any, any>[]): Promise<{ code: number; stderr: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await runCli(args, commands), stderr };
  } finally {
    process.stderr.write = original;
  }
}

function failing(error: Error): CommandModule<GlobalArgs, GlobalArgs> {
  return {
    command: 'fail',
    describe: 'throws',
    handler: async () => {
      throw error;
    },
  };
}

let seen: GlobalArgs | undefined;
/** The arguments the last `record` run received (a function, so TS does not narrow across awaits). */
const lastSeen = (): GlobalArgs | undefined => seen;
const record: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'record',
  describe: 'keeps its arguments',
  handler: (argv) => {
    seen = argv;
  },
};

test.serial('a UsageError from a command exits 2 with one line', async (t) => {
  const run = await capture(['fail'], [failing(new UsageError('--ways must be at least 2, got 1'))]);
  t.deepEqual(run, { code: 2, stderr: 'jointshot: --ways must be at least 2, got 1\n' });
});

test.serial('DataError and unexpected errors exit 1 with one line', async (t) => {
  t.deepEqual(await capture(['fail'], [failing(new DataError('m.json: hash mismatch'))]), { code: 1, stderr: 'jointshot: m.json: hash mismatch\n' });
  t.deepEqual(await capture(['fail'], [failing(new Error('first\n  second'))]), { code: 1, stderr: 'jointshot: first second\n' });
});

test.serial('a bad --backend value is a usage error', async (t) => {
  const run = await capture(['record', '--backend', 'gpu'], [record]);
  t.is(run.code, 2);
  t.regex(run.stderr, /^jointshot: Invalid values: Argument: backend, Given: "gpu", Choices: "tensorflow", "native", "wasm", "cpu" \(see jointshot --help\)\n$/);
});

test.serial('global options reach the command with their defaults', async (t) => {
  seen = undefined;
  t.is((await capture(['record'], [record])).code, 0);
  t.is(lastSeen()?.seed, 0);
  t.is(lastSeen()?.json, false);
  t.is(lastSeen()?.verbose, false);
  t.is(lastSeen()?.dataDir, defaultDataDir());
  t.is((await capture(['record', '--seed', '7', '--json', '--data-dir', 'x/y'], [record])).code, 0);
  t.is(lastSeen()?.seed, 7);
  t.true(lastSeen()?.json);
  t.is(resolveDataDir(lastSeen()!), `${process.cwd()}/x/y`);
});

test('default data dir: $JOINTSHOT_DATA, else ~/.cache/jointshot', (t) => {
  t.is(defaultDataDir({ JOINTSHOT_DATA: '/data/js' }), '/data/js');
  t.regex(defaultDataDir({}), /\.cache\/jointshot$/);
});

test.serial('--seed must be an integer', async (t) => {
  t.deepEqual(await capture(['record', '--seed', '1.5'], [record]), { code: 2, stderr: 'jointshot: --seed must be an integer, got 1.5\n' });
  t.is((await capture(['record', '--seed', 'abc'], [record])).code, 2);
  t.is((await capture(['record', '--seed', '-3'], [record])).code, 0);
  t.is(lastSeen()?.seed, -3);
});
