/**
 * `jointshot eval-class`: whole-class test accuracy of a model trained with `train --task classify`
 * (or of the ensemble of several): single, aggregated, sd and ten-crop inferences from one embedding
 * pass each, Wilson intervals, per-image correctness in results.json and per-image.csv.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { emit, resolveDataDir, startBackend, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';

interface EvalClassArgs extends GlobalArgs {
  models: string[];
  inference?: string;
  ensemble: boolean;
  batchSize?: number;
  tenCropPadding?: number;
  out: string;
}

const evalClassCommand: CommandModule<GlobalArgs, EvalClassArgs> = {
  command: 'eval-class <models..>',
  describe: 'whole-class test accuracy of a classify model (or an ensemble): single, aggregated, sd, ten-crop',
  builder: withHelp([], (y: Argv<GlobalArgs>) =>
    y
      .positional('models', { type: 'string', array: true, describe: 'model file(s) written by jointshot train --task classify (best.jsm)' })
      .option('inference', { type: 'string', describe: "comma-separated: single, aggregated (sla, sla+sd), sd (sla+sd), ten-crop (default: the objective's read-outs)" })
      .option('ensemble', { type: 'boolean', default: false, describe: 'several models: average their softmax probabilities per inference' })
      .option('batch-size', { type: 'number', describe: 'images per embedding pass before the copies (default 100)' })
      .option('ten-crop-padding', { type: 'number', describe: 'zero padding of the ten-crop views (default: the training crop padding, 4 on 32x32)' })
      .option('out', { type: 'string', demandOption: true, describe: 'folder for results.json, per-image.csv and report.md' })
      .example('$0 eval-class runs/sla/best.jsm --inference single,aggregated --out runs/sla/test', 'SDA+SI and SDA+AG of one model')
      .example('$0 eval-class runs/base-s0/best.jsm runs/base-s1/best.jsm --ensemble --out runs/ens', 'ensemble of two baselines') as unknown as Argv<EvalClassArgs>),
  handler: async (argv) => {
    const inferences = argv.inference?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (argv.batchSize !== undefined && (!Number.isSafeInteger(argv.batchSize) || argv.batchSize < 1)) {
      throw new UsageError(`--batch-size must be a positive integer, found ${argv.batchSize}`);
    }
    const backend = await startBackend(argv);
    const { evaluateWholeClass } = await import('../../eval/classify-run.js');
    const { writeClassificationResults, renderClassificationReport } = await import('../../eval/classify-results.js');
    const { registerPreparedDatasets } = await import('../../data/index.js');
    const dataDir = resolveDataDir(argv);
    await registerPreparedDatasets(dataDir);
    const { results, labels } = await evaluateWholeClass(argv.models, {
      dataDir,
      ...(inferences ? { inferences } : {}),
      ensemble: argv.ensemble,
      ...(argv.batchSize !== undefined ? { batchSize: argv.batchSize } : {}),
      ...(argv.tenCropPadding !== undefined ? { tenCropPadding: argv.tenCropPadding } : {}),
      backend: { name: backend.name, threads: backend.threads },
      onModel: (i, path) => process.stderr.write(`evaluating ${path} (${i + 1}/${argv.models.length})\n`),
    });
    const files = await writeClassificationResults(argv.out, results, labels);
    process.stderr.write(`${results.images} test images in ${results.seconds.toFixed(1)} s; wrote ${files.results}\n`);
    const { inferences: records, ...rest } = results;
    emit(argv, { files, ...rest, inferences: Object.fromEntries(Object.entries(records).map(([n, r]) => [n, { accuracy: r.accuracy, low: r.low, high: r.high }])) }, renderClassificationReport(results));
  },
};

export default evalClassCommand;
