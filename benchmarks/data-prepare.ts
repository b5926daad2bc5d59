/**
 * Times `data prepare tiny-imagenet-fs` (55,000 64x64 JPEGs decoded with sharp into the packed
 * cache) and the time to load each split's cache afterwards. Not a test.
 * Usage: npx tsx benchmarks/data-prepare.ts [--from ../shared/data/tiny-imagenet-fs] [--data-dir DIR] [--size N] [--load-only]
 * (default data dir: a fresh temp dir, removed at the end; --load-only times loading an existing cache in --data-dir).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPackedSplit, prepareDataset, SPLIT_NAMES } from '../src/data/index.js';

const { values } = parseArgs({
  options: {
    from: { type: 'string', default: '../shared/data/tiny-imagenet-fs' },
    'data-dir': { type: 'string' },
    size: { type: 'string' },
    'load-only': { type: 'boolean', default: false },
  },
});
const dataDir = values['data-dir'] ?? (await mkdtemp(join(tmpdir(), 'jointshot-bench-')));
const seconds = (t0: bigint): string => (Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2);
/** CPU seconds (user + system, all threads) since `c0`: steadier than wall clock on a shared machine. */
const cpuSeconds = (c0: NodeJS.CpuUsage): string => {
  const used = process.cpuUsage(c0);
  return ((used.user + used.system) / 1e6).toFixed(2);
};

let t0 = process.hrtime.bigint();
let c0 = process.cpuUsage();
if (!values['load-only']) await timePrepare();

async function timePrepare(): Promise<void> {
const indexes = await prepareDataset({
  dataset: 'tiny-imagenet-fs',
  from: values.from!,
  dataDir,
  size: values.size ? Number(values.size) : undefined,
  onProgress: (line) => console.log(`  ${line}`),
});
const images = indexes.reduce((n, i) => n + i.images, 0);
const prepare = seconds(t0);
console.log(`prepare: ${prepare} s wall, ${cpuSeconds(c0)} s CPU for ${images} images (${(images / Number(prepare)).toFixed(0)} images/s)`);
for (const index of indexes) console.log(`  ${index.split}: ${index.classes.length} classes x ${[...new Set(index.classes.map((c) => c.count))].join('/')} images, ${(index.pixelBytes / 1e6).toFixed(1)} MB`);
}

t0 = process.hrtime.bigint();
c0 = process.cpuUsage();
let bytes = 0;
for (const split of SPLIT_NAMES) {
  const s0 = process.hrtime.bigint();
  const sc0 = process.cpuUsage();
  const loaded = await loadPackedSplit(dataDir, 'tiny-imagenet-fs', split);
  bytes += loaded.classes.reduce((n, c) => n + c.count, 0) * loaded.height * loaded.width * loaded.channels;
  console.log(`  load ${split}: ${seconds(s0)} s wall, ${cpuSeconds(sc0)} s CPU`);
}
console.log(`load all splits: ${seconds(t0)} s wall, ${cpuSeconds(c0)} s CPU (${(bytes / 1e6).toFixed(0)} MB)`);
t0 = process.hrtime.bigint();
c0 = process.cpuUsage();
await loadPackedSplit(dataDir, 'tiny-imagenet-fs', 'train', { verify: true });
console.log(`load train with sha256 verification: ${seconds(t0)} s wall, ${cpuSeconds(c0)} s CPU`);
if (!values['data-dir']) await rm(dataDir, { recursive: true, force: true });
