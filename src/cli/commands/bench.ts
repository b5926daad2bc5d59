/**
 * `jointshot bench`: the main job. Trains every dataset x head x {plain, SLA} model of a preset,
 * evaluates each on the canonical 1- and 5-shot test manifests, and prints one table in the
 * layout of the SLA paper's Table 5 (also written as Markdown, LaTeX, CSV, JSON and an SVG plot).
 * Config layers merge as defaults < preset < --config file < flags.
 */
import type { Argv, CommandModule } from 'yargs';
import type { BenchLayer } from '../../bench/config.js';
import type { TrainConfig } from '../../train/config.js';
import type { FewShotSplit, SplitName } from '../../data/types.js';
import { UsageError } from '../../errors.js';
import { datasetFor, emit, resolveDataDir, startBackend, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';
import { interruptible } from '../interrupt.js';
import { checkSeed } from '../middleware.js';
import { lockOutputFolder } from '../out-lock.js';

interface BenchArgs extends Omit<GlobalArgs, 'seed'> {
  seed?: number;
  seeds?: string;
  preset: string;
  config?: string;
  datasets?: string[];
  heads?: string[];
  transforms?: string[];
  shots?: number[];
  evalEpisodes?: number;
  backbone?: string;
  epochs?: number;
  batchesPerEpoch?: number;
  episodesPerBatch?: number;
  valEpisodes?: number;
  out?: string;
  shard?: string;
}

/** `--seeds 0,1,2` as a list of integers; one-line UsageError otherwise. */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^-?\d+$/.test(s)) || seeds.map(Number).some((s) => !Number.isSafeInteger(s))) {
    throw new UsageError(`--seeds must be a comma-separated list of integers (e.g. 0,1,2), found '${text}'`);
  }
  return seeds.map(Number);
}

/** The flag layer: only flags given on the command line override the preset and config file. */
export function benchFlagLayer(argv: BenchArgs): BenchLayer {
  if (argv.seed !== undefined && argv.seeds !== undefined) throw new UsageError('give --seed S (one run per cell) or --seeds S1,S2,... (one run per cell and seed), not both');
  const train: Partial<TrainConfig> = {
    backbone: argv.backbone,
    epochs: argv.epochs,
    batchesPerEpoch: argv.batchesPerEpoch,
    episodesPerBatch: argv.episodesPerBatch,
    seed: argv.seed,
  };
  if (argv.valEpisodes !== undefined) train.validation = { episodes: argv.valEpisodes } as TrainConfig['validation'];
  if (argv.evalEpisodes !== undefined && (!Number.isSafeInteger(argv.evalEpisodes) || argv.evalEpisodes < 0)) {
    throw new UsageError(`--eval-episodes must be a non-negative integer (0 = all), found ${argv.evalEpisodes}`);
  }
  return {
    datasets: argv.datasets,
    heads: argv.heads,
    transforms: argv.transforms,
    shots: argv.shots,
    seeds: argv.seeds === undefined ? undefined : parseSeeds(argv.seeds),
    evalEpisodes: argv.evalEpisodes === undefined ? undefined : argv.evalEpisodes === 0 ? null : argv.evalEpisodes,
    train: Object.fromEntries(Object.entries(train).filter(([, v]) => v !== undefined)),
  } as BenchLayer;
}

const list = (describe: string) => ({ type: 'string' as const, array: true, describe });

