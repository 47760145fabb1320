/**
 * End to end on every public capture: our packet and TCP counts equal
 * tshark's (MANIFEST.tsv), every NDJSON line keeps the contract, and damaged
 * files give exit 2 or 3 with a message naming the file, never a crash.
 */
import test from 'ava';
import { runPipeline } from '../../src/analyze.js';
import type { OutputRecord } from '../../src/records.js';
import { cliInProcess, contractCheckRuns, runCli } from '../helpers/cli.js';
import { loadManifest, readsCleanly } from '../helpers/manifest.js';

const rows = loadManifest();

/**
 * Where our connection count differs from tshark's stream count, and why we
 * are right. tshark numbers streams by its own rules: it starts a new stream
 * on any SYN after a RST/FIN and does not reassemble IP fragments into streams
 * the way we count lifecycles.
 */
const STREAM_DIFFERENCES: Record<string, { ours: number; why: string }> = {
  'sv-split-handshake-5whs.pcap': {
    ours: 1,
    why: 'one 4-tuple, one socket pair: SYN, ACK, SYN, SYN-ACK, ACK are one (split) handshake; tshark opens a second stream at the second SYN',
  },
  'sv-frag-rawip6-ipv6-tcp.pcap': { ours: 0, why: 'the only TCP segment is in IPv6 fragments, which we count (counts.ip_fragments) and do not reassemble' },
  'sv-frag-vlan-ipv4-tcp-syn.pcap': { ours: 0, why: 'the only TCP segment (a SYN) is in IPv4 fragments, counted and not reassembled' },
};

/** tshark counts a fragmented TCP segment once, at the frame that completes its reassembly; we count fragments apart. */
const TCP_COUNT_DIFFERENCES: Record<string, { ours: number; why: string }> = {
  'sv-frag-rawip6-ipv6-tcp.pcap': { ours: 0, why: '3 IPv6 fragments of one TCP segment: counted as ip_fragments' },
  'sv-frag-vlan-ipv4-tcp-syn.pcap': { ours: 0, why: '3 IPv4 fragments of one TCP SYN: counted as ip_fragments' },
  'zeek-ipv4-fragmented-4.pcap': { ours: 2, why: '2 whole TCP segments; the fragments of the third are counted as ip_fragments' },
};

async function analyzeAll(file: string): Promise<OutputRecord[]> {
  const records: OutputRecord[] = [];
  await runPipeline([file], {}, (r) => records.push(r));
  return records;
}

/** Every clean capture's records, analyzed once, for its own test and for the contract check of all together. */
const analyses = new Map(rows.filter(readsCleanly).map((row) => [row.file, analyzeAll(row.path)]));

test('every public capture\'s records keep the contract (one run of the contract check over all of them)', async (t) => {
  const outputs = await Promise.all([...analyses.values()].map(async (records) => (await records).map((r) => JSON.stringify(r) + '\n').join('')));
  const verdict = contractCheckRuns(outputs);
  t.true(verdict.ok, verdict.output);
});

for (const row of rows.filter(readsCleanly)) {
  test(`${row.file}: packet and TCP counts equal tshark's, connections match its streams`, async (t) => {
    const records = await analyses.get(row.file)!;
    const summary = records.at(-1);
    if (summary?.type !== 'summary') return t.fail('the last record is not the summary');
    t.is(summary.packets, row.packets, 'packets');
    const tcp = TCP_COUNT_DIFFERENCES[row.file];
    t.is(summary.tcp_packets, tcp?.ours ?? row.tcpPackets, tcp?.why ?? 'TCP packets');
    if (tcp) t.true(summary.counts.ip_fragments! > 0, 'the fragments are counted');
    const expected = STREAM_DIFFERENCES[row.file]?.ours ?? row.tcpStreams;
    t.is(summary.connections, expected, STREAM_DIFFERENCES[row.file]?.why ?? 'connections = tshark streams');
  });
}

const damaged = rows.filter((row) => !readsCleanly(row));
// The built main in this process (one run at a time), and one contract check over what they all emitted.
const damagedRuns = damaged.map((row) => cliInProcess(['analyze', '--format', 'ndjson', row.path]));
for (const [i, row] of damaged.entries()) {
  test(`${row.file}: damaged input exits 2 or 3 naming the file, without a stack trace`, async (t) => {
    const result = await damagedRuns[i]!;
    t.true(result.status === 2 || result.status === 3 || result.status === 0, `exit ${result.status}: ${result.stderr}`);
    t.notRegex(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    if (result.status !== 0) t.true(result.stderr.includes(row.file), result.stderr);
    if (result.status === 3) t.regex(result.stderr, /byte offset \d+/);
  });
}

test('what the damaged captures emitted before the damage keeps the contract', async (t) => {
  const outputs = (await Promise.all(damagedRuns)).map((r) => r.stdout).filter(Boolean);
  t.true(outputs.length > 5);
  const check = contractCheckRuns(outputs);
  t.true(check.ok, check.output);
});

test('a capture corrupt part-way keeps the 18 records before the damage and names byte offset 3695', (t) => {
  const result = runCli(['analyze', '--format', 'ndjson', rows.find((r) => r.file === 'sv-corrupt-reclen-smtp.pcap')!.path]);
  t.is(result.status, 3, result.stderr);
  t.regex(result.stderr, /sv-corrupt-reclen-smtp\.pcap.*byte offset 3695/);
  const summary = JSON.parse(result.stdout.trimEnd().split('\n').at(-1)!);
  t.is(summary.packets, 18);
});

test('a final record cut short is a warning, exit 0, with every complete record analyzed', (t) => {
  const result = runCli(['analyze', '--format', 'ndjson', rows.find((r) => r.file === 'sv-trailing-partial-record-http.pcap')!.path]);
  t.is(result.status, 0, result.stderr);
  t.regex(result.stderr, /warning/);
  const summary = JSON.parse(result.stdout.trimEnd().split('\n').at(-1)!);
  t.is(summary.packets, 2696);
});

test('an empty file and a missing file exit 2 with one line naming the file', (t) => {
  for (const file of [rows.find((r) => r.file === 'libpcap-pcap-empty-file.pcap')!.path, '/nonexistent/capture.pcap']) {
    const result = runCli(['analyze', file]);
    t.is(result.status, 2, result.stderr);
    t.true(result.stderr.includes(file));
    t.is(result.stdout, '');
  }
});
