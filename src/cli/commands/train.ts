/**
 * `jointshot train`: episodic training from a preset, a JSON config file and flags (merged in the
 * order defaults < preset < config file < flags); writes config.json, train-log.jsonl, last.jsm
 * (resumable) and best.jsm into --out. Heavy modules are imported inside the handler.
 */
import type { Argv, CommandModule } from 'yargs';
import type { TrainConfig } from '../../train/config.js';
import type { SeedData } from '../../train/seeds.js';
import { UsageError } from '../../errors.js';
import { datasetFor, emit, resolveDataDir, startBackend, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';
import { interruptible } from '../interrupt.js';
import { lockOutputFolder } from '../out-lock.js';
import { checkLongRun, checkResumable } from '../train-guard.js';
import { parseSeeds } from './bench.js';

interface TrainArgs extends Omit<GlobalArgs, 'seed'> {
  init?: string;
  classSplits?: string;
  task?: 'episodic' | 'classify';
  objective?: string;
  batchSize?: number;
  largeLoss?: boolean;
  temperature?: number;
  perClass?: number;
  imbalance?: number;
  imbalanceProfile?: 'exp' | 'step';
  maxPerClass?: number;
  loss?: 'ce' | 'cb' | 'ldam';
  drw?: boolean;
  cbBeta?: number;
  drwEpoch?: number;
  testPerClass?: number;
  holdOutVal?: boolean;
  /** Re-declared without a default, so that a preset's or config file's seed is kept unless given. */
  seed?: number;
  seeds?: string;
  dataset?: string;
  backbone?: string;
  head?: string;
  transform?: string;
  ways?: number;
  shots?: number;
  queries?: number;
  epochs?: number;
  batchesPerEpoch?: number;
  episodesPerBatch?: number;
  labelSmoothing?: number;
  augmentation?: 'recipe' | 'none';
  valEpisodes?: number;
  microBatch?: number;
  checkpointEvery?: number;
  preset?: string;
  config?: string;
  out: string;
  resume: boolean;
  yes?: boolean;
}

/** The flag layer: only flags given on the command line (undefined ones do not override). */
export function flagLayer(argv: TrainArgs): Partial<TrainConfig> {
  const layer: Partial<TrainConfig> = {
    init: argv.init,
    classSplits: argv.classSplits === undefined ? undefined : (argv.classSplits.split(',').map((x) => x.trim()).filter((x) => x !== '') as TrainConfig['classSplits']),
    task: argv.task,
    objective: argv.objective,
    batchSize: argv.batchSize,
    largeLoss: argv.largeLoss,
    temperature: argv.temperature,
    perClass: argv.perClass,
    imbalance: argv.imbalance,
    imbalanceProfile: argv.imbalanceProfile,
    maxPerClass: argv.maxPerClass,
    loss: argv.loss,
    drw: argv.drw,
    cbBeta: argv.cbBeta,
    drwEpoch: argv.drwEpoch,
    testPerClass: argv.testPerClass,
    holdOutVal: argv.holdOutVal,
    dataset: argv.dataset,
    backbone: argv.backbone,
    head: argv.head,
    transform: argv.transform,
    ways: argv.ways,
    shots: argv.shots,
    queries: argv.queries,
    epochs: argv.epochs,
    batchesPerEpoch: argv.batchesPerEpoch,
    episodesPerBatch: argv.episodesPerBatch,
    labelSmoothing: argv.labelSmoothing,
    augmentation: argv.augmentation,
    microBatch: argv.microBatch,
    checkpointEvery: argv.checkpointEvery,
    seed: argv.seed,
  };
  if (argv.valEpisodes !== undefined) layer.validation = { episodes: argv.valEpisodes } as TrainConfig['validation'];
  return layer;
}

function describeRun(config: TrainConfig): string {
  const steps = config.epochs * config.batchesPerEpoch;
  if (config.task === 'classify') {
    return (
      `training ${config.backbone} whole-class on ${config.dataset}: objective ${config.objective} (transform ${config.transform}), ` +
      `${config.epochs} epochs x ${config.batchesPerEpoch} steps of ${config.batchSize} images = ${steps} steps, seed ${config.seed}`
    );
  }
  return (
    `training ${config.backbone} + ${config.head} (transform ${config.transform}) on ${config.dataset}: ` +
    `${config.ways}-way ${config.shots}-shot ${config.queries} queries, ${config.epochs} epochs x ${config.batchesPerEpoch} batches x ` +
    `${config.episodesPerBatch} episodes = ${steps * config.episodesPerBatch} episodes, seed ${config.seed}`
  );
}

const trainCommand: CommandModule<GlobalArgs, TrainArgs> = {
  command: 'train',
  describe: 'train a backbone + head episodically (SGD Nesterov, step schedule, optional SLA label transformation)',
  builder: withHelp([
    ['$0 train --preset quick --out runs/quick', 'a smoke run on synthetic glyphs (minutes on a CPU)'],
    ['$0 train --preset cpu-real --transform rotation --data-dir ~/data --out runs/sla', 'Conv-4 with SLA (rotation) on tiny-imagenet-fs at 32x32 (hours on a CPU)'],
    ['$0 train --preset quick --seeds 0,1,2 --out runs/quick3', 'three seeds in runs/quick3/seed-0, seed-1, seed-2; evaluate them with eval --seeds'],
  ], (y: Argv<GlobalArgs>) =>
    y
      .option('seed', {
        type: 'number',
        default: undefined,
        coerce: (seed: number | undefined) => seed,
        describe: 'seed of the run: episodes, augmentation, validation set, weights (default 0, or the preset/config file value)',
      })
      .option('seeds', {
        type: 'string',
        describe: 'S1,S2,...: one run per seed, each in OUT/seed-<s>/ (as bench --seeds), then a summary over the seeds (OUT/seeds.json); --resume continues unfinished seeds and skips finished ones',
      })
      .option('preset', { type: 'string', describe: 'start from a preset: quick (synthetic smoke run), cpu-real (tiny-imagenet-fs 32x32 episodes), cpu-classify (tiny-imagenet-fs 32x32 whole-class), cpu-imbalanced (its long-tailed runs), paper-cifar (the SLA reference recipe, GPU), paper-imbalanced (the LDAM-DRW CIFAR-LT recipe, GPU)' })
      .option('config', { type: 'string', describe: 'JSON file of training options (see docs/training.md); overrides the preset' })
      .option('task', { type: 'string', choices: ['episodic', 'classify'] as const, describe: 'episodic few-shot training (default) or whole-class classification' })
      .option('init', { type: 'string', describe: 'start from the backbone of this model file (e.g. a whole-class pretrained best.jsm): pretrain, then meta-train' })
      .option('class-splits', { type: 'string', describe: "classify, few-shot datasets: only these splits' classes, e.g. train (pretraining on the base classes)" })
      .option('objective', { type: 'string', describe: 'classify: baseline, da, mt, sla or sla+sd (default baseline)' })
      .option('batch-size', { type: 'number', describe: 'classify: images per step before the copies (default 128)' })
      .option('large-loss', { type: 'boolean', describe: "classify: joint cross-entropy times M (the reference's --with-large-loss)" })
      .option('temperature', { type: 'number', describe: 'classify: self-distillation temperature of sla+sd (default 1)' })
      .option('per-class', { type: 'number', describe: 'classify: keep K seeded training images per class (default all)' })
      .option('imbalance', { type: 'number', describe: 'classify: long-tailed training set with ratio n_max/n_min, e.g. 100 or 10 (default 0: as the data is)' })
      .option('imbalance-profile', { type: 'string', choices: ['exp', 'step'] as const, describe: 'classify: exp (n_max * ratio^(-i/(C-1))) or step (half the classes at n_max/ratio); default exp' })
      .option('max-per-class', { type: 'number', describe: 'classify: n_max of the long-tailed set (default the smallest balanced class)' })
      .option('loss', { type: 'string', choices: ['ce', 'cb', 'ldam'] as const, describe: 'classify: class loss: ce, cb (class-balanced weights, CB-RW) or ldam (margins on a cosine classifier); default ce' })
      .option('drw', { type: 'boolean', describe: 'classify: deferred re-weighting: the class-balanced weights only from the first lr decay (or drwEpoch)' })
      .option('cb-beta', { type: 'number', describe: 'classify: beta of the class-balanced weights (default 0.9999)' })
      .option('drw-epoch', { type: 'number', describe: 'classify: 1-based epoch where --drw switches to the weights (default 0: the first lr decay)' })
      .option('test-per-class', { type: 'number', describe: 'classify, few-shot datasets read whole-class: test images per class (default 50)' })
      .option('hold-out-val', { type: 'boolean', describe: "classify: hold out the dataset's validation set (CIFAR: the SLA reference's 5,000) to pick the best epoch" })
      .option('dataset', { type: 'string', describe: 'dataset name (default synthetic)' })
      .option('backbone', { type: 'string', describe: 'conv4 or resnet12 (default conv4)' })
      .option('head', { type: 'string', describe: 'protonet, ridge or svm (default protonet)' })
      .option('transform', { type: 'string', describe: 'label transformation set: none, rotation, colorperm, ... (default none)' })
      .option('ways', { type: 'number', describe: 'classes per training episode (default 5)' })
      .option('shots', { type: 'number', describe: 'support images per class (default 5)' })
      .option('queries', { type: 'number', describe: 'query images per class (default 6)' })
      .option('epochs', { type: 'number', describe: 'epochs (default 60)' })
      .option('batches-per-epoch', { type: 'number', describe: 'optimizer steps per epoch (default 1000)' })
      .option('episodes-per-batch', { type: 'number', describe: 'episodes per optimizer step (default 8)' })
      .option('label-smoothing', { type: 'number', describe: 'label smoothing of the joint cross-entropy (default 0)' })
      .option('augmentation', { type: 'string', choices: ['recipe', 'none'] as const, describe: 'training augmentation (default recipe)' })
      .option('val-episodes', { type: 'number', describe: 'validation episodes after each epoch, 0 = none' })
      .option('micro-batch', { type: 'number', describe: 'images (with copies) per forward/backward pass; default from the heap budget' })
      .option('checkpoint-every', { type: 'number', describe: 'steps between resumable checkpoints' })
      .option('out', { type: 'string', demandOption: true, describe: 'folder for config.json, train-log.jsonl, last.jsm, best.jsm' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run saved in --out exactly where it stopped' })
      .option('yes', { type: 'boolean', describe: 'start a run estimated at over an hour on a CPU without --preset or --config (e.g. the default 480,000-episode recipe)' }) as unknown as Argv<TrainArgs>),
  handler: async (argv) => {
    const seeds = argv.seeds === undefined ? undefined : parseSeeds(argv.seeds);
    if (seeds && argv.seed !== undefined) throw new UsageError('give --seed S (one run in --out) or --seeds S1,S2,... (one run per seed in OUT/seed-<s>/), not both');
    const { presetConfig, readConfigFile, resolveTrainConfig } = await import('../../train/index.js');
    const layers: Partial<TrainConfig>[] = [];
    if (argv.preset !== undefined) layers.push(presetConfig(argv.preset));
    if (argv.config !== undefined) layers.push(await readConfigFile(argv.config));
    layers.push(flagLayer(argv));
    const config = resolveTrainConfig(...layers);
    const { checkHeadWays } = await import('../../eval/model.js');
    if (config.task === 'episodic') checkHeadWays(config.head, config.ways);
    if (seeds) (await import('../../train/seeds.js')).checkSeedList(seeds);
    if (argv.resume && !seeds) await checkResumable(argv.out, (await import('../../train/trainer.js')).TRAIN_FILES.last);
    else if (!argv.resume) checkLongRun(config, (await import('../../transforms/index.js')).getLabelTransform(config.transform).count, argv);
    const release = await lockOutputFolder(argv.out, `jointshot train --out ${argv.out}`, 'train');
    try {
      await trainWithLock(argv, config, seeds);
    } finally {
      await release();
    }
  },
};

/** The training itself, run while this process holds the lock on --out (two runs never share a folder). */
async function trainWithLock(argv: TrainArgs, config: TrainConfig, seeds: number[] | undefined): Promise<void> {
  const { checkTrainSetup, createProgress, resolveTrainConfig, trainRun } = await import('../../train/index.js');
  const backend = await startBackend(argv);
  const loadData = await dataLoader(argv);
  const first = await loadData(seeds ? resolveTrainConfig(config, { seed: seeds[0]! }) : config);
  checkTrainSetup(config, first.train, first.val, first.data);
  const progress = (c: TrainConfig) => createProgress(process.stderr, Math.max(1, Math.round(c.batchesPerEpoch / 10)));
  const backendInfo = { name: backend.name, threads: backend.threads };
  if (seeds) {
    const { renderSeedsSummary, trainSeeds } = await import('../../train/seeds.js');
    const again = `--resume --out ${argv.out} --seeds ${seeds.join(',')}`;
    const notes = { stopping: 'saving a checkpoint after this step', stopped: `stopped after saving a checkpoint; continue the unfinished seeds with ${again}` };
    await interruptible(notes, async (signal) => {
      const summary = await trainSeeds({
        config,
        seeds,
        outDir: argv.out,
        resume: argv.resume,
        data: loadData,
        signal,
        progress,
        backend: backendInfo,
        onSeed: (seed, state, c) => {
          const what = state === 'done' ? 'finished earlier, skipped' : state === 'partial' ? `resuming: ${describeRun(c)}` : describeRun(c);
          process.stderr.write(`seed ${seed} (${seeds.indexOf(seed) + 1}/${seeds.length}): ${what}\n`);
        },
      });
      emit(argv, summary, renderSeedsSummary(summary));
    });
    return;
  }
  process.stderr.write(`${describeRun(config)}\n`);
  const notes = { stopping: 'saving a checkpoint after this step', stopped: `stopped after saving a checkpoint; continue with --resume --out ${argv.out}` };
  await interruptible(notes, async (signal) => {
    const summary = await trainRun({ config, ...first, outDir: argv.out, resume: argv.resume, signal, progress: progress(config), backend: backendInfo });
    const best = summary.best?.accuracy != null ? `best validation ${summary.best.accuracy.toFixed(2)}% after epoch ${summary.best.epoch}` : 'no validation';
    emit(
      argv,
      summary,
      `${summary.stopped ? 'stopped' : 'finished'} at step ${summary.steps}/${summary.totalSteps} ` +
        `(${summary.trainSeconds.toFixed(1)} s training, ${summary.imagesPerSecond.toFixed(1)} img/s, micro-batch ${summary.microBatch}); ` +
        `${best}; model ${summary.files.best}`,
    );
  });
}

/**
 * The data of a run's config: episodic splits are read once for every seed; whole-class data again
 * when its options change (the seed draws its subsets), keeping only the latest in memory.
 */
async function dataLoader(argv: TrainArgs): Promise<(config: TrainConfig) => Promise<SeedData>> {
  const { loadClassificationData, registerPreparedDatasets } = await import('../../data/index.js');
  const { classificationOptionsOf } = await import('../../train/index.js');
  const dataDir = resolveDataDir(argv);
  await registerPreparedDatasets(dataDir);
  let latest: { key: string; data: Promise<SeedData> } | undefined;
  const load = async (config: TrainConfig): Promise<SeedData> => {
    if (config.task === 'classify') {
      const data = await loadClassificationData(config.dataset, classificationOptionsOf(config, dataDir));
      process.stderr.write(`data: ${data.description}\n`);
      return { data };
    }
    const definition = await datasetFor(argv, config.dataset);
    const train = await definition.load('train', { dataDir });
    return config.validation.episodes > 0 ? { train, val: await definition.load('val', { dataDir }) } : { train };
  };
  return (config) => {
    const key = config.task === 'classify' ? JSON.stringify(classificationOptionsOf(config, dataDir)) : `${config.dataset}/${config.validation.episodes > 0}`;
    if (latest?.key !== key) latest = { key, data: load(config) };
    return latest.data;
  };
}

export default trainCommand;
