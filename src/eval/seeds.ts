/**
 * `eval --seeds`: finding the per-seed models of a `train --seeds` run (RUN/seed-<s>/best.jsm) or of
 * a bench cell (CELL/seed-<s>/train/best.jsm), checking they are one method, and checking that an
 * output folder holds no per-seed results of other episodes.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { readResults } from '../report/collect.js';
import { finishedRun } from '../train/run-state.js';
import { seedDir } from '../train/seeds.js';
import { TRAIN_FILES } from '../train/trainer.js';
import { peekModelFile, type ModelFileSummary } from './load-model.js';

/** One seed's trained model. */
export interface SeedModel {
  seed: number;
  /** Its best.jsm. */
  file: string;
}

const SEED_FOLDER = /^seed-(-?\d+)$/;

/** The seeds that have a folder under `dir`, in numeric order. */
export async function seedFolders(dir: string): Promise<number[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && SEED_FOLDER.test(e.name))
    .map((e) => Number(SEED_FOLDER.exec(e.name)![1]))
    .sort((a, b) => a - b);
}

/** The folder holding a seed's run files: `seed-<s>/` (train --seeds) or `seed-<s>/train/` (bench --seeds). */
async function runFolder(seedPath: string): Promise<string> {
  const bench = join(seedPath, 'train');
  return (await stat(join(bench, TRAIN_FILES.config)).catch(() => undefined)) ? bench : seedPath;
}

/**
 * The finished best.jsm of every seed under `runDir`, each checked to be trained with that seed;
 * one-line UsageErrors for a model file given instead of a folder, a missing or unfinished seed.
 */
export async function seedModels(runDir: string, seeds: readonly number[]): Promise<SeedModel[]> {
  const info = await stat(runDir).catch(() => undefined);
  if (!info) throw new UsageError(`--model ${runDir}: no such folder; with --seeds give the --out folder of jointshot train --seeds (holding seed-<s>/best.jsm)`);
  if (!info.isDirectory()) {
    throw new UsageError(`--seeds takes the folder of a train --seeds run (RUN/seed-<s>/best.jsm), but --model ${runDir} is one model file: drop --seeds to evaluate it alone, or give its run's folder`);
  }
  const found = await seedFolders(runDir);
  const models: SeedModel[] = [];
  for (const seed of seeds) {
    if (!found.includes(seed)) {
      const have = found.length > 0 ? `seeds there: ${found.join(', ')}` : 'it holds no seed-<s> folder';
      throw new UsageError(`--seeds ${seeds.join(',')}: ${seedDir(runDir, seed)} does not exist (${have}); train it with jointshot train --seeds ${seed} --out ${runDir}, or leave it out of --seeds`);
    }
    const dir = await runFolder(seedDir(runDir, seed));
    if (!(await finishedRun(dir))) {
      throw new UsageError(`${dir}: the training of seed ${seed} has not finished (no complete ${TRAIN_FILES.summary} and ${TRAIN_FILES.best}); finish it with jointshot train --resume --seeds ... --out ${runDir}`);
    }
    const config = JSON.parse(await readFile(join(dir, TRAIN_FILES.config), 'utf8')) as { seed?: unknown };
    if (config.seed !== seed) throw new UsageError(`${join(dir, TRAIN_FILES.config)} records seed ${String(config.seed)}, not ${seed}: the folder was renamed or copied; rename it back or leave it out of --seeds`);
    models.push({ seed, file: join(dir, TRAIN_FILES.best) });
  }
  return models;
}

const describe = (m: ModelFileSummary) => `${m.kind === 'backbone-checkpoint' ? 'a backbone checkpoint' : `head '${m.head}', transformation '${m.transform}'${m.wholeClass ? ', whole-class' : ''}`}`;

/** One-line UsageError when the seeds' models are not one method (head, transformation, kind); returns their summary. */
export async function checkSameMethod(models: readonly SeedModel[]): Promise<ModelFileSummary> {
  const first = await peekModelFile(models[0]!.file);
  for (const m of models.slice(1)) {
    const other = await peekModelFile(m.file);
    if (describe(other) !== describe(first)) {
      throw new UsageError(`${m.file} (${describe(other)}) is another method than ${models[0]!.file} (${describe(first)}): the seeds of one evaluation must share head and transformation`);
    }
  }
  return first;
}

/**
 * One-line UsageError when `outDir` already holds per-seed results (seed-<s>/results.json) of
 * other episodes than `manifestSha256`: one folder, one manifest, so its table pairs the seeds.
 */
export async function checkSeedOutputs(outDir: string, manifestSha256: string): Promise<void> {
  for (const seed of await seedFolders(outDir)) {
    const file = join(seedDir(outDir, seed), 'results.json');
    if (!(await stat(file).catch(() => undefined))) continue;
    const sha = (await readResults(file)).manifest.sha256;
    if (sha !== manifestSha256) {
      throw new UsageError(
        `${file} was evaluated on other episodes (manifest ${sha.slice(0, 12)}, this run ${manifestSha256.slice(0, 12)}): the seeds of one --out share a manifest; choose another --out or remove ${dirname(file)}`,
      );
    }
  }
}
