/** The bench's closing step: every finished result under the output folder as one table and plot. */
import { collectCurves, collectResults } from '../report/collect.js';
import { renderMarkdown } from '../report/render.js';
import { buildTable, type ResultsTable } from '../report/table.js';
import { writeReports, type REPORT_FILES } from '../report/write.js';

/** Builds the table from `outDir` (all shards' cells that are finished) and writes every rendering there. */
export async function writeBenchReport(outDir: string): Promise<{ table: ResultsTable; markdown: string; files: Record<keyof typeof REPORT_FILES, string> }> {
  const table = buildTable(await collectResults([outDir]));
  const files = await writeReports(outDir, table, await collectCurves([outDir]));
  return { table, markdown: renderMarkdown(table), files };
}