const benchCommand: CommandModule<GlobalArgs, BenchArgs> = {
  command: 'bench',
  describe: 'train and evaluate a matrix of heads x {plain, SLA} x datasets; print the Table-5 layout (default: the quick synthetic preset)',
  builder: withHelp([
    ['$0 bench', 'the quick preset: synthetic glyphs, ProtoNet/ridge/SVM x {plain, SLA}, minutes on a CPU'],
    ['$0 bench --preset cpu-real --data-dir ~/data --out runs/bench-real', 'the same table on tiny-imagenet-fs (hours on a CPU)'],
  ], (y: Argv<GlobalArgs>) =>
    y
      .usage(
        '$0 bench [options]\n\nWithout options: the quick preset (synthetic glyphs, small Conv-4, ProtoNet/ridge/SVM x {plain, SLA-rotation}, ' +
          '1 and 5 shots). Finished cells are skipped and interrupted ones resumed: run the same command again to continue. ' +
          'Config merge order: defaults < --preset < --config file < flags. See docs/bench.md.',
      )
      .option('preset', {
        type: 'string',
        default: 'quick',
        describe:
          'quick (synthetic, minutes on a CPU), cpu-real (tiny-imagenet-fs; needs --data-dir), paper-table5 (ResNet-12 recipe; for GPUs); ' +
          'whole-class (Tables 1-3, Figure 3; docs/bench.md): classify-quick, figure3-quick (synthetic), cpu-classify, cpu-figure3 (tiny-imagenet-fs), paper-cifar (GPU)',
      })
      .option('config', { type: 'string', describe: 'JSON file of bench options (datasets, heads, transforms, shots, evalEpisodes, train, trainByDataset, headOptions) over the preset' })
      .option('datasets', list('datasets to run (default from the preset)'))
      .option('heads', list('heads: protonet, ridge, svm or any registered head'))
      .option('transforms', list('label transformation sets: none (plain) and e.g. rotation (SLA)'))
      .option('shots', { type: 'number', array: true, describe: 'test shots (canonical 5-way manifests exist for 1 and 5)' })
      .option('eval-episodes', { type: 'number', describe: 'evaluate the first N episodes of each 1000-episode test manifest; 0 = all (quick: 100)' })
      .option('backbone', { type: 'string', describe: 'backbone for every cell: conv4 or resnet12' })
      .option('epochs', { type: 'number', describe: 'training epochs of every cell' })
      .option('batches-per-epoch', { type: 'number', describe: 'optimizer steps per epoch' })
      .option('episodes-per-batch', { type: 'number', describe: 'episodes per optimizer step' })
      .option('val-episodes', { type: 'number', describe: 'validation episodes after each epoch (0 = none: the last model is kept)' })
      .option('seed', {
        type: 'number',
        default: undefined,
        // Kept undefined when not given, so that a config file's seed is not overridden by the global default.
        coerce: checkSeed,
        describe: 'training seed of every cell (default 0)',
      })
      .option('seeds', {
        type: 'string',
        describe: 'S1,S2,...: train and evaluate every cell once per seed (in <cell>/seed-<s>/); the table shows the mean over seeds with the across-seed t interval beside the pooled-episode interval',
      })
      .option('out', { type: 'string', describe: 'output folder (default jointshot-bench/<preset>)' })
      .option('shard', { type: 'string', describe: 'i/n, 1-based: run only contiguous block i of n of the cells (x seeds), as eval --shard does with episodes; machines may share --out; then jointshot report <out>' }) as unknown as Argv<BenchArgs>),
  handler: async (argv) => {
    const bench = await import('../../bench/index.js');
    const { parseShard } = await import('../../report/slice.js');
    const shard = argv.shard !== undefined ? parseShard(argv.shard) : undefined;
    const layers: BenchLayer[] = [bench.benchPreset(argv.preset)];
    if (argv.config !== undefined) layers.push(await bench.readBenchConfigFile(argv.config));
    layers.push(benchFlagLayer(argv));
    const config = bench.resolveBenchConfig(...layers);
    const outDir = argv.out ?? `jointshot-bench/${argv.preset}`;
    if (config.task === 'classify') return classifyBench(argv, config, outDir);
    bench.checkBenchNames(config);
    // One run per folder (per shard: shards may share --out); released on exit, taken over when stale.
    const release = await lockOutputFolder(outDir, `jointshot bench --preset ${argv.preset}${shard ? ` --shard ${argv.shard}` : ''}`, shard ? `bench-shard-${shard.number}-of-${shard.count}` : 'bench');
    try {
      const backend = await startBackend(argv);
      const dataDir = resolveDataDir(argv);
      const cells = bench.cellsOfShard(bench.benchCells(config, outDir), shard);
      // Load every split this shard needs before any work, so a dataset that is not prepared fails now.
      const loaded = new Map<string, Promise<FewShotSplit>>();
      const loadSplit = (dataset: string, split: SplitName) => {
        const key = `${dataset}/${split}`;
        if (!loaded.has(key)) loaded.set(key, datasetFor(argv, dataset).then((d) => d.load(split, { dataDir })));
        return loaded.get(key)!;
      };
      for (const cell of cells) {
        for (const split of ['train', 'test', ...(cell.train.validation.episodes > 0 ? ['val'] : [])] as SplitName[]) await loadSplit(cell.dataset, split);
      }
      const subset = config.evalEpisodes === null ? 'all episodes' : `the first ${config.evalEpisodes} episodes`;
      process.stderr.write(`bench '${argv.preset}': ${cells.length} model${cells.length === 1 ? '' : 's'} (${config.datasets.join(', ')} x ${config.heads.join(', ')} x ${config.transforms.join(', ')}), each evaluated ${config.shots.map((s) => `${s}-shot`).join(' and ')} on ${subset} of the canonical test manifests; output ${outDir}\n`);
      const notes = { stopping: 'saving a checkpoint after this step', stopped: 'stopped after saving the finished cells and a checkpoint; run the same command to continue' };
      await interruptible(notes, async (signal) => {
        const summary = await bench.runBench({
          config,
          outDir,
          loadSplit,
          ...(shard ? { shard } : {}),
          backend: { name: backend.name, threads: backend.threads },
          progress: bench.createBenchProgress(process.stderr),
          signal,
        });
        const { findResults } = await import('../../report/collect.js');
        if ((await findResults([outDir])).length === 0) {
          process.stderr.write(`stopped before any cell was evaluated: ${summary.cpuSeconds.toFixed(0)} s CPU; run the same command to continue\n`);
          emit(argv, { summary }, 'no finished cells yet');
          return;
        }
        const { markdown, files } = await bench.writeBenchReport(outDir);
        process.stderr.write(
          `${summary.stopped ? 'stopped early (run the same command to continue)' : 'done'}: ${summary.cpuSeconds.toFixed(0)} s CPU (all threads), ` +
            `${summary.wallSeconds.toFixed(0)} s wall; wrote ${Object.values(files).join(', ')}\n`,
        );
        if (shard) process.stderr.write(`shard ${shard.number}/${shard.count}: the table holds the cells finished so far under ${outDir}; after every shard, run jointshot report ${outDir}\n`);
        emit(argv, { summary, files }, markdown);
      });
    } finally {
      await release();
    }
  },
};

