/** Writing evaluation outputs atomically: results JSON, per-episode CSV and the JSON/Markdown reports. */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic-file.js';
import { join } from 'node:path';
import { currentSoftware } from '../report/provenance.js';
import { renderReport } from './report.js';
import type { EvalResults } from './results.js';

/** Files written by `writeEvalOutputs`. */
export interface EvalOutputFiles {
  results: string;
  episodes: string;
  reportJson: string;
  reportMarkdown: string;
}

/**
 * `episodes.csv`: one line per episode in manifest order (`episode` counts from the slice's first
 * episode, 0-based, as in the manifest), single and aggregated accuracy as fractions.
 */
export function renderEpisodesCsv(results: EvalResults, firstEpisode = 0): string {
  const lines = ['episode,single,aggregated'];
  results.accuracy.single.forEach((v, i) => lines.push(`${firstEpisode + i},${v},${results.accuracy.aggregated[i]}`));
  return `${lines.join('\n')}\n`;
}

/**
 * Writes `results.json` (stamped with this jointshot's version and commit unless already stamped),
 * `episodes.csv`, `report.json` and `report.md` into `dir` (created if needed), each atomically.
 */
export async function writeEvalOutputs(dir: string, unstamped: EvalResults, firstEpisode = 0): Promise<EvalOutputFiles> {
  await mkdir(dir, { recursive: true });
  const results: EvalResults = unstamped.software ? unstamped : { ...unstamped, software: currentSoftware() };
  const files = { results: join(dir, 'results.json'), episodes: join(dir, 'episodes.csv'), reportJson: join(dir, 'report.json'), reportMarkdown: join(dir, 'report.md') };
  await writeFileAtomic(files.results, `${JSON.stringify(results, null, 2)}\n`);
  await writeFileAtomic(files.episodes, renderEpisodesCsv(results, firstEpisode));
  await writeFileAtomic(files.reportJson, renderReport(results, 'json'));
  await writeFileAtomic(files.reportMarkdown, renderReport(results, 'markdown'));
  return files;
}
