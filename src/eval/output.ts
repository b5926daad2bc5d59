/** Writing evaluation outputs atomically: results JSON and the JSON/Markdown reports. */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReport } from './report.js';
import type { EvalResults } from './results.js';

let writes = 0;

/** Writes `text` to `path` via a temporary file in the same folder and a rename (never half-written). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${writes++}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Files written by `writeEvalOutputs`. */
export interface EvalOutputFiles {
  results: string;
  reportJson: string;
  reportMarkdown: string;
}

/** Writes `results.json`, `report.json` and `report.md` into `dir` (created if needed), each atomically. */
export async function writeEvalOutputs(dir: string, results: EvalResults): Promise<EvalOutputFiles> {
  await mkdir(dir, { recursive: true });
  const files = { results: join(dir, 'results.json'), reportJson: join(dir, 'report.json'), reportMarkdown: join(dir, 'report.md') };
  await writeFileAtomic(files.results, `${JSON.stringify(results, null, 2)}\n`);
  await writeFileAtomic(files.reportJson, renderReport(results, 'json'));
  await writeFileAtomic(files.reportMarkdown, renderReport(results, 'markdown'));
  return files;
}
