/**
 * `merge` of per-file analyses equals one run over all the files: kernel
 * captures cut into files at every packet (so every kind of edge falls on a
 * file boundary: inside a handshake, between a FIN and its ACK, in
 * TIME_WAIT, on a 4-tuple reused in the next file, a connection spanning
 * many files), public captures and rotated kernel captures cut at sizes
 * that cut their connections, given in any order and merged in one go or in
 * a tree. Only fields that name a frame within a file differ. Analyses and
 * merges run in this process (shards in this thread), the command line once.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mergeAnalyses } from '../../src/merge/merge.js';
import { analysisNdjson } from '../helpers/analysis.js';
import type { OutputRecord } from '../../src/records.js';
import { NdjsonEncoder } from '../../src/report/ndjson-encoder.js';
import { contractCheck, runCli } from '../helpers/cli.js';
import { CAPTURES, PUBLIC_CAPTURES } from '../helpers/paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'merge-'));

async function merged(files: string[]): Promise<{ ndjson: Buffer; warnings: string[] }> {
  const parts: Buffer[] = [];
  const encoder = new NdjsonEncoder((bytes) => parts.push(Buffer.from(bytes)));
  const warnings: string[] = [];
  await mergeAnalyses(files, {
    write: (bytes) => { encoder.flush(); parts.push(Buffer.from(bytes)); },
    finding: (r) => encoder.record(r),
    mergeState: (r) => encoder.record(r),
    summary: (r) => encoder.record(r),
  }, (w) => warnings.push(w));
  encoder.flush();
  return { ndjson: Buffer.concat(parts), warnings };
}

/** Records as sorted JSON, without the fields that name a frame within a file (and which file), nor the merge state. */
function comparable(ndjson: Buffer): string[] {
  const out: string[] = [];
  for (const line of ndjson.toString('utf8').trim().split('\n')) {
    const r = JSON.parse(line) as OutputRecord | { type: 'merge_state' };
    if (r.type === 'connection') {
      const { first_frame: _f, last_frame: _l, file: _file, ...rest } = r;
      out.push(JSON.stringify({ ...rest, anomalies: rest.anomalies.map(({ frame: _a, ...a }) => a), transitions: rest.transitions.map(({ frame: _t, ...t }) => t) }));
    } else if (r.type === 'finding') {
      out.push(JSON.stringify({ ...r, examples: r.examples.map(({ first_frame: _f, last_frame: _l, ...e }) => e) }));
    } else if (r.type === 'summary') {
      out.push(JSON.stringify({ ...r, files: [] }));
    }
  }
  return out.sort();
}

/** Cuts a classic pcap into files of `per` records each, as `editcap -c` does, named in their order. */
function cut(file: string, per: number): string[] {
  const b = readFileSync(file);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  const len = (o: number) => (le ? b.readUInt32LE(o + 8) : b.readUInt32BE(o + 8));
  const offsets: number[] = [];
  for (let o = 24; o + 16 <= b.length; o += 16 + len(o)) offsets.push(o);
  const out: string[] = [];
  const base = path.join(dir, `${path.basename(file)}-${per}`);
  for (let i = 0; i * per < offsets.length; i++) {
    const name = `${base}-${String(i).padStart(5, '0')}.pcap`;
    writeFileSync(name, Buffer.concat([b.subarray(0, 24), b.subarray(offsets[i * per]!, offsets[(i + 1) * per] ?? b.length)]));
    out.push(name);
  }
  return out;
}

/** Each file analyzed alone, written beside it as FILE.ndjson: the names, in the files' order. */
async function analysesOf(files: string[]): Promise<string[]> {
  const analyses: string[] = [];
  for (const file of files) {
    writeFileSync(`${file}.ndjson`, await analysisNdjson([file]));
    analyses.push(`${file}.ndjson`);
  }
  return analyses;
}

async function check(t: import('ava').ExecutionContext, files: string[]): Promise<void> {
  const one = comparable(await analysisNdjson(files));
  const analyses = await analysesOf(files);
  // Given in any order: files that begin at the same moment go by name, as they do in one run given them in order.
  const { ndjson, warnings } = await merged([...analyses].reverse());
  t.deepEqual(warnings, []);
  t.deepEqual(comparable(ndjson), one);
}

/** Kernel captures cut at every packet: every edge of every connection falls between two files. */
const EVERY_PACKET = [
  'close-wait-leak', 'simultaneous-close', 'simultaneous-open', 'last-ack-lost-ack', 'half-close-stream', 'accept-queue-overflow',
  'half-open-syn-recv', 'syn-blackhole', 'port-reuse', 'midstream', 'zero-window', 'keepalive-idle', 'ipv6-close-wait',
];

for (const name of EVERY_PACKET) {
  test(`${name}.pcap cut at every packet: merge equals one run`, async (t) => {
    await check(t, cut(path.join(CAPTURES, `${name}.pcap`), 1));
  });
}

