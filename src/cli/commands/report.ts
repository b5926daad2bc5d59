/**
 * `jointshot report <dir...>`: renders finished results (one eval, a bench, shards) as the
 * Table-5 layout in Markdown, LaTeX, CSV, JSON or SVG without re-running anything;
 * `jointshot report merge <dir...> --out DIR`: merges the per-episode results of shards into one;
 * `jointshot report compare A B [C...]`: paired tests of runs on the same episodes or test images.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { emit, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';

const FORMATS = ['markdown', 'latex', 'csv', 'json', 'svg'] as const;

interface RenderArgs extends GlobalArgs {
  dirs: string[];
  format: (typeof FORMATS)[number];
  out?: string;
  bold: 'paired-t' | 'none';
  alpha: number;
}

interface CompareArgs extends GlobalArgs {
  runs: string[];
  format: 'markdown' | 'json';
  level: number;
}

interface MergeArgs extends GlobalArgs {
  dirs: string[];
  out: string;
}

const render: CommandModule<GlobalArgs, RenderArgs> = {
  command: '$0 <dirs..>',
  describe: 'render the results found under the folders (shards of one evaluation are merged on the fly)',
  builder: withHelp([['$0 report jointshot-bench/quick', 'the table of a bench folder again (Markdown, LaTeX, CSV, JSON, SVG)']], (y: Argv<GlobalArgs>) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'folders (or results.json files) to search for results' })
      // A default command's positional is not in yargs' array list by itself; the repeated-flag check reads that list.
      .array('dirs')
      .option('format', { type: 'string', choices: FORMATS, default: 'markdown' as const, describe: 'what to print on stdout' })
      .option('out', { type: 'string', describe: 'also write table.md, table.tex, table.csv, table.json and plot.svg into this folder' })
      .option('bold', {
        type: 'string',
        choices: ['paired-t', 'none'] as const,
        default: 'paired-t' as const,
        describe: 'paired-t: bold every cell not significantly below the best of its column (two-sided paired t-test over the shared episodes); none: no bold',
      })
      .option('alpha', { type: 'number', default: 0.05, describe: 'level of the bold test' }) as unknown as Argv<RenderArgs>),
  handler: async (argv) => {
    const classify = argv.dirs.length === 1 ? await classifyBenchConfig(argv.dirs[0]!) : undefined;
    if (classify) {
      // A classify bench folder: its Tables 1-3 / Figure 3 report (Markdown, rewritten in the folder).
      const { writeClassifyBenchReport } = await import('../../bench/classify-report.js');
      const { markdown, files } = await writeClassifyBenchReport(argv.dirs[0]!, classify);
      process.stderr.write(`whole-class bench: wrote ${files.join(', ')}\n`);
      return emit(argv, { files }, markdown);
    }
    const { buildTable, collectCurves, collectResults, renderPlot, renderTable, tableDocument, writeReports } = await import('../../report/index.js');
    const table = buildTable(await collectResults(argv.dirs), { bold: argv.bold, alpha: argv.alpha });
    const curves = await collectCurves(argv.dirs);
    if (argv.out !== undefined) {
      const files = await writeReports(argv.out, table, curves);
      process.stderr.write(`wrote ${Object.values(files).join(', ')}\n`);
    }
    const text = argv.format === 'svg' ? renderPlot(table, curves) : renderTable(table, argv.format);
    // --json prints the same versioned document as --format json.
    emit(argv, tableDocument(table), text);
  },
};

/** The bench config of `dir` when it is a classify bench folder (bench-config.json with task classify). */
async function classifyBenchConfig(dir: string): Promise<import('../../bench/config.js').BenchConfig | undefined> {
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(`${dir}/bench-config.json`, 'utf8').catch(() => undefined);
  const parsed = text === undefined ? undefined : (JSON.parse(text) as { task?: string });
  if (parsed?.task !== 'classify') return undefined;
  const { resolveBenchConfig } = await import('../../bench/config.js');
  return resolveBenchConfig(parsed as import('../../bench/config.js').BenchLayer);
}

const merge: CommandModule<GlobalArgs, MergeArgs> = {
  command: 'merge <dirs..>',
  describe: 'merge the per-episode results of eval/bench shards (--shard i/n) into one results.json with one CI',
  builder: withHelp([['$0 report merge runs/eval-1 runs/eval-2 --out runs/eval', 'one results.json from the shards 1/2 and 2/2 of an evaluation']], (y: Argv<GlobalArgs>) =>
    y
      .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'the shard folders (or a folder holding them)' })
      .option('out', { type: 'string', demandOption: true, describe: 'folder for the merged results.json, report.json and report.md' }) as unknown as Argv<MergeArgs>),
  handler: async (argv) => {
    const { findResults, mergeSlices, coversWholeManifest, stampSlice, writeSliceInfo } = await import('../../report/index.js');
    const { writeEvalOutputs, renderReport } = await import('../../eval/index.js');
    const found = await findResults(argv.dirs);
    const sliced = found.filter((f) => f.info !== null);
    if (sliced.length === 0) throw new UsageError(`no shard results (results.json with slice.json) under ${argv.dirs.join(', ')}`);
    if (sliced.length < found.length) {
      throw new UsageError(`${found.find((f) => f.info === null)!.source} is not a shard (no slice.json); pass only the shards of one evaluation`);
    }
    const merged = mergeSlices(sliced.map((f) => ({ results: f.results, info: f.info!, source: f.source })));
    const files = await writeEvalOutputs(argv.out, stampSlice(merged.results, merged.info), merged.info.start);
    if (!coversWholeManifest(merged.info)) await writeSliceInfo(argv.out, merged.info);
    const range = coversWholeManifest(merged.info) ? 'the whole manifest' : `episodes ${merged.info.start}..${merged.info.end - 1} of ${merged.info.of.count}`;
    process.stderr.write(`merged ${sliced.length} shards (${range}) into ${files.results}\n`);
    emit(argv, { files, results: merged.results.count }, renderReport(merged.results, 'markdown'));
  },
};

const compare: CommandModule<GlobalArgs, CompareArgs> = {
  command: 'compare <runs..>',
  describe: 'paired comparison of runs on the same episodes (t-test, Wilcoxon) or test images (McNemar) against the first; Holm over several',
  builder: withHelp([['$0 report compare runs/plain/eval runs/sla/eval', 'the SLA run against the plain one on the same episodes']], (y: Argv<GlobalArgs>) =>
    y
      .positional('runs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'results.json files or their folders, the baseline first; PATH:single or PATH:aggregated picks the inference of SLA episode results (default aggregated), PATH:NAME the inference of a classification results file',
      })
      .option('format', { type: 'string', choices: ['markdown', 'json'] as const, default: 'markdown' as const, describe: 'what to print on stdout' })
      .option('level', { type: 'number', default: 0.95, describe: 'coverage of the interval of the mean difference' }) as unknown as Argv<CompareArgs>),
  handler: async (argv) => {
    const { compareRuns, readCompareRun, renderComparison } = await import('../../report/compare.js');
    const runs = [];
    for (const spec of argv.runs) runs.push(await readCompareRun(spec));
    const comparison = compareRuns(runs, { level: argv.level });
    const text = argv.format === 'json' ? `${JSON.stringify(comparison, null, 2)}\n` : renderComparison(comparison);
    emit(argv, comparison, text);
  },
};

const report: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'report',
  describe: 'render finished results as a table (Markdown, LaTeX, CSV, JSON) or SVG plot; merge shards; compare runs with paired tests',
  builder: (y) => y.command([merge, compare, render] as CommandModule<GlobalArgs, any>[]),
  handler: () => undefined,
};

export default report;
