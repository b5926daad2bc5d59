/** Writing evaluation outputs atomically: results JSON and the JSON/Markdown reports. */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.js';
import { join } from 'node:path';
import { renderReport } from './report.js';
import type { EvalResults } from './results.js';


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