/** Larger captures, at sizes that cut their handshakes, closes and TIME_WAITs. */
const SIZES: [string, number[]][] = [
  [path.join(CAPTURES, 'time-wait-storm.pcap'), [151]],
  [path.join(CAPTURES, 'server-time-wait.pcap'), [101]],
  // A new SYN on a 4-tuple the server holds in TIME_WAIT every few milliseconds: continuations and reuses in one file.
  [path.join(CAPTURES, 'port-reuse-storm.pcap'), [17, 100, 333]],
  [path.join(CAPTURES, 'syn-flood.pcap'), [7]],
  [path.join(CAPTURES, 'port-scan.pcap'), [13]],
  [path.join(PUBLIC_CAPTURES, 'zeek-ssh.pcap'), [3]],
  [path.join(PUBLIC_CAPTURES, 'zeek-tcp-retransmit-fast009.pcap'), [5]],
  [path.join(PUBLIC_CAPTURES, 'zeek-http-get-without-fins.pcap'), [2]],
  // The summary's states in one order whatever order the files' counts came in.
  [path.join(CAPTURES, 'data-retries2.pcap'), [7]],
  // Packets earlier than the one before them in their connection, across a file edge: one run counts them.
  [path.join(PUBLIC_CAPTURES, 'tcpdump-sll-timestamp-invalid-micro.pcap'), [2]],
  [path.join(PUBLIC_CAPTURES, 'zeek-ipv6-http-atomic-frag.pcap'), [7]],
  // Files far apart in time: a wait still open at the end is not judged over across the gap, in the counts too.
  [path.join(PUBLIC_CAPTURES, 'zeek-tcp-one-sided-2745.pcap'), [1]],
];

for (const [file, sizes] of SIZES) {
  test(`${path.basename(file)} cut every ${sizes.join(', ')} packets: merge equals one run`, async (t) => {
    for (const per of sizes) await check(t, cut(file, per));
  });
}

test('a SYN one run takes into a lifecycle still open across the edge, followed by a plain handshake, is named in a warning; the rest equals one run', async (t) => {
  // zeek-echo-connections.pcap reuses client ports while the old lifecycles stand open: one run glues the new
  // handshake onto the old lifecycle, and the next file kept nothing of a plain handshake to replay.
  // Its first 24,000 packets, in files of 800, hold such edges.
  const files = cut(path.join(PUBLIC_CAPTURES, 'zeek-echo-connections.pcap'), 800).slice(0, 30);
  const analyses = await analysesOf(files);
  const { ndjson, warnings } = await merged(analyses);
  t.true(warnings.length > 0);
  for (const w of warnings) t.regex(w, /^C\d+ \(\S+ \S+\) goes on in \S+ as C\d+, with a SYN one run takes into the earlier lifecycle .* and then a plain handshake, which its analysis did not keep: the merge cannot replay it/);
  const named = new Set(warnings.flatMap((w) => [...w.matchAll(/\bC(\d+)\b/g)].map((m) => `"id":"C${m[1]}"`)));
  const unnamed = (lines: string[]) => lines.filter((l) => l.startsWith('{"type":"connection"') && ![...named].some((id) => l.includes(id)));
  t.deepEqual(unnamed(comparable(ndjson)), unnamed(comparable(await analysisNdjson(files))));
});

test('merges in a tree (merged analyses merged again) equal one merge and one run', async (t) => {
  const files = cut(path.join(CAPTURES, 'time-wait-storm.pcap'), 400);
  const analyses = await analysesOf(files);
  const halves = [analyses.slice(0, 4), analyses.slice(4)];
  const left = path.join(dir, 'left.ndjson');
  const right = path.join(dir, 'right.ndjson');
  writeFileSync(left, (await merged(halves[0]!)).ndjson);
  writeFileSync(right, (await merged(halves[1]!)).ndjson);
  const tree = await merged([right, left]);
  t.deepEqual(tree.warnings, []);
  t.deepEqual(comparable(tree.ndjson), comparable(await analysisNdjson(files)));
  t.deepEqual(comparable(tree.ndjson), comparable((await merged(analyses)).ndjson));
});

test('merge through the command line: contract-valid output, the ids of one run, exit 2 for what is no analysis', async (t) => {
  const files = cut(path.join(CAPTURES, 'close-wait-leak.pcap'), 30);
  const analyses = files.map((f) => {
    const r = runCli(['analyze', '--format', 'ndjson', f]);
    writeFileSync(`${f}.ndjson`, r.stdout);
    return `${f}.ndjson`;
  });
  const r = runCli(['merge', ...analyses]);
  t.is(r.status, 0, r.stderr);
  const check = contractCheck(r.stdout);
  t.true(check.ok, check.output);
  const ids = (ndjson: string) => ndjson.split('\n').filter((l) => l.startsWith('{"type":"connection"')).map((l) => (JSON.parse(l) as { id: string }).id).sort();
  t.deepEqual(ids(r.stdout), ids(runCli(['analyze', '--format', 'ndjson', ...files]).stdout));
  const notAnalysis = runCli(['merge', files[0]!]);
  t.is(notAnalysis.status, 2);
  t.regex(notAnalysis.stderr, /not an `analyze --format ndjson` output/);
  const missing = runCli(['merge', path.join(dir, 'nothing.ndjson')]);
  t.is(missing.status, 2);
  t.regex(missing.stderr, /nothing\.ndjson: no such file/);
});

test('merge of standard input or a pipe is exit 2 with one line saying to give a file, not an internal name or "cut short"', async (t) => {
  const analysis = path.join(dir, 'leak.ndjson');
  writeFileSync(analysis, runCli(['analyze', '--format', 'ndjson', path.join(CAPTURES, 'close-wait-leak.pcap')]).stdout);
  const stdin = runCli(['merge', '-'], { input: readFileSync(analysis) });
  t.is(stdin.status, 2);
  t.is(stdin.stdout, '');
  t.is(stdin.stderr, 'tcp-lifecycle: merge reads each analysis as a file, its end first: save it to a file and name that, not standard input (-) or a pipe\n');
  const fifo = path.join(dir, 'analysis.fifo');
  spawnSync('mkfifo', [fifo]);
  const piped = runCli(['merge', fifo]);
  t.is(piped.status, 2);
  t.regex(piped.stderr, /^tcp-lifecycle: .*analysis\.fifo: merge reads each analysis as a file, its end first: save it to a file and name that, not standard input \(-\) or a pipe\n$/);
});
