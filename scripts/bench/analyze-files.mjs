#!/usr/bin/env node
// node scripts/bench/analyze-files.mjs CAPTURE...
// Analyzes each capture file into CAPTURE.ndjson, one after another in this one
// process, as a `worker` takes its analyze jobs in turn: what each file costs
// once the process is started and its code compiled.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { analyzeFile } = await import(path.join(root, 'dist/distributed/files.js'));
const { DEFAULTS } = await import(path.join(root, 'dist/analyze.js'));
for (const capture of process.argv.slice(2)) await analyzeFile(capture, `${capture}.ndjson`, { ...DEFAULTS });
