import test from 'ava';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import evalCommand from '../../src/cli/commands/eval.js';
import episodes from '../../src/cli/commands/episodes.js';
import train from '../../src/cli/commands/train.js';
import { runCaptured } from '../helpers/cli.js';

const example = fileURLToPath(new URL('../../docs/examples/plugins/cosine-head.mjs', import.meta.url));
const jointshot = (args: string[]) => runCaptured(args, [train, evalCommand, episodes]);
const tiny = ['--preset', 'quick', '--ways', '2', '--shots', '1', '--queries', '1', '--epochs', '1', '--batches-per-epoch', '2', '--episodes-per-batch', '1', '--val-episodes', '0'];

const DATASET_PLUGIN = `export function register(jointshot) {
  jointshot.registerDataset(jointshot.createSyntheticDataset({ name: 'synthetic-again', seed: 5, classes: { train: 5, val: 3, test: 5 }, imagesPerClass: 20 }));
}
`;

// One test: the CLI captures process-wide streams, so its runs must not interleave with others.
test('plugins outside the package: a head trains and evaluates (also on worker processes), a config file lists plugins, bad plugins fail in one line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'jointshot-plugin-'));
  try {
    const plugin = join(dir, 'my-head.mjs');
    await copyFile(example, plugin);
    const out = join(dir, 'run');

    // Two channels keep the runs short on a loaded machine.
    await writeFile(join(dir, 'tiny.json'), JSON.stringify({ backboneOptions: { channels: 2 } }));
    const trained = await jointshot(['train', '--backend', 'cpu', '--plugin', plugin, '--head', 'my-cosine', '--config', join(dir, 'tiny.json'), ...tiny, '--out', out]);
    t.is(trained.code, 0, trained.stderr);
    t.regex(trained.stderr, /^plugin .*my-head\.mjs: head my-cosine$/m);
    t.is(JSON.parse(await readFile(join(out, 'config.json'), 'utf8')).head, 'my-cosine');

    const evalArgs = ['eval', '--backend', 'cpu', '--model', join(out, 'best.jsm'), '--dataset', 'synthetic', '--episodes', '4', '--ways', '2', '--shots', '1', '--queries', '2'];
    const evaluated = await jointshot([...evalArgs, '--plugin', plugin, '--workers', '2', '--out', join(dir, 'eval'), '--json']);
    t.is(evaluated.code, 0, evaluated.stderr);
    t.is(JSON.parse(evaluated.stdout).report.single.n, 4);
    t.regex(evaluated.stderr, /on 2 worker processes/, 'the workers loaded the plugin too');

    await writeFile(join(dir, 'dataset.mjs'), DATASET_PLUGIN);
    await writeFile(join(dir, 'train.json'), JSON.stringify({ plugins: ['./my-head.mjs', './dataset.mjs'], head: 'my-cosine', dataset: 'synthetic-again', backboneOptions: { channels: 2 } }));
    const configured = await jointshot(['train', '--backend', 'cpu', '--config', join(dir, 'train.json'), ...tiny, '--out', join(dir, 'run2')]);
    t.is(configured.code, 0, configured.stderr);
    t.regex(configured.stderr, /^plugin \.\/dataset\.mjs: dataset synthetic-again$/m);
    t.like(JSON.parse(await readFile(join(dir, 'run2', 'config.json'), 'utf8')), { head: 'my-cosine', dataset: 'synthetic-again' });

    const made = await jointshot(['episodes', 'make', '--plugin', join(dir, 'dataset.mjs'), '--dataset', 'synthetic-again', '--count', '2', '--out', join(dir, 'm.json')]);
    t.is(made.code, 0, made.stderr);

    await writeFile(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    await writeFile(join(dir, 'broken.mjs'), 'export default function (\n');
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ plugins: 'my-head.mjs' }));
    const bad: [string[], number, RegExp][] = [
      [['--plugin', join(dir, 'missing.mjs')], 2, /--plugin .*missing\.mjs: no such file/],
      [['--plugin', join(dir, 'empty.mjs')], 2, /--plugin .*empty\.mjs: exports no register function/],
      [['--plugin', join(dir, 'broken.mjs')], 1, /--plugin .*broken\.mjs: the module failed to load/],
      [['--config', join(dir, 'bad.json')], 2, /--config .*bad\.json: "plugins" must be a list of module paths/],
    ];
    for (const [flags, code, pattern] of bad) {
      const run = await jointshot(['train', '--backend', 'cpu', ...flags, ...tiny, '--out', join(dir, 'never')]);
      t.is(run.code, code, flags.join(' '));
      t.is(run.stderr.trim().split('\n').length, 1, run.stderr);
      t.regex(run.stderr, pattern);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
