import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockOutputFolder } from '../../src/cli/out-lock.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Spawned {
  child: ChildProcess;
  stderr: () => string;
  /** Resolves when stderr matches `pattern`. */
  waitFor: (pattern: RegExp) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the real executable (through tsx) in its own process. */
function start(args: string[]): Spawned {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, JOINTSHOT_BACKEND: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const w of waiters.filter((w) => w.pattern.test(stderr))) w.resolve();
  });
  child.stdout!.resume();
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stderr: () => stderr,
    waitFor: (pattern) =>
      pattern.test(stderr)
        ? Promise.resolve()
        : Promise.race([
            new Promise<void>((resolve) => waiters.push({ pattern, resolve })),
            exit.then(() => {
              if (!pattern.test(stderr)) throw new Error(`exited before ${pattern}: ${stderr}`);
            }),
          ]),
    exit,
  };
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isFile() && entry.name === name) return full;
    if (entry.isDirectory()) {
      const found = await findFile(full, name);
      if (found) return found;
    }
  }
  return undefined;
}

/** A bench of one small cell whose training lasts long enough to be interrupted. */
const BENCH_CONFIG = {
  datasets: ['synthetic'],
  heads: ['protonet'],
  transforms: ['none'],
  shots: [1],
  evalEpisodes: 2,
  train: { backboneOptions: { channels: 2 }, ways: 2, shots: 1, queries: 1, epochs: 1, batchesPerEpoch: 100, episodesPerBatch: 1, validation: { episodes: 0 } },
};

test('two bench runs into one --out: the second is refused naming the first; SIGTERM saves and exits 143; a killed holder\'s lock is taken over', async (t) => {
  t.timeout(900_000, 'three CLI processes on a loaded machine');
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-lock-'));
  try {
    const config = join(dir, 'bench.json');
    await writeFile(config, JSON.stringify(BENCH_CONFIG));
    const out = join(dir, 'out');
    const args = ['bench', '--backend', 'cpu', '--config', config, '--out', out];
    const first = start(args);
    await first.waitFor(/training: starting/);

    const second = start(args);
    const refused = await second.exit;
    t.is(refused.code, 2, second.stderr());
    t.regex(second.stderr(), new RegExp(`^jointshot: --out .*out is in use by pid ${first.child.pid} on ${os.hostname()} \\(jointshot bench --preset quick\\), started \\d{4}-`, 'm'));

    first.child.kill('SIGTERM');
    const stopped = await first.exit;
    t.is(stopped.code, 143, first.stderr());
    t.regex(first.stderr(), /SIGTERM: stopped after saving/);
    t.truthy(await findFile(out, 'last.jsm'), 'the checkpoint was saved');
    await t.throwsAsync(access(join(out, '.bench.lock')), undefined, 'the lock is released');

    // A holder killed with SIGKILL leaves its lock; the next run takes it over at once.
    const killed = start(args);
    await killed.waitFor(/training: resuming/);
    killed.child.kill('SIGKILL');
    await killed.exit;
    await access(join(out, '.bench.lock'));
    const release = await lockOutputFolder(out, 'test', 'bench');
    await release();
    t.pass();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('train: a second train into the same --out is refused; SIGINT saves a checkpoint and exits 130; eval on worker processes: SIGTERM exits 143 writing nothing', async (t) => {
  t.timeout(900_000, 'CLI processes on a loaded machine');
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-signals-'));
  try {
    const config = join(dir, 'train.json');
    await writeFile(config, JSON.stringify({ ...BENCH_CONFIG.train, batchesPerEpoch: 200, checkpointEvery: 1000 }));
    const out = join(dir, 'run');
    const trainArgs = ['train', '--backend', 'cpu', '--preset', 'quick', '--config', config, '--out', out];
    const train = start(trainArgs);
    await train.waitFor(/step 20\/200/);
    const second = start(trainArgs);
    t.is((await second.exit).code, 2, second.stderr());
    t.regex(second.stderr(), new RegExp(`^jointshot: --out .*run is in use by pid ${train.child.pid} on ${os.hostname()} \\(jointshot train --out `, 'm'));
    train.child.kill('SIGINT');
    const stopped = await train.exit;
    t.is(stopped.code, 130, train.stderr());
    t.regex(train.stderr(), /SIGINT: stopped after saving a checkpoint; continue with --resume/);
    await access(join(out, 'last.jsm'));
    await t.throwsAsync(access(join(out, '.train.lock')), undefined, 'the lock is released');

    const evaluation = start(['eval', '--backend', 'cpu', '--model', join(out, 'last.jsm'), '--dataset', 'synthetic', '--episodes', '2000', '--workers', '2', '--out', join(dir, 'eval')]);
    await evaluation.waitFor(/embed \d+\/\d+/);
    evaluation.child.kill('SIGTERM');
    const ended = await evaluation.exit;
    t.is(ended.code, 143, evaluation.stderr());
    t.regex(evaluation.stderr(), /interrupted: evaluation stopped, nothing written/);
    await t.throwsAsync(access(join(dir, 'eval', 'results.json')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
