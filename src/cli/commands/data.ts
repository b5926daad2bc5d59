/** `jointshot data <prepare|download|list|info>`: get datasets into the packed cache and show them. */
import type { Argv, CommandModule } from 'yargs';
import { DataError, UsageError } from '../../errors.js';
import { join } from 'node:path';
import type { CacheIndex } from '../../data/cache.js';
import { PREPARABLE, SOURCE_FORMS } from '../../data/sources.js';
import { SPLIT_NAMES, type SplitName } from '../../data/types.js';
import { emit, resolveDataDir, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';

/** The data module, loaded when a data command runs (it loads sharp, a native library). */
const dataModule = () => import('../../data/index.js');

interface PrepareArgs extends GlobalArgs {
  dataset: string;
  from: string;
  splits?: string[];
  size?: number;
  name?: string;
  splitFile?: string;
  splitCounts?: string;
}

interface DownloadArgs extends GlobalArgs {
  dataset: string;
  url?: string;
  md5?: string;
}

interface InfoArgs extends GlobalArgs, ClassificationArgs {
  dataset: string;
  verify: boolean;
  classify: boolean;
}

/** The flags that shape a whole-class classification view of a dataset (`data info --classify`, classification training). */
export interface ClassificationArgs {
  perClass?: number;
  imbalance?: number;
  imbalanceProfile?: 'exp' | 'step';
  maxPerClass?: number;
  testPerClass?: number;
  splitSeed?: number;
  holdOutVal?: boolean;
}

/** Adds the classification-view flags to a command. */
export function withClassificationFlags<T>(y: Argv<T>): Argv<T & ClassificationArgs> {
  return y
    .option('per-class', { type: 'number', describe: 'keep K seeded training images per class (limited data)' })
    .option('imbalance', { type: 'number', describe: 'long-tailed training set with this ratio n_max/n_min (e.g. 100); the test set stays balanced' })
    .option('imbalance-profile', { type: 'string', choices: ['exp', 'step'] as const, default: 'exp', describe: 'exp: n_i = n_max * ratio^(-i/(C-1)); step: the second half of the classes get n_max/ratio' })
    .option('max-per-class', { type: 'number', describe: 'n_max of the long tail (default the smallest class of the balanced training set)' })
    .option('test-per-class', { type: 'number', describe: 'few-shot datasets read whole-class: test images per class (default 50)' })
    .option('split-seed', { type: 'number', describe: 'few-shot datasets read whole-class: seed of the per-class train/test split (default 0)' })
    .option('hold-out-val', { type: 'boolean', describe: "hold out the dataset's validation set (CIFAR: the SLA reference code's 5,000 training images; folders: val/)" }) as Argv<T & ClassificationArgs>;
}

/** The loader options of the classification-view flags. */
export function classificationOptions(argv: ClassificationArgs & Pick<GlobalArgs, 'seed' | 'dataDir'>): import('../../data/classification-types.js').ClassificationOptions {
  if (argv.imbalance === undefined && argv.maxPerClass !== undefined) throw new UsageError('--max-per-class sets the long tail n_max: it needs --imbalance');
  return {
    dataDir: resolveDataDir(argv),
    seed: argv.seed ?? 0,
    perClass: argv.perClass,
    testPerClass: argv.testPerClass,
    splitSeed: argv.splitSeed,
    holdOutVal: argv.holdOutVal,
    imbalance: argv.imbalance === undefined ? undefined : { profile: argv.imbalanceProfile ?? 'exp', ratio: argv.imbalance, maxPerClass: argv.maxPerClass },
  };
}

/** `data prepare|download|info` take the dataset as `<dataset>` or, like every other command, `--dataset NAME`. */
function requireDataset(dataset: string | undefined, command: string): asserts dataset is string {
  if (!dataset) throw new UsageError(`missing dataset: jointshot data ${command} <dataset> (or --dataset NAME)`);
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function parseSplits(values: string[] | undefined): SplitName[] | undefined {
  if (!values) return undefined;
  const splits = values.flatMap((v) => v.split(',')).filter(Boolean);
  for (const s of splits) if (!SPLIT_NAMES.includes(s as SplitName)) throw new UsageError(`--splits: '${s}' is not one of ${SPLIT_NAMES.join(', ')}`);
  return splits as SplitName[];
}

function parseCounts(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const counts = text.split(',').map(Number);
  if (counts.length !== 3 || counts.some((c) => !Number.isInteger(c) || c < 0)) throw new UsageError(`--split-counts '${text}' must be three integers: train,val,test`);
  return counts;
}

/** An index without its per-image source order (50,000 numbers for CIFAR), for printing. */
function brief<T extends CacheIndex>(index: T): Omit<T, 'sourceIndex'> {
  const { sourceIndex: _, ...rest } = index;
  return rest;
}

function summary(index: CacheIndex): string {
  const counts = [...new Set(index.classes.map((c) => c.count))];
  return `${index.dataset}/${index.split}: ${index.classes.length} classes x ${counts.length === 1 ? counts[0] : `${Math.min(...counts)}-${Math.max(...counts)}`} images, ${index.height}x${index.width}x${index.channels}, ${(index.pixelBytes / 1e6).toFixed(1)} MB, sha256 ${index.sha256.slice(0, 16)}`;
}

const prepare: CommandModule<GlobalArgs, PrepareArgs> = {
  command: 'prepare [dataset]',
  describe: 'read a dataset from the files you have and write its packed cache under --data-dir',
  builder: withHelp([
    ['$0 data prepare cifar-fs --from cifar-100-python.tar.gz', 'CIFAR-FS from the CIFAR-100 archive'],
    ['$0 data prepare folder --from photos/ --name my-set', 'class folders of images, registered for every command as my-set'],
  ], (y: Argv<GlobalArgs>) =>
    (y as Argv<GlobalArgs>)
      .positional('dataset', { type: 'string', choices: Object.keys(PREPARABLE), describe: 'dataset name (or --dataset NAME, as in every other command)' })
      .option('from', { type: 'string', demandOption: true, normalize: true, describe: 'source archive or folder (see the epilog)' })
      .option('splits', { type: 'string', array: true, describe: 'only these splits (train,val,test)' })
      .option('size', { type: 'number', describe: 'square image size to store (larger images are resized down); default the native size' })
      .option('name', { type: 'string', describe: 'folder: the dataset name to register (default folder)' })
      .option('split-file', { type: 'string', normalize: true, describe: 'folder: JSON {"train":[...],"val":[...],"test":[...]} of class folder names' })
      .option('split-counts', { type: 'string', describe: 'folder: classes for train,val,test drawn with --seed (default 64%,16%,rest)' })
      .epilog(`Sources (--from):\n${Object.entries(SOURCE_FORMS).map(([d, f]) => `  ${d}: ${f}`).join('\n')}`) as unknown as Argv<PrepareArgs>),
  handler: async (argv) => {
    requireDataset(argv.dataset, 'prepare');
    const { prepareDataset } = await dataModule();
    const indexes = await prepareDataset({
      dataset: argv.dataset,
      from: argv.from,
      dataDir: resolveDataDir(argv),
      splits: parseSplits(argv.splits),
      size: argv.size,
      name: argv.name,
      splitFile: argv.splitFile,
      splitCounts: parseCounts(argv.splitCounts),
      seed: argv.seed,
      onProgress: log,
    });
    emit(argv, indexes.map(brief), indexes.map(summary).join('\n'));
  },
};

const download: CommandModule<GlobalArgs, DownloadArgs> = {
  command: 'download [dataset]',
  describe: 'download CIFAR-10 or CIFAR-100 (verified, resumable) and prepare cifar-10, or cifar-fs, fc100 and cifar-100; or show how to get mini-imagenet',
  builder: withHelp([['$0 data download cifar-100', 'download CIFAR-100 (md5-checked, resumable), then prepare cifar-fs and fc100']], (y: Argv<GlobalArgs>) =>
    (y as Argv<GlobalArgs>)
      .positional('dataset', { type: 'string', choices: ['cifar-10', 'cifar-100', 'mini-imagenet'], describe: 'dataset name (or --dataset NAME)' })
      .option('url', { type: 'string', describe: 'a mirror of the official archive (same md5 unless --md5)' })
      .option('md5', { type: 'string', describe: 'expected md5 of the archive at --url' }) as unknown as Argv<DownloadArgs>),
  handler: async (argv) => {
    requireDataset(argv.dataset, 'download');
    const dataDir = resolveDataDir(argv);
    if (argv.dataset === 'mini-imagenet') {
      const { miniImagenetInstructions } = await dataModule();
      emit(argv, { dataset: 'mini-imagenet', instructions: miniImagenetInstructions(dataDir) }, miniImagenetInstructions(dataDir));
      return;
    }
    const { downloadCifar } = await dataModule();
    const { archive, prepared } = await downloadCifar(argv.dataset as 'cifar-10' | 'cifar-100', { dataDir, url: argv.url, md5: argv.md5, onProgress: log });
    emit(argv, { archive, prepared: prepared.map(brief) }, prepared.map(summary).join('\n'));
  },
};

const list: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'list',
  describe: 'list the known datasets and what is prepared under --data-dir',
  builder: withHelp([['$0 data list --data-dir ~/data', 'the known datasets and what is prepared under ~/data']], (y: Argv<GlobalArgs>) => y),
  handler: async (argv) => {
    const { listDatasets, listPackedSplits, registerPreparedDatasets } = await dataModule();
    const dataDir = resolveDataDir(argv);
    await registerPreparedDatasets(dataDir);
    const prepared = await listPackedSplits(dataDir);
    const rows = listDatasets().map((d) => {
      const splits = prepared.filter((p) => p.dataset === d.name);
      const state = splits.length === 0 ? (d.name in PREPARABLE ? 'not prepared' : 'needs no files') : splits.map((s) => `${s.split} ${s.classes.length}x${Math.round(s.images / s.classes.length)}`).join(', ');
      return { name: d.name, description: d.description, prepared: splits.map((s) => s.split), state };
    });
    const nameWidth = Math.max(...rows.map((r) => r.name.length)) + 2;
    const stateWidth = Math.max(...rows.map((r) => r.state.length)) + 2;
    const lines = rows.map((r) => `${r.name.padEnd(nameWidth)}${r.state.padEnd(stateWidth)}${r.description}`);
    emit(argv, { dataDir, datasets: rows }, [`data dir: ${dataDir}`, ...lines].join('\n'));
  },
};

const info: CommandModule<GlobalArgs, InfoArgs> = {
  command: 'info [dataset]',
  describe: 'show a prepared dataset: classes, images, size on disk, checksums',
  builder: withHelp([['$0 data info cifar-fs --verify', 'classes, images and checksums of the prepared CIFAR-FS, re-verified']], (y: Argv<GlobalArgs>) =>
    withClassificationFlags(y as Argv<GlobalArgs>)
      .positional('dataset', { type: 'string', describe: 'dataset name (or --dataset NAME)' })
      .option('verify', { type: 'boolean', default: false, describe: 'recompute each pixel file sha256 and compare' })
      .option('classify', { type: 'boolean', default: false, describe: 'show the whole-class classification view: per-class train/test (val) counts, shaped by the flags below' }) as unknown as Argv<InfoArgs>),
  handler: async (argv) => {
    requireDataset(argv.dataset, 'info');
    if (argv.classify) return classificationInfo(argv);
    const { getDataset, readCacheIndex, registerPreparedDatasets, sha256File } = await dataModule();
    const dataDir = resolveDataDir(argv);
    await registerPreparedDatasets(dataDir);
    const dataset = getDataset(argv.dataset);
    const lines = [`${dataset.name}: ${dataset.description}`];
    const splits: (Omit<CacheIndex, 'sourceIndex'> & { verified?: boolean })[] = [];
    for (const split of SPLIT_NAMES) {
      const index = await readCacheIndex(dataDir, dataset.name, split);
      if (!index) {
        if (split !== 'val' || splits[0]?.layout !== 'classification') lines.push(`${dataset.name}/${split}: not prepared`);
        continue;
      }
      let verified: boolean | undefined;
      if (argv.verify) verified = (await sha256File(join(dataDir, dataset.name, index.pixelFile)).catch(() => '')) === index.sha256;
      splits.push({ ...brief(index), verified });
      lines.push(`${summary(index)}${verified === undefined ? '' : verified ? ', verified' : ', CHECKSUM MISMATCH'}`);
      lines.push(`  from ${index.source}; classes: ${index.classes.slice(0, 8).map((c) => c.name).join(', ')}${index.classes.length > 8 ? ', ...' : ''}`);
    }
    emit(argv, { dataset: dataset.name, dataDir, splits }, lines.join('\n'));
    if (splits.some((s) => s.verified === false)) throw new DataError(`${dataset.name}: a pixel file does not match its checksum: run jointshot data prepare ${dataset.name} again`);
  },
};

/** `data info NAME --classify`: the per-class counts of the classification view. */
async function classificationInfo(argv: InfoArgs): Promise<void> {
  const { classCounts, loadClassificationData } = await dataModule();
  const view = await loadClassificationData(argv.dataset, classificationOptions(argv));
  const sets = { train: view.train, test: view.test, ...(view.val ? { val: view.val } : {}) };
  const counts = Object.fromEntries(Object.entries(sets).map(([k, images]) => [k, classCounts(images, view.classes.length)]));
  const columns = Object.keys(counts);
  const width = Math.max(5, ...view.classes.map((c) => c.length)) + 2;
  const row = (name: string, values: number[]): string => `${name.padEnd(width)}${values.map((v) => String(v).padStart(7)).join('')}`;
  const lines = [
    view.description,
    `${'class'.padEnd(width)}${columns.map((c) => c.padStart(7)).join('')}`,
    ...view.classes.map((name, c) => row(name, columns.map((k) => counts[k]![c]!))),
    row('total', columns.map((k) => counts[k]!.reduce((a, b) => a + b, 0))),
    `test set sha256 ${view.testHash}`,
  ];
  const classes = view.classes.map((name, c) => ({ name, ...Object.fromEntries(columns.map((k) => [k, counts[k]![c]])) }));
  emit(argv, { dataset: view.dataset, description: view.description, testHash: view.testHash, classes }, lines.join('\n'));
}

const data: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'data <command>',
  describe: 'datasets: prepare, download, list, info',
  builder: (y) => y.command([prepare, download, list, info] as CommandModule<GlobalArgs, any>[]).demandCommand(1, 'missing data command: prepare, download, list or info'),
  handler: () => undefined,
};

export default data;
