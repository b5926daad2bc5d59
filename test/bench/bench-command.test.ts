import test from 'ava';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import benchCommand from '../../src/cli/commands/bench.js';
import { runCaptured } from '../helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('jointshot bench --help documents every option', async (t) => {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'bench', '--help'], { cwd: root }, (error, out) => (error ? reject(error) : resolve(out))),
  );
  const options = ['--preset', '--config', '--datasets', '--heads', '--transforms', '--shots', '--eval-episodes', '--backbone', '--epochs', '--batches-per-epoch', '--episodes-per-batch', '--val-episodes', '--seed', '--seeds', '--out', '--shard'];
  for (const option of options) t.regex(stdout, new RegExp(`^\\s+${option}\\s+\\S`, 'm'), option);
  t.regex(stdout, /defaults < --preset < --config file < flags/);
  // Every option the command declares is in the list above (a new option must be documented here too).
  // Read from the command's source file: its builder is wrapped by withHelp (src/cli/help.ts).
  const source = readFileSync(path.join(root, 'src/cli/commands/bench.ts'), 'utf8');
  const declared = [...source.matchAll(/\.option\(["']([a-z-]+)["']/g)].map((m) => `--${m[1]}`);
  t.deepEqual(declared.sort(), [...options].sort());
});

test.serial('jointshot bench: bad names, shards and files are one-line usage errors before any work', async (t) => {
  for (const [args, message] of [
    [['--heads', 'nope'], /^jointshot: unknown head 'nope' in heads; known heads: .*protonet/],
    [['--transforms', 'rot'], /^jointshot: unknown transformation set 'rot'/],
    [['--shard', '3/2'], /^jointshot: --shard must be i\/n with 1 <= i <= n/],
    [['--config', '/nonexistent/b.json'], /^jointshot: --config \/nonexistent\/b\.json: no such file or not readable/],
    [['--preset', 'fast'], /^jointshot: unknown bench preset 'fast'/],
    [['--eval-episodes', '-3'], /^jointshot: --eval-episodes must be a non-negative integer/],
    [['--preset', 'classify-quick', '--heads', 'ridge'], /^jointshot: --heads applies to episodic benches, not to a classify bench/],
    [['--preset', 'classify-quick', '--shard', '1/2'], /^jointshot: --shard applies to episodic benches/],
    [['--preset', 'classify-quick', '--seed', '3'], /^jointshot: ensembles\[0\]: run 'base' has one seed; an ensemble needs at least 2/],
  ] as const) {
    const run = await runCaptured(['bench', '--backend', 'cpu', '--out', '/nonexistent/out', ...args], [benchCommand]);
    t.is(run.code, 2, args.join(' '));
    t.regex(run.stderr, new RegExp(message.source, 'm'));
    t.is(run.stderr.trim().split('\n').filter((l) => l.startsWith('jointshot:')).length, 1);
  }
});
