/**
 * `jointshot eval`: evaluates a trained model on a manifest (or freshly sampled episodes) of a
 * dataset split; writes per-episode results and reports, prints the report table.
 * Heavy modules are imported inside the handler so that `--help` stays fast.
 */
import type { Argv, CommandModule } from 'yargs';
import type { SplitName } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { datasetFor, emit, resolveDataDir, startBackend, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';
import { interruptible } from '../interrupt.js';
import { checkOutputFolder } from '../out-path.js';
import { createPhaseProgress } from '../../util/status-line.js';
import { parseSeeds } from './bench.js';

interface EvalArgs extends GlobalArgs {
  checkpoint?: string;
  dataset: string;
  split: SplitName;
  manifest?: string;
  episodes?: number;
  ways?: number;
  shots?: number;
  queries?: number;
  head?: string;
  transform?: string;
  headOption?: string[];
  batchSize?: number;
  workers?: number;
  shard?: string;
  seeds?: string;
  out: string;
}

const EPISODE_DEFAULTS = { ways: 5, shots: 1, queries: 15 } as const;

/** `--head-option KEY=VALUE` flags as options: VALUE read as JSON (numbers, true/false), else as a string. */
export function parseHeadOptions(flags: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--head-option expects KEY=VALUE (e.g. maxIter=3), found '${flag}'`);
    const raw = flag.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // not JSON: keep the string
    }
    out[flag.slice(0, eq)] = value;
  }
  return out;
}

/** One-line UsageErrors for flag combinations that cannot work, before anything is loaded. */
export function checkEvalFlags(argv: EvalArgs): void {
  if (argv.checkpoint === undefined) throw new UsageError('missing --checkpoint FILE (the trained model to evaluate)');
  if ((argv.manifest === undefined) === (argv.episodes === undefined)) {
    throw new UsageError('give exactly one of --manifest FILE (saved episodes) or --episodes N (sample N episodes with --seed)');
  }
  if (argv.manifest !== undefined) {
    const clash = (['ways', 'shots', 'queries'] as const).filter((k) => argv[k] !== undefined);
    if (clash.length > 0) {
      throw new UsageError(`--${clash.join('/--')} cannot be combined with --manifest: the episode shape comes from the manifest`);
    }
  }
  if (argv.episodes !== undefined && (!Number.isSafeInteger(argv.episodes) || argv.episodes < 1)) {
    throw new UsageError(`--episodes must be a positive integer, found ${argv.episodes}`);
  }
  if (argv.workers !== undefined && (!Number.isSafeInteger(argv.workers) || argv.workers < 1)) {
    throw new UsageError(`--workers must be a positive integer, found ${argv.workers}`);
  }
  if (argv.batchSize !== undefined && (!Number.isSafeInteger(argv.batchSize) || argv.batchSize < 1)) {
    throw new UsageError(`--batch-size must be a positive integer, found ${argv.batchSize}`);
  }
  if (argv.seeds !== undefined && argv.shard !== undefined) {
    throw new UsageError('--shard cannot be combined with --seeds: shard one seed at a time (--model RUN/seed-<s>/best.jsm --shard i/n), merge with jointshot report merge');
  }
}

const evalCommand: CommandModule<GlobalArgs, EvalArgs> = {
  command: 'eval',
  describe: 'evaluate a trained model on test episodes: per-episode accuracy, mean ± 95% CI, single and aggregated',
  builder: withHelp([
    [
      '$0 eval --model runs/sla/best.jsm --dataset tiny-imagenet-fs --manifest episodes/tiny-imagenet-fs/test-5way-1shot.json --data-dir ~/data --out runs/sla/eval-1shot',
      'the 1000 canonical 5-way 1-shot test episodes: single and aggregated accuracy, mean ± 95% CI',
    ],
    [
      '$0 eval --model runs/sla3 --seeds 0,1,2 --dataset tiny-imagenet-fs --manifest episodes/tiny-imagenet-fs/test-5way-1shot.json --data-dir ~/data --out runs/sla3/eval-1shot',
      'the three seeds of a train --seeds run on the same episodes: mean over seeds ± across-seed t interval (pooled-episode interval beside it)',
    ],
  ], (y: Argv<GlobalArgs>) =>
    y
      .option('checkpoint', {
        type: 'string',
        alias: 'model',
        describe: 'the model to evaluate: a trained-model file (jointshot train) or a bare backbone checkpoint (then give --head/--transform); with --seeds the --out folder of train --seeds',
      })
      .option('dataset', { type: 'string', demandOption: true, describe: 'dataset name (see jointshot data list)' })
      .option('split', { type: 'string', choices: ['train', 'val', 'test'] as const, default: 'test' as SplitName, describe: 'split to evaluate on' })
      .option('manifest', { type: 'string', describe: 'episode manifest file (e.g. episodes/<dataset>/test-5way-1shot.json)' })
      .option('episodes', { type: 'number', describe: 'sample this many episodes from --seed instead of reading a manifest' })
      .option('ways', { type: 'number', describe: `classes per sampled episode (default ${EPISODE_DEFAULTS.ways})` })
      .option('shots', { type: 'number', describe: `support images per class (default ${EPISODE_DEFAULTS.shots})` })
      .option('queries', { type: 'number', describe: `query images per class (default ${EPISODE_DEFAULTS.queries})` })
      .option('head', { type: 'string', describe: 'bare backbone checkpoints and whole-class (train --task classify) models: head to use (protonet, ridge, svm; default protonet)' })
      .option('transform', { type: 'string', describe: "bare backbone checkpoints (default none) and whole-class models (default: the model's own): label transformation set to lift the head with (none, rotation, ...)" })
      .option('head-option', {
        type: 'string',
        array: true,
        describe: "KEY=VALUE set over the model's head options (repeatable), e.g. --head-option maxIter=3 solves the svm as MetaOptNet's test does (docs/heads.md)",
      })
      .option('batch-size', { type: 'number', describe: 'images per embedding forward pass before the M copies (default: sized from the image size)' })
      .option('workers', {
        type: 'number',
        describe: 'worker processes for the embedding pass and the head solves (1 = all in this process; default: 2 over >= 100 episodes on >= 2 cores, else 1); results are identical for any count',
      })
      .option('seeds', {
        type: 'string',
        describe: 'S1,S2,...: --model is the --out folder of train --seeds (or a bench --seeds cell); evaluates RUN/seed-<s>/best.jsm of each seed on the same episodes into OUT/seed-<s>/ and prints the mean over seeds with the across-seed t interval beside the pooled-episode interval (table.* in --out)',
      })
      .option('shard', { type: 'string', describe: 'i/n, 1-based: evaluate only contiguous block i of n of the episodes (writes slice.json), as bench --shard does with cells; merge with jointshot report merge' })
      .option('out', { type: 'string', demandOption: true, describe: 'folder for results.json, report.json and report.md' }) as unknown as Argv<EvalArgs>),
  handler: async (argv) => {
    checkEvalFlags(argv);
    await checkOutputFolder(argv.out, ['results.json', 'report.json', 'report.md']);
    const slices = await import('../../report/slice.js');
    const shard = argv.shard !== undefined ? slices.parseShard(argv.shard) : undefined;
    const evaluation = await import('../../eval/index.js');
    const { checkHeadWays } = evaluation;
    const modelFlags = {
      ...(argv.head !== undefined ? { head: argv.head } : {}),
      ...(argv.transform !== undefined ? { transform: argv.transform } : {}),
    };
    const seeds = argv.seeds === undefined ? undefined : parseSeeds(argv.seeds);
    if (seeds) (await import('../../train/seeds.js')).checkSeedList(seeds);
    const seedRun = seeds ? await import('../../eval/seeds.js') : undefined;
    const models = seeds ? await seedRun!.seedModels(argv.checkpoint!, seeds) : [{ seed: null, file: argv.checkpoint! }];
    const summary = seeds ? await seedRun!.checkSameMethod(models as { seed: number; file: string }[]) : await evaluation.peekModelFile(argv.checkpoint!);
    const headName = evaluation.checkModelFlags(models[0]!.file, summary, modelFlags);
    const shape = {
      ways: argv.ways ?? EPISODE_DEFAULTS.ways,
      shots: argv.shots ?? EPISODE_DEFAULTS.shots,
      queries: argv.queries ?? EPISODE_DEFAULTS.queries,
    };
    if (argv.episodes !== undefined) checkHeadWays(headName, shape.ways);
    const dataDir = resolveDataDir(argv);
    const definition = await datasetFor(argv, argv.dataset);
    const { makeManifest, readManifest } = await import('../../episodes/index.js');
    // Cheap checks on the episodes (shape vs class sizes, manifest vs dataset) before loading pixels.
    const described = definition.describe(argv.split);
    let manifest = described
      ? argv.manifest !== undefined
        ? await readManifest(argv.manifest, described)
        : makeManifest(described, { ...shape, count: argv.episodes!, seed: argv.seed })
      : undefined;
    if (manifest) checkHeadWays(headName, manifest.ways);
    if (manifest && seeds) await seedRun!.checkSeedOutputs(argv.out, manifest.sha256);
    const backend = await startBackend(argv);
    const split = await definition.load(argv.split, { dataDir });
    manifest ??=
      argv.manifest !== undefined
        ? await readManifest(argv.manifest, split)
        : makeManifest(split, { ...shape, count: argv.episodes!, seed: argv.seed });
    if (seeds && !described) await seedRun!.checkSeedOutputs(argv.out, manifest.sha256);
    const slice = shard ? slices.sliceManifest(manifest, { shard, file: argv.manifest ?? null }) : undefined;
    if (slice) manifest = slice.manifest;
    const episodes = manifest;
    /** Evaluates one model file on the episodes and writes its outputs into `outDir`. */
    const evaluateModel = async (file: string, outDir: string) => {
      const loaded = await evaluation.loadEvalModel(file, { ...modelFlags, dataset: argv.dataset, headOptionOverrides: parseHeadOptions(argv.headOption ?? []) });
      try {
        // Nothing is written before the end, so a signal ends the evaluation at once.
        const results = await interruptible({ immediate: seeds ? 'interrupted: evaluation stopped; the seeds already evaluated are written, this one is not' : 'interrupted: evaluation stopped, nothing written' }, () => evaluation.evaluate({
          model: loaded.model,
          split,
          manifest: episodes,
          ...(argv.manifest !== undefined ? { manifestFile: argv.manifest } : {}),
          ...(argv.batchSize !== undefined ? { batchSize: argv.batchSize } : {}),
          backend: { name: backend.name, threads: backend.threads },
          workers: argv.workers ?? evaluation.defaultWorkers(headName, episodes.count),
          onProgress: createPhaseProgress(process.stderr),
        }));
        const files = await evaluation.writeEvalOutputs(outDir, slice ? slices.stampSlice(results, slice.info) : results, slice?.info.start ?? 0);
        if (slice) await slices.writeSliceInfo(outDir, slice.info);
        const t = results.timing;
        process.stderr.write(
          `embedded ${t.imagesEmbedded} images x ${results.model.copies} in ${t.embedSeconds.toFixed(1)} s; ` +
            `${results.count} episodes in ${t.episodeSeconds.toFixed(1)} s ${t.workers === 1 ? 'in this process' : `on ${t.workers} worker processes`}; wrote ${files.results}\n`,
        );
        return { results, files };
      } finally {
        loaded.dispose();
      }
    };
    if (!seeds) {
      const { results, files } = await evaluateModel(argv.checkpoint!, argv.out);
      emit(argv, { files, report: evaluation.summarizeResults(results) }, evaluation.renderReport(results, 'markdown'));
      return;
    }
    const { seedDir } = await import('../../train/seeds.js');
    const evaluated = [];
    for (const [i, m] of models.entries()) {
      process.stderr.write(`seed ${m.seed} (${i + 1}/${models.length}): ${m.file}\n`);
      const dir = seedDir(argv.out, m.seed!);
      evaluated.push({ seed: m.seed!, model: m.file, dir, ...(await evaluateModel(m.file, dir)) });
    }
    const report = await import('../../report/index.js');
    const table = report.buildTable(evaluated.map((e) => ({ results: e.results, source: e.files.results })));
    const files = await report.writeReports(argv.out, table, await report.collectCurves([argv.checkpoint!]));
    process.stderr.write(`${seeds.length} seeds on the same ${episodes.count} episodes; wrote ${Object.values(files).join(', ')}\n`);
    emit(
      argv,
      { files, seeds: evaluated.map((e) => ({ seed: e.seed, model: e.model, files: e.files, report: evaluation.summarizeResults(e.results) })), table: report.tableDocument(table) },
      report.renderMarkdown(table),
    );
  },
};

export default evalCommand;
