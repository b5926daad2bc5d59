/**
 * `data download cifar-10|cifar-100`: fetches the official CIFAR python archive (resume + md5),
 * then prepares what is made from it (CIFAR-10: cifar-10; CIFAR-100: cifar-fs, fc100 and
 * cifar-100). Also the mini-ImageNet instructions (it has no lawful public download).
 */
import { join } from 'node:path';
import type { CacheIndex } from './cache.js';
import { downloadFile, type DownloadResult } from './download.js';
import { prepareDataset } from './prepare.js';

/** The official CIFAR-100 archive. */
export const CIFAR100_URL = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz';
/** Its published md5. */
export const CIFAR100_MD5 = 'eb9058c3a382ffc7106e4002c42a8d85';

/** The official python archives (URL and md5 from https://www.cs.toronto.edu/~kriz/cifar.html) and the datasets prepared from each. */
export const CIFAR_ARCHIVES: Readonly<Record<'cifar-10' | 'cifar-100', { url: string; md5: string; prepares: readonly string[] }>> = {
  'cifar-10': { url: 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz', md5: 'c58f30108f718f92721af3b95e74349a', prepares: ['cifar-10'] },
  'cifar-100': { url: CIFAR100_URL, md5: CIFAR100_MD5, prepares: ['cifar-fs', 'fc100', 'cifar-100'] },
};

/** Options of `downloadCifar`; url/md5 override the official ones (mirrors, tests). */
export interface Cifar100DownloadOptions {
  dataDir: string;
  url?: string;
  md5?: string;
  onProgress?: (line: string) => void;
}

/** Where a downloaded archive is kept under the data dir. */
export function cifarArchivePath(dataDir: string, dataset: 'cifar-10' | 'cifar-100'): string {
  return join(dataDir, 'downloads', `${dataset}-python.tar.gz`);
}

/** Where the downloaded CIFAR-100 archive is kept under the data dir. */
export function cifar100ArchivePath(dataDir: string): string {
  return cifarArchivePath(dataDir, 'cifar-100');
}

/** Downloads (or resumes, or reuses) a CIFAR archive and prepares the datasets made from it. */
export async function downloadCifar(dataset: 'cifar-10' | 'cifar-100', options: Cifar100DownloadOptions): Promise<{ archive: DownloadResult; prepared: CacheIndex[] }> {
  const official = CIFAR_ARCHIVES[dataset];
  let lastReport = 0;
  const archive = await downloadFile(options.url ?? official.url, cifarArchivePath(options.dataDir, dataset), {
    md5: options.md5 ?? official.md5,
    onProgress: (bytes, total) => {
      if (bytes - lastReport < 16 * 2 ** 20 && bytes !== total) return;
      lastReport = bytes;
      options.onProgress?.(`downloaded ${(bytes / 2 ** 20).toFixed(0)}${total ? ` of ${(total / 2 ** 20).toFixed(0)}` : ''} MiB`);
    },
  });
  options.onProgress?.(
    archive.alreadyPresent ? `${archive.path} already downloaded, md5 ok` : `${archive.path}: ${archive.bytes} bytes, md5 ok${archive.resumedFrom ? ` (resumed at byte ${archive.resumedFrom})` : ''}`,
  );
  const prepared: CacheIndex[] = [];
  for (const name of official.prepares) {
    prepared.push(...(await prepareDataset({ dataset: name, from: archive.path, dataDir: options.dataDir, onProgress: options.onProgress })));
  }
  return { archive, prepared };
}

/** `downloadCifar('cifar-100', options)`: CIFAR-100, then cifar-fs, fc100 and cifar-100 prepared from it. */
export function downloadCifar100(options: Cifar100DownloadOptions): Promise<{ archive: DownloadResult; prepared: CacheIndex[] }> {
  return downloadCifar('cifar-100', options);
}

/** What to do for mini-ImageNet, which cannot be downloaded lawfully from a public URL. */
export function miniImagenetInstructions(dataDir: string): string {
  return [
    'mini-ImageNet has no lawful public download (its images come from ImageNet, which you must obtain under its terms).',
    'Get ONE of these and run the prepare command shown:',
    '  (1) Ravi & Larochelle layout: a folder with images/ (60,000 JPEGs named like n0153282900000005.jpg, any size >= 84x84;',
    '      larger images are resized to 84x84) and train.csv, val.csv, test.csv (columns filename,label; 38400/9600/12000 rows).',
    '      Make it from your ImageNet copy with the mini-imagenet-tools scripts (yaoyao-liu/mini-imagenet-tools).',
    '        jointshot data prepare mini-imagenet --from /path/to/mini-imagenet',
    '  (2) MetaOptNet pickles: miniImageNet_category_split_train_phase_train.pickle, miniImageNet_category_split_val.pickle,',
    '      miniImageNet_category_split_test.pickle in one folder (as distributed with MetaOptNet).',
    '        jointshot data prepare mini-imagenet --from /path/to/pickle-folder',
    `The packed cache is written to ${join(dataDir, 'mini-imagenet')}; the source files are only read.`,
  ].join('\n');
}
