/**
 * Ctrl-C or SIGTERM with --jobs: the one reader stops, so every shard has
 * seen the same frames, and the records agree with the summary on what was
 * read: the packets of the connections add up to the TCP packets counted,
 * and the records are those one thread makes of the same bytes.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CAPTURES } from '../helpers/paths.js';
import { ndjsonLines, runCli, startCli } from '../helpers/cli.js';

const capture = readFileSync(path.join(CAPTURES, 'time-wait-storm.pcap'));

/** The capture's first `records` records, with its header (a little-endian classic pcap). */
function prefix(records: number): Buffer {
  let at = 24;
  for (let i = 0; i < records; i++) at += 16 + capture.readUInt32LE(at + 8);
  return capture.subarray(0, at);
}

const FRAMES = 500;
const bytes = prefix(FRAMES);
const oneThread = runCli(['analyze', '--format', 'ndjson', '-'], { input: bytes });
const connections = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('{"type":"connection"')).sort();

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal} with --jobs 3 on a live capture: every shard stops at the same frame`, async (t) => {
    const run = startCli(['analyze', '--jobs', '3', '--format', 'ndjson', '--progress', '-']);
    run.child.stdin.write(bytes); // and the pipe stays open, as tcpdump's would
    for (let i = 0; i < 600 && !run.err().includes(`${FRAMES} packets`); i++) await new Promise((r) => setTimeout(r, 50));
    run.child.kill(signal);
    t.is(await run.exit, code, run.err());
    const records = ndjsonLines(run.out());
    const summary = records.at(-1)!;
    t.is(summary.type, 'summary');
    t.is(summary.packets, FRAMES);
    const packets = records.filter((r) => r.type === 'connection').reduce((n, r) => n + (r.packets as number), 0);
    t.is(packets, summary.tcp_packets - summary.counts.duplicate_copies, 'every TCP packet read is in exactly one record');
    t.true((summary.warnings as string[]).some((w) => w.startsWith('interrupted: <stdin> was read up to byte')), summary.warnings.join('; '));
    t.deepEqual(connections(run.out()), connections(oneThread.stdout));
  });
}
