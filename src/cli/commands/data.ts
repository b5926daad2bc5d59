/** `jointshot data <prepare|download|list|info>`: get datasets into the packed cache and show them. */
import type { Argv, CommandModule } from 'yargs';
import { DataError, UsageError } from '../../errors.js';
import { join } from 'node:path';
import type { CacheIndex } from '../../data/cache.js';
import { PREPARABLE, SOURCE_FORMS } from '../../data/sources.js';
import { SPLIT_NAMES, type SplitName } from '../../data/types.js';
import { emit, resolveDataDir, type GlobalArgs } from '../context.js';

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

interface InfoArgs extends GlobalArgs {
  dataset: string;
  verify: boolean;
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

function summary(index: CacheIndex): string {
  const counts = [...new Set(index.classes.map((c) => c.count))];
  return `${index.dataset}/${index.split}: ${index.classes.length} classes x ${counts.length === 1 ? counts[0] : `${Math.min(...counts)}-${Math.max(...counts)}`} images, ${index.height}x${index.width}x${index.channels}, ${(index.pixelBytes / 1e6).toFixed(1)} MB, sha256 ${index.sha256.slice(0, 16)}`;
}

const prepare: CommandModule<GlobalArgs, PrepareArgs> = {
  command: 'prepare <dataset>',
  describe: 'read a dataset from the files you have and write its packed cache under --data-dir',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('dataset', { type: 'string', choices: Object.keys(PREPARABLE), demandOption: true })
      .option('from', { type: 'string', demandOption: true, normalize: true, describe: 'source archive or folder (see the epilog)' })
      .option('splits', { type: 'string', array: true, describe: 'only these splits (train,val,test)' })
      .option('size', { type: 'number', describe: 'square image size to store (larger images are resized down); default the native size' })
      .option('name', { type: 'string', describe: 'folder: the dataset name to register (default folder)' })
      .option('split-file', { type: 'string', normalize: true, describe: 'folder: JSON {"train":[...],"val":[...],"test":[...]} of class folder names' })
      .option('split-counts', { type: 'string', describe: 'folder: classes for train,val,test drawn with --seed (default 64%,16%,rest)' })
      .epilog(`Sources (--from):\n${Object.entries(SOURCE_FORMS).map(([d, f]) => `  ${d}: ${f}`).join('\n')}`) as unknown as Argv<PrepareArgs>,
  handler: async (argv) => {
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
    emit(argv, indexes, indexes.map(summary).join('\n'));
  },
};

const download: CommandModule<GlobalArgs, DownloadArgs> = {
  command: 'download <dataset>',
  describe: 'download CIFAR-100 (verified, resumable) and prepare cifar-fs and fc100; or show how to get mini-imagenet',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('dataset', { type: 'string', choices: ['cifar-100', 'mini-imagenet'], demandOption: true })
      .option('url', { type: 'string', describe: 'a mirror of the official archive (same md5 unless --md5)' })
      .option('md5', { type: 'string', describe: 'expected md5 of the archive at --url' }) as unknown as Argv<DownloadArgs>,
  handler: async (argv) => {
    const dataDir = resolveDataDir(argv);
    if (argv.dataset === 'mini-imagenet') {
      const { miniImagenetInstructions } = await dataModule();
      emit(argv, { dataset: 'mini-imagenet', instructions: miniImagenetInstructions(dataDir) }, miniImagenetInstructions(dataDir));
      return;
    }
    const { downloadCifar100 } = await dataModule();
    const { archive, prepared } = await downloadCifar100({ dataDir, url: argv.url, md5: argv.md5, onProgress: log });
    emit(argv, { archive, prepared }, prepared.map(summary).join('\n'));
  },
};

const list: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'list',
  describe: 'list the known datasets and what is prepared under --data-dir',
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
  command: 'info <dataset>',
  describe: 'show a prepared dataset: classes, images, size on disk, checksums',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      .positional('dataset', { type: 'string', demandOption: true })
      .option('verify', { type: 'boolean', default: false, describe: 'recompute each pixel file sha256 and compare' }) as unknown as Argv<InfoArgs>,
  handler: async (argv) => {
    const { getDataset, readCacheIndex, registerPreparedDatasets, sha256File } = await dataModule();
    const dataDir = resolveDataDir(argv);
    await registerPreparedDatasets(dataDir);
    const dataset = getDataset(argv.dataset);
    const lines = [`${dataset.name}: ${dataset.description}`];
    const splits: (CacheIndex & { verified?: boolean })[] = [];
    for (const split of SPLIT_NAMES) {
      const index = await readCacheIndex(dataDir, dataset.name, split);
      if (!index) {
        lines.push(`${dataset.name}/${split}: not prepared`);
        continue;
      }
      let verified: boolean | undefined;
      if (argv.verify) verified = (await sha256File(join(dataDir, dataset.name, index.pixelFile)).catch(() => '')) === index.sha256;
      splits.push({ ...index, verified });
      lines.push(`${summary(index)}${verified === undefined ? '' : verified ? ', verified' : ', CHECKSUM MISMATCH'}`);
      lines.push(`  from ${index.source}; classes: ${index.classes.slice(0, 8).map((c) => c.name).join(', ')}${index.classes.length > 8 ? ', ...' : ''}`);
    }
    emit(argv, { dataset: dataset.name, dataDir, splits }, lines.join('\n'));
    if (splits.some((s) => s.verified === false)) throw new DataError(`${dataset.name}: a pixel file does not match its checksum: run jointshot data prepare ${dataset.name} again`);
  },
};

const data: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'data <command>',
  describe: 'datasets: prepare, download, list, info',
  builder: (y) => y.command([prepare, download, list, info] as CommandModule<GlobalArgs, any>[]).demandCommand(1, 'missing data command: prepare, download, list or info'),
  handler: () => undefined,
};

export default data;
