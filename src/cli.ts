#!/usr/bin/env node
/** tcp-lifecycle's command line (the package's bin): the commands are in cli/. */
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2));
