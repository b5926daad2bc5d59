/**
 * `jointshot episodes make|show|verify|canonical|grid`: seeded episode manifests on the command line.
 * Data modules are imported inside handlers so that `--help` stays fast.
 */
import type { Argv, CommandModule } from 'yargs';
import type { SplitDescription, SplitName } from '../../data/types.js';
import type { EpisodeShape } from '../../episodes/index.js';
import { UsageError } from '../../errors.js';
import { checkOutputFile } from '../out-path.js';
import { datasetFor, emit, resolveDataDir, startBackend, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';

interface MakeArgs extends GlobalArgs, EpisodeShape {
  dataset: string;
  split: SplitName;
  count: number;
  out: string;
}

interface FileArgs extends GlobalArgs {
  file: string;
  dataset?: string;
}

interface GridArgs extends GlobalArgs {
  file: string;
  episode: number;
  transform: string;
  set: 'support' | 'query';
  scale: number;
  out: string;
}

interface CanonicalArgs extends GlobalArgs {
  dataset: string;
  dir?: string;
}

/** Class names and counts of a split: from the registry's description, else by loading the split. */
async function splitDescription(dataset: string, split: SplitName, argv: GlobalArgs): Promise<SplitDescription> {
  const definition = await datasetFor(argv, dataset);
  const described = definition.describe(split);
  if (described) return described;
  const loaded = await definition.load(split, { dataDir: resolveDataDir(argv) });
  return { dataset: loaded.dataset, split: loaded.split, classes: loaded.classes };
}

/** Tells the user on stderr when some classes are too small for the shape and left out of the draw. */
async function noteSkippedClasses(description: SplitDescription, shape: EpisodeShape): Promise<void> {
  const { eligibleClasses } = await import('../../episodes/index.js');
  const eligible = eligibleClasses(description.classes.map((c) => c.count), shape, description.classes.map((c) => c.name));
  const skipped = description.classes.length - eligible.length;
  if (skipped > 0) {
    process.stderr.write(
      `note: ${skipped} of ${description.classes.length} classes have fewer than ${shape.shots + shape.queries} images and are left out of the draw\n`,
    );
  }
}

const make: CommandModule<GlobalArgs, MakeArgs> = {
  command: 'make',
  describe: 'sample seeded episodes of a dataset split and write them as a manifest',
  builder: withHelp([['$0 episodes make --dataset cifar-fs --shots 5 --count 600 --seed 1 --out cifar-fs-5shot.json', '600 seeded 5-way 5-shot test episodes of CIFAR-FS']], (y: Argv<GlobalArgs>) =>
    y
      .option('dataset', { type: 'string', default: 'synthetic', describe: 'dataset name (see the registry)' })
      .option('split', { type: 'string', choices: ['train', 'val', 'test'] as const, default: 'test' as SplitName, describe: 'split to sample from' })
      .option('ways', { type: 'number', default: 5, describe: 'classes per episode' })
      .option('shots', { type: 'number', default: 1, describe: 'support images per class' })
      .option('queries', { type: 'number', default: 15, describe: 'query images per class' })
      .option('count', { type: 'number', default: 1000, describe: 'number of episodes' })
      .option('out', { type: 'string', demandOption: true, describe: 'manifest file to write (atomically)' }) as unknown as Argv<MakeArgs>),
  handler: async (argv) => {
    for (const key of ['ways', 'shots', 'queries', 'count'] as const) {
      if (!Number.isSafeInteger(argv[key]) || argv[key] < 1) throw new UsageError(`--${key} must be a positive integer, found ${argv[key]}`);
    }
    await checkOutputFile(argv.out);
    const { makeManifest, writeManifest } = await import('../../episodes/index.js');
    const description = await splitDescription(argv.dataset, argv.split, argv);
    const settings = { ways: argv.ways, shots: argv.shots, queries: argv.queries, count: argv.count, seed: argv.seed };
    const manifest = makeManifest(description, settings);
    await noteSkippedClasses(description, settings);
    await writeManifest(argv.out, manifest);
    emit(
      argv,
      { file: argv.out, dataset: manifest.dataset, split: manifest.split, ...settings, sha256: manifest.sha256 },
      `wrote ${argv.out}: ${manifest.dataset}/${manifest.split} ${manifest.ways}-way ${manifest.shots}-shot ` +
        `${manifest.queries} queries, ${manifest.count} episodes, seed ${manifest.seed}, sha256 ${manifest.sha256}`,
    );
  },
};

const fileArgument = (y: Argv<GlobalArgs>) => y.positional('file', { type: 'string', demandOption: true, describe: 'manifest file' });

const show: CommandModule<GlobalArgs, FileArgs> = {
  command: 'show <file>',
  describe: 'summarise a manifest: dataset, split, shape, count, hash, class usage',
  builder: withHelp([['$0 episodes show episodes/cifar-fs/test-5way-1shot.json', 'shape, count, hash and class usage of a canonical manifest']], (y: Argv<GlobalArgs>) => fileArgument(y) as unknown as Argv<FileArgs>),
  handler: async (argv) => {
    const { formatManifestSummary, readManifest, summarizeManifest } = await import('../../episodes/index.js');
    const summary = summarizeManifest(await readManifest(argv.file));
    emit(argv, { file: argv.file, ...summary }, [`file     ${argv.file}`, ...formatManifestSummary(summary)].join('\n'));
  },
};

const verify: CommandModule<GlobalArgs, FileArgs> = {
  command: 'verify <file>',
  describe: 'check a manifest (format, episodes, sha256) and, with --dataset, that it matches the dataset',
  builder: withHelp([['$0 episodes verify episodes/cifar-fs/test-5way-1shot.json --dataset cifar-fs', 'the file is intact and fits the prepared CIFAR-FS']], (y: Argv<GlobalArgs>) =>
    fileArgument(y).option('dataset', {
      type: 'string',
      describe: "also check the manifest's classes and image counts against this dataset",
    }) as unknown as Argv<FileArgs>),
  handler: async (argv) => {
    const { readManifest } = await import('../../episodes/index.js');
    // Read once without a description to learn the split, then check against the dataset.
    let manifest = await readManifest(argv.file);
    if (argv.dataset !== undefined) {
      manifest = await readManifest(argv.file, await splitDescription(argv.dataset, manifest.split, argv));
    }
    const against = argv.dataset === undefined ? '' : `, matches ${argv.dataset}/${manifest.split}`;
    emit(
      argv,
      { file: argv.file, ok: true, dataset: argv.dataset ?? null, sha256: manifest.sha256, count: manifest.count },
      `ok ${argv.file}: ${manifest.count} episodes, sha256 ${manifest.sha256}${against}`,
    );
  },
};

const canonical: CommandModule<GlobalArgs, CanonicalArgs> = {
  command: 'canonical',
  describe: "write a dataset's canonical test manifests (5-way, 1 and 5 shots, 15 queries, 1000 episodes, seed 0)",
  builder: withHelp([['$0 episodes canonical --dataset my-set --dir episodes', 'the 1- and 5-shot test manifests of a folder dataset prepared as my-set']], (y: Argv<GlobalArgs>) =>
    y
      .option('dataset', { type: 'string', default: 'synthetic', describe: 'dataset name' })
      .option('dir', { type: 'string', describe: "root folder (default: the package's episodes/)" }) as unknown as Argv<CanonicalArgs>),
  handler: async (argv) => {
    const { CANONICAL_SETTINGS, CANONICAL_SHOTS, canonicalManifest, canonicalManifestPath, writeManifest } = await import(
      '../../episodes/index.js'
    );
    const description = await splitDescription(argv.dataset, 'test', argv);
    const written = [];
    for (const shots of CANONICAL_SHOTS) {
      const manifest = canonicalManifest(description, shots);
      await noteSkippedClasses(description, { ...CANONICAL_SETTINGS, shots });
      const file = canonicalManifestPath(argv.dataset, shots, argv.dir);
      await writeManifest(file, manifest);
      written.push({ file, shots, sha256: manifest.sha256 });
    }
    emit(argv, { written }, written.map((w) => `wrote ${w.file}: sha256 ${w.sha256}`).join('\n'));
  },
};

const grid: CommandModule<GlobalArgs, GridArgs> = {
  command: 'grid <file>',
  describe: "save a PNG of one episode's images and their transformed copies (one row per image, t_0 = identity first), to check a transform by eye",
  builder: withHelp([['$0 episodes grid episodes/synthetic/test-5way-1shot.json --transform rotation --out grid.png', 'the 5 support images of episode 0 and their 4 rotations']], (y: Argv<GlobalArgs>) =>
    fileArgument(y)
      .option('episode', { type: 'number', default: 0, describe: 'episode index in the manifest' })
      .option('transform', { type: 'string', default: 'rotation', describe: 'label transformation set (none, rotation, colorperm, ...)' })
      .option('set', { type: 'string', choices: ['support', 'query'] as const, default: 'support' as const, describe: 'which images of the episode' })
      .option('scale', { type: 'number', default: 2, describe: 'integer pixel magnification' })
      .option('out', { type: 'string', demandOption: true, describe: 'PNG file to write (atomically)' }) as unknown as Argv<GridArgs>),
  handler: async (argv) => {
    const { readManifest } = await import('../../episodes/index.js');
    const { getLabelTransform, saveTransformGrid } = await import('../../transforms/index.js');
    const manifest = await readManifest(argv.file);
    if (!Number.isInteger(argv.episode) || argv.episode < 0 || argv.episode >= manifest.count) {
      throw new UsageError(`--episode must be an integer in [0, ${manifest.count - 1}] for ${argv.file}, found ${argv.episode}`);
    }
    if (!Number.isInteger(argv.scale) || argv.scale < 1 || argv.scale > 16) {
      throw new UsageError(`--scale must be an integer in [1, 16], found ${argv.scale}`);
    }
    const transform = getLabelTransform(argv.transform);
    await checkOutputFile(argv.out);
    await startBackend(argv);
    const split = await (await datasetFor(argv, manifest.dataset)).load(manifest.split, { dataDir: resolveDataDir(argv) });
    const checked = await readManifest(argv.file, split);
    const episode = checked.episodes[argv.episode]!;
    const images = episode.classes.flatMap((c, slot) => episode[argv.set][slot]!.map((i) => split.image(c, i)));
    const shape = { height: split.height, width: split.width, channels: split.channels };
    transform.check([1, shape.height, shape.width, shape.channels]);
    await saveTransformGrid(argv.out, transform, images, shape, argv.scale);
    emit(
      argv,
      { file: argv.out, manifest: argv.file, episode: argv.episode, transform: argv.transform, set: argv.set, rows: images.length, columns: transform.count },
      `wrote ${argv.out}: ${images.length} ${argv.set} images of episode ${argv.episode} (class-major) x ${transform.count} copies of '${argv.transform}'`,
    );
  },
};

const episodes: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'episodes <command>',
  describe: 'make, show and verify seeded episode manifests; write the canonical test manifests; save a PNG grid of an episode',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .command(make)
      .command(show)
      .command(verify)
      .command(canonical)
      .command(grid)
      .demandCommand(1, 'missing episodes command: make, show, verify, canonical or grid') as Argv<GlobalArgs>,
  handler: () => undefined,
};

export default episodes;
