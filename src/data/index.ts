/** Data: the split model, dataset registry, readers per source format, packed cache, downloads. */
import './datasets.js';

export * from './types.js';
export * from './registry.js';
export { IMAGES_PER_CLASS, describeNamedSplit, registerPreparedDatasets } from './datasets.js';
export { CLASS_LISTS, classList } from './class-lists.js';
export {
  CACHE_FORMAT,
  CACHE_VERSION,
  cacheIndexPath,
  datasetCacheDir,
  listPackedSplits,
  loadPackedSplit,
  readCacheIndex,
  sha256File,
  writePackedSplit,
  type CacheIndex,
  type CachedClass,
  type LoadOptions,
  type SplitSource,
} from './cache.js';
export { prepareDataset, PREPARABLE, SOURCE_FORMS, type PrepareOptions } from './prepare.js';
export { readPickle, isNdArray, type NdArray, type PickleValue } from './pickle.js';
export { readTarEntries, DEFAULT_TAR_LIMITS, type TarLimits } from './tar.js';
export { decodeImage, MAX_IMAGE_PIXELS } from './images.js';
export { readCifar100 } from './cifar100.js';
export { downloadFile, md5File, type DownloadOptions, type DownloadResult } from './download.js';
export { CIFAR100_MD5, CIFAR100_URL, CIFAR_ARCHIVES, cifar100ArchivePath, cifarArchivePath, downloadCifar, downloadCifar100, miniImagenetInstructions } from './cifar100-download.js';
export * from './synthetic.js';
export type { ClassificationData, ClassificationOptions, ImbalanceOptions, LabelledImages } from './classification-types.js';
export { loadClassificationData, countRange, DEFAULT_TEST_PER_CLASS } from './classification.js';
export { WHOLE_CLASS_SOURCES } from './sources.js';
export { classCounts } from './class-pool.js';
export { longTailCounts } from './class-subsets.js';
