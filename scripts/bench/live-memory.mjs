#!/usr/bin/env node --expose-gc
// Heap per live connection: reads a capture whose connections all stay open (a SYN flood from
// make-syn-flood.mjs), and once the last chunk is read, before the end of the capture reports
// them, collects garbage and divides the heap's growth by the live connections.
// usage: node --expose-gc scripts/bench/live-memory.mjs FLOOD.pcap [--max-live N] [--report] [--merge-state]
//   --report keeps 24 segments per connection, as `report` does for its ladder diagrams;
//   --merge-state gathers what `merge` needs, as `analyze --format ndjson` does.
// Off the heap: Node's `external` (typed arrays' memory, which `arrayBuffers` counts again).
import { statSync } from 'node:fs';
import { runPipelineTo } from '../../dist/analyze.js';

const file = process.argv[2];
const at = process.argv.indexOf('--max-live');
const maxLive = at > 0 ? Number(process.argv[at + 1]) : undefined;
const keepSegments = process.argv.includes('--report') ? 24 : 0;
const mergeState = process.argv.includes('--merge-state');
if (!file || typeof globalThis.gc !== 'function') {
  console.error('usage: node --expose-gc scripts/bench/live-memory.mjs FLOOD.pcap [--max-live N] [--report] [--merge-state]');
  process.exit(2);
}
const total = statSync(file).size;
globalThis.gc();
const before = process.memoryUsage();
let atEnd;
await runPipelineTo(file, {
  maxLive,
  keepSegments,
  findings: false,
  onProgress: (p) => {
    if (p.bytes < total) return;
    globalThis.gc();
    atEnd = { ...process.memoryUsage(), live: p.connections };
  },
}, { connection() {}, finding() {}, summary() {}, ...(mergeState && { mergeState() {} }) });
const perLive = (atEnd.heapUsed - before.heapUsed) / atEnd.live;
console.log(`${atEnd.live} live connections: heap ${((atEnd.heapUsed - before.heapUsed) / 2 ** 20).toFixed(0)} MiB more, ` +
  `${perLive.toFixed(0)} bytes each (+${((atEnd.external - before.external) / atEnd.live).toFixed(0)} off-heap); rss ${(atEnd.rss / 2 ** 20).toFixed(0)} MiB`);
