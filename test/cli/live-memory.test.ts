/**
 * scripts/bench/live-memory.mjs, as docs/robustness.md runs it: a SYN flood
 * held live, the heap and the memory off it per live connection, and what
 * `--report` (ladder segments) and `--merge-state` (what `merge` needs) add.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/paths.js';

const FLOOD = 4000;
const dir = mkdtempSync(path.join(tmpdir(), 'live-memory-'));
const flood = path.join(dir, 'flood.pcap');

test.before(() => {
  const made = spawnSync('node', [path.join(ROOT, 'scripts/bench/make-syn-flood.mjs'), String(FLOOD), flood], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(made.stderr);
});

function measure(...flags: string[]): { live: number; heap: number; offHeap: number } {
  const run = spawnSync('node', ['--expose-gc', path.join(ROOT, 'scripts/bench/live-memory.mjs'), flood, ...flags], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  const m = /^(\d+) live connections: heap \d+ MiB more, (\d+) bytes each \(\+(-?\d+) off-heap\); rss \d+ MiB$/.exec(run.stdout.trim());
  if (!m) throw new Error(`unexpected output: ${run.stdout}`);
  return { live: Number(m[1]), heap: Number(m[2]), offHeap: Number(m[3]) };
}

test('every SYN of a flood is live at the end, at a plausible cost each; the ladder segments and the merge state cost more', (t) => {
  const plain = measure();
  t.is(plain.live, FLOOD);
  t.true(plain.heap > 500 && plain.heap < 20_000, `heap per connection ${plain.heap}`);
  // The flow table's typed arrays, counted once (arrayBuffers is part of external).
  t.true(plain.offHeap >= 0 && plain.offHeap < 2_000, `off-heap per connection ${plain.offHeap}`);
  const report = measure('--report');
  t.true(report.heap > plain.heap, `with --report ${report.heap} against ${plain.heap}`);
  const merge = measure('--merge-state');
  // Each half-open handshake's SYN is kept whole, one packet's worth of doubles, for the merge.
  t.true(merge.offHeap - plain.offHeap >= 300, `with --merge-state ${merge.offHeap} off the heap against ${plain.offHeap}`);
});

test('without --expose-gc it says how to run it', (t) => {
  const run = spawnSync('node', [path.join(ROOT, 'scripts/bench/live-memory.mjs'), flood], { encoding: 'utf8' });
  t.is(run.status, 2);
  t.regex(run.stderr, /usage: node --expose-gc .*--merge-state/);
});
