/** `jointshot backends`: which TensorFlow.js backends are installed here and which one is chosen. */
import type { Argv, CommandModule } from 'yargs';
import { describeBackend, emit, startBackend, type GlobalArgs } from '../context.js';
import { withHelp } from '../help.js';

const backends: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'backends',
  describe: 'list the TensorFlow.js backends installed here and the one jointshot would use',
  builder: withHelp([['$0 backends --json', 'each backend, installed or not, and the one chosen, as JSON']], (y: Argv<GlobalArgs>) => y),
  handler: async (argv) => {
    const { probeBackends } = await import('../../backend/select.js');
    const probes = await probeBackends();
    const chosen = await startBackend(argv);
    const lines = probes.map((p) => `${p.name.padEnd(11)}${p.available ? 'installed' : 'not installed'}  ${p.detail}`);
    lines.push(`chosen: ${describeBackend(chosen)}`);
    emit(argv, { backends: probes, chosen }, lines.join('\n'));
  },
};

export default backends;
