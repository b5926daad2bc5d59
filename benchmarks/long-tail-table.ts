/**
 * Renders the long-tail study (the SLA paper's Table 6 layout) and the limited-data curve from
 * the folders benchmarks/long-tail-study.sh and benchmarks/limited-data-study.sh write.
 *   usage: npx tsx benchmarks/long-tail-table.ts long-tail DIR        (Markdown to stdout)
 *          npx tsx benchmarks/long-tail-table.ts limited DIR [SVG]    (Markdown to stdout, plot to SVG)
 */
import { collectLimitedData, renderGainPlot, renderLimitedDataTable } from '../src/report/limited-data.js';
import { collectLongTailStudy, renderLongTailTable } from '../src/report/long-tail-table.js';
import { writeFileAtomic } from '../src/util/atomic-file.js';

const [kind, dir, svg] = process.argv.slice(2);
if ((kind !== 'long-tail' && kind !== 'limited') || !dir) {
  process.stderr.write('usage: long-tail-table.ts long-tail DIR | limited DIR [plot.svg]\n');
  process.exit(2);
}
if (kind === 'long-tail') {
  const { columns, results, groups } = await collectLongTailStudy(dir);
  process.stdout.write(renderLongTailTable(columns, results, undefined, groups));
} else {
  const points = await collectLimitedData(dir);
  if (points.length === 0) {
    process.stderr.write(`${dir}: no K with both a baseline and an SDA result yet\n`);
    process.exit(1);
  }
  process.stdout.write(renderLimitedDataTable(points));
  if (svg) await writeFileAtomic(svg, renderGainPlot(points));
}
