#!/usr/bin/env node
/** The `jointshot` executable. */
import { hideBin } from 'yargs/helpers';
import { runCli } from './run.js';

// Exit explicitly: a threaded wasm backend keeps worker threads alive after the command is done.
process.exit(await runCli(hideBin(process.argv)));
