import test from 'ava';
import { createParser } from '../../src/cli/parser.js';

/** The --help text of `command` (a path such as ['data', 'prepare']), rendered in-process. */
function helpOf(command: string[]): Promise<string> {
  const args = [...command, '--help'];
  return new Promise((resolve, reject) => {
    createParser(args)
      .exitProcess(false)
      .parse(args, {}, (error, _argv, output) => (error ? reject(error) : resolve(output)));
  });
}

const LEAVES = [
  ['backends'],
  ['bench'],
  ['data', 'prepare'],
  ['data', 'download'],
  ['data', 'list'],
  ['data', 'info'],
  ['episodes', 'make'],
  ['episodes', 'show'],
  ['episodes', 'verify'],
  ['episodes', 'canonical'],
  ['episodes', 'grid'],
  ['eval'],
  ['eval-class'],
  ['export'],
  ['import'],
  ['report'],
  ['report', 'merge'],
  ['report', 'compare'],
  ['train'],
];

test('every command has an example in --help, and lists its own options before the global ones', async (t) => {
  const top = await helpOf([]);
  const listed = [...top.matchAll(/^ {2}jointshot ([a-z-]+)/gm)].map((m) => m[1]!);
  t.deepEqual([...new Set(listed)].sort(), [...new Set(LEAVES.map((l) => l[0]!))].sort(), 'every top-level command is checked here');
  for (const command of LEAVES) {
    const help = await helpOf(command);
    const name = command.join(' ');
    t.regex(help, /^Examples:\n {2}jointshot /m, name);
    const own = help.indexOf('\nOptions:\n');
    const global = help.indexOf('\nGlobal options:\n');
    t.true(global > 0, `${name}: has global options`);
    if (own >= 0) t.true(own < global, `${name}: own options first`);
    t.regex(help.slice(global), /--data-dir[\s\S]*--plugin/, name);
  }
});
