/**
 * `--jobs`: the connections split over worker threads give exactly the
 * records one thread gives (in another order), the same findings and the
 * same summary; rotated files named in any order give the lifecycles of the
 * whole capture, a connection cut by a file edge included.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runPipeline, type AnalyzeOptions } from '../../src/analyze.js';
import { runSharded } from '../../src/parallel/sharded.js';
import type { ConnectionRecord, FindingRecord, OutputRecord, SummaryRecord } from '../../src/records.js';
import { CAPTURES, PUBLIC_CAPTURES } from '../helpers/paths.js';
import { contractCheck, runCli } from '../helpers/cli.js';

async function single(inputs: string[], options: AnalyzeOptions = {}) {
  const records: OutputRecord[] = [];
  await runPipeline(inputs, options, (r) => records.push(r));
  return split(records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

async function sharded(inputs: string[], jobs: number, options: AnalyzeOptions = {}, threads = true) {
  let text = '';
  const decoder = new TextDecoder();
  await runSharded(inputs, options, jobs, {
    connections: (bytes) => (text += decoder.decode(bytes)),
    finding: (r) => (text += JSON.stringify(r) + '\n'),
    summary: (r) => (text += JSON.stringify(r) + '\n'),
  }, { threads });
  return split(text);
}

function split(ndjson: string) {
  const lines = ndjson.trim().split('\n');
  const records = lines.map((l) => JSON.parse(l) as OutputRecord);
  return {
    ndjson,
    connections: lines.filter((l) => l.startsWith('{"type":"connection"')).sort(),
    findings: records.filter((r): r is FindingRecord => r.type === 'finding'),
    summary: records.at(-1) as SummaryRecord,
  };
}

const CASES = [
  path.join(CAPTURES, 'time-wait-storm.pcap'),
  path.join(CAPTURES, 'close-wait-leak.pcap'),
  path.join(CAPTURES, 'port-scan.pcap'),
  path.join(CAPTURES, 'syn-flood.pcap'),
  path.join(CAPTURES, 'pcapng-client-close.pcapng'),
  path.join(PUBLIC_CAPTURES, 'zeek-echo-connections.pcap'),
];

/** Worker threads on the largest capture; the others' shards run in this thread (the same messages, no thread to start). */
const IN_THREADS = 'zeek-echo-connections.pcap';

for (const file of CASES) {
  for (const jobs of [2, 3]) {
    const threads = path.basename(file) === IN_THREADS;
    test(`${path.basename(file)}: ${jobs} shards ${threads ? 'in worker threads' : 'in this thread'} give one thread's records, findings and summary`, async (t) => {
      const one = await single([file]);
      const many = await sharded([file], jobs, {}, threads);
      t.true(one.connections.length > 0);
      t.deepEqual(many.connections, one.connections);
      t.deepEqual(many.findings, one.findings);
      t.deepEqual(many.summary, one.summary);
    });
  }
}

test('sharded output is the same from run to run', async (t) => {
  const file = path.join(CAPTURES, 'time-wait-storm.pcap');
  t.is((await sharded([file], 2)).ndjson, (await sharded([file], 2)).ndjson);
});

/** Cuts a little-endian classic pcap into `parts` files of about equal packet counts, as tcpdump -C would. */
function rotate(file: string, parts: number): string[] {
  const b = readFileSync(file);
  const offsets: number[] = [];
  for (let o = 24; o + 16 <= b.length; o += 16 + b.readUInt32LE(o + 8)) offsets.push(o);
  const dir = mkdtempSync(path.join(tmpdir(), 'rotated-'));
  const per = Math.ceil(offsets.length / parts);
  return Array.from({ length: parts }, (_, i) => {
    const start = offsets[i * per]!;
    const end = offsets[(i + 1) * per] ?? b.length;
    const name = path.join(dir, `dump${i === 0 ? '' : i}`);
    writeFileSync(name, Buffer.concat([b.subarray(0, 24), b.subarray(start, end)]));
    return name;
  });
}

/** The record but for where it is in which file: the parts number their frames apart. */
const withoutFile = (lines: string[]) =>
  lines
    .map((l) => {
      const r = JSON.parse(l) as Partial<ConnectionRecord>;
      for (const key of ['file', 'last_file', 'first_frame_in_file', 'last_frame_in_file', 'wireshark_filter'] as const) delete r[key];
      return JSON.stringify(r);
    })
    .sort();

test('rotated files named in any order are one capture: connections cut by a file edge stay one lifecycle', async (t) => {
  const whole = path.join(CAPTURES, 'time-wait-storm.pcap');
  const parts = rotate(whole, 3);
  const reference = await single([whole]);
  for (const order of [parts, [...parts].reverse()]) {
    const one = await single(order);
    t.deepEqual(withoutFile(one.connections), withoutFile(reference.connections));
    t.deepEqual(one.summary.files, parts, 'read in the time order of their first packets');
    t.deepEqual(one.summary.warnings, []);
    const many = await sharded(order, 2);
    t.deepEqual(many.connections, one.connections);
  }
  // The edges did cut connections: some lifecycle began in one file and ended in the next.
  const spanning = reference.connections.map((l) => JSON.parse(l) as ConnectionRecord).filter((c) => {
    const edge = Math.ceil(3000 / 3);
    return c.first_frame <= edge && c.last_frame > edge;
  });
  t.true(spanning.length > 0);
});

test('files that overlap in time are read one after another, with a warning', async (t) => {
  const a = path.join(CAPTURES, 'client-close.pcap');
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-overlap-')), 'client-close-copy.pcap');
  writeFileSync(copy, readFileSync(a)); // a copy, not the same file: that one would be read once
  const { summary } = await single([a, copy]);
  t.true(summary.warnings.some((w) => w.includes('begins before the previous file ends')), summary.warnings.join('; '));
});

test('analyze --jobs 2 through the command line: contract-valid NDJSON from a file or standard input', (t) => {
  const file = path.join(CAPTURES, 'close-wait-leak.pcap');
  const r = runCli(['analyze', '--jobs', '2', '--format', 'ndjson', file]);
  t.is(r.status, 0, r.stderr);
  const check = contractCheck(r.stdout);
  t.true(check.ok, check.output);
  t.regex(r.stdout, /"code":"close_wait_leak"/);
  // One reader: standard input is read once and split like a file.
  const stdin = runCli(['analyze', '--jobs', '2', '--format', 'ndjson', '-'], { input: readFileSync(file) });
  t.is(stdin.status, 0, stdin.stderr);
  const withoutMergeState = r.stdout.split('\n').filter((l) => !l.startsWith('{"type":"merge_state"')).join('\n');
  t.is(stdin.stdout, withoutMergeState.replaceAll(`file":${JSON.stringify(file)}`, 'file":"<stdin>"').replace(JSON.stringify([file]), '["<stdin>"]'), 'the same bytes, but for the merge state, which a live input does not keep');
});