/** A classify bench (whole-class runs, Tables 1-3 / Figure 3): the same lock, interrupt and resume behaviour. */
async function classifyBench(argv: BenchArgs, config: import('../../bench/config.js').BenchConfig, outDir: string): Promise<void> {
  const episodicOnly = (['heads', 'transforms', 'shots', 'evalEpisodes', 'shard', 'valEpisodes', 'episodesPerBatch'] as const).find((k) => argv[k] !== undefined);
  if (episodicOnly !== undefined) throw new UsageError(`--${episodicOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to episodic benches, not to a classify bench (its runs, ensembles and layouts come from the preset or --config: docs/bench.md)`);
  const bench = await import('../../bench/index.js');
  const { registerPreparedDatasets } = await import('../../data/index.js');
  // A seed flag is the last layer: it replaces the seeds the preset or config file gives each run.
  const seeds = argv.seeds !== undefined ? parseSeeds(argv.seeds) : argv.seed !== undefined ? [argv.seed] : undefined;
  if (seeds) config = bench.resolveBenchConfig(config, { runs: config.runs.map((run) => ({ ...run, seeds })) });
  const release = await lockOutputFolder(outDir, `jointshot bench --preset ${argv.preset}`, 'bench');
  try {
    const backend = await startBackend(argv);
    const dataDir = resolveDataDir(argv);
    await registerPreparedDatasets(dataDir);
    const cells = bench.classifyCells(config, outDir);
    process.stderr.write(`bench '${argv.preset}': ${cells.length} whole-class model${cells.length === 1 ? '' : 's'} (${config.datasets.join(', ')} x ${config.runs.map((r) => r.name).join(', ')}), ${config.ensembles.length} ensemble${config.ensembles.length === 1 ? '' : 's'}; output ${outDir}\n`);
    const notes = { stopping: 'saving a checkpoint after this step', stopped: 'stopped after saving the finished cells and a checkpoint; run the same command to continue' };
    await interruptible(notes, async (signal) => {
      const summary = await bench.runClassifyBench({ config, outDir, dataDir, backend: { name: backend.name, threads: backend.threads }, progress: bench.createBenchProgress(process.stderr), signal });
      const { markdown, files, missing } = await bench.writeClassifyBenchReport(outDir, config);
      if (missing.length > 0) process.stderr.write(`rows without results (left out): ${missing.join('; ')}\n`);
      process.stderr.write(
        `${summary.stopped ? 'stopped early (run the same command to continue)' : 'done'}: ${summary.cpuSeconds.toFixed(0)} s CPU (all threads), ${summary.wallSeconds.toFixed(0)} s wall; wrote ${files.join(', ')}\n`,
      );
      emit(argv, { summary, files }, markdown);
    });
  } finally {
    await release();
  }
}

export default benchCommand;
