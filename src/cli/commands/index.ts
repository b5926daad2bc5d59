/** Every `jointshot` command, one line each (a CommandModule default-exported from its own file). */
import type { CommandModule } from 'yargs';
import backends from './backends.js';
import bench from './bench.js';
import data from './data.js';
import episodes from './episodes.js';
import evalCommand from './eval.js';
import exportCommand from './export.js';
import evalClass from './eval-class.js';
import importCommand from './import.js';
import report from './report.js';
import train from './train.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commands declare their own option types
export const commands: CommandModule<any, any>[] = [
  backends,
  bench,
  data,
  episodes,
  evalCommand,
  exportCommand,
  evalClass,
  importCommand,
  report,
  train,
];
