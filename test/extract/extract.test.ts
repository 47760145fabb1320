/**
 * `extract` writes exactly the chosen lifecycles' packets: on every kernel
 * and public capture, each connection's frames come out byte for byte as
 * they are in the input (the same headers, link type and timestamps), and
 * nothing else; Wireshark reads the files; and the command line refuses
 * what it cannot do without writing anything.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPipelineTo } from '../../src/analyze.js';
import { readCapture } from '../../src/capture/source.js';
import { extract } from '../../src/extract/extract.js';
import { CAPTURES, PUBLIC_CAPTURES, ROOT } from '../helpers/paths.js';
import { cliInProcess, runCli } from '../helpers/cli.js';

const captures = (dir: string) => readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(dir, f));
const FILES = [...captures(CAPTURES), ...captures(PUBLIC_CAPTURES), path.join(ROOT, 'test/fixtures/decode/bridge-any-copies.pcap'), path.join(ROOT, 'test/fixtures/capture/two-sections.pcapng')];
const dir = mkdtempSync(path.join(os.tmpdir(), 'extract-'));
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Every record of the input as it is: the headers, and each packet with the lifecycle that took it (0: none). */
async function recordsOf(file: string): Promise<{ headers: string[]; packets: { owner: number; bytes: string }[]; ids: number[] } | undefined> {
  const headers: string[] = [];
  const packets: { owner: number; bytes: string }[] = [];
  const ids: number[] = [];
  let owner = 0;
  try {
    await runPipelineTo([file], {
      onTcpPacket: (_frame, id) => (owner = id),
      onRecord: (bytes, packet) => {
        if (packet) packets.push({ owner, bytes: hex(bytes) });
        else headers.push(hex(bytes));
        owner = 0;
      },
    }, { connection: (c) => ids.push(c.first_frame), finding: () => {}, summary: () => {} });
  } catch {
    return undefined;
  }
  return { headers, packets, ids };
}

/** The records of a file we wrote, read back. */
async function readBack(file: string): Promise<{ headers: string[]; packets: string[] }> {
  const headers: string[] = [];
  const packets: string[] = [];
  await readCapture(file, file, () => {}, { onRecord: (bytes, packet) => (packet ? packets : headers).push(hex(bytes)) });
  return { headers, packets };
}

for (const file of FILES) {
  test(`${path.basename(file)}: every connection extracted is exactly its packets, as they are in the input`, async (t) => {
    const original = await recordsOf(file);
    if (!original || original.ids.length === 0) return t.pass('no connection');
    // Every other connection, then the rest: each connection is checked once, and beside others.
    const ordered = [...original.ids].sort((a, b) => a - b);
    for (const half of [ordered.filter((_, i) => i % 2 === 0), ordered.filter((_, i) => i % 2 === 1)]) {
      if (half.length === 0) continue;
      const out = path.join(dir, `${path.basename(file)}.${half[0]}${path.extname(file)}`);
      const result = await extract([file], {}, { connections: half.map((id) => `C${id}`) }, out);
      const wanted = new Set(half);
      const expected = original.packets.filter((p) => wanted.has(p.owner)).map((p) => p.bytes);
      const written = await readBack(out);
      t.is(result.connections, half.length);
      t.is(written.packets.length, expected.length, 'as many packets as the connections have');
      t.true(written.packets.every((p, i) => p === expected[i]), 'each packet byte for byte, in order');
      t.deepEqual(written.headers, original.headers, 'the same headers: format, link type, interfaces, precision');
    }
  });
}

test('Wireshark reads what extract writes: pcap, nanosecond pcap, pcapng of two sections, pcapng of two interfaces', async (t) => {
  for (const [file, ext] of [
    [path.join(CAPTURES, 'close-wait-leak.pcap'), '.pcap'],
    [path.join(PUBLIC_CAPTURES, 'tcpdump-sll-nano-tcp-handshake.pcap'), '.pcap'],
    [path.join(ROOT, 'test/fixtures/capture/two-sections.pcapng'), '.pcapng'],
    [path.join(ROOT, 'test/fixtures/capture/two-interfaces.pcapng'), '.pcapng'],
  ] as const) {
    const original = (await recordsOf(file))!;
    const out = path.join(dir, `tshark-${path.basename(file)}${ext}`);
    const result = await extract([file], {}, { connections: original.ids.map((id) => `C${id}`) }, out);
    const frames = execFileSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    const times = execFileSync('tshark', ['-r', file, '-Y', 'tcp', '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
    t.is(frames.length, result.packets, path.basename(file));
    t.true(frames.every((f) => times.includes(f)), 'the original timestamps, to the digit');
  }
});

test('extract --finding CODE writes every connection of the findings, through the command line; the same from standard input by id', (t) => {
  const capture = path.join(CAPTURES, 'close-wait-leak.pcap');
  const out = path.join(dir, 'leak.pcap');
  const r = runCli(['extract', '--finding', 'close_wait_leak', '-o', out, capture]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '');
  t.regex(r.stderr, /45 packets of 5 connection\(s\)/);
  const again = runCli(['analyze', '--format', 'ndjson', out]);
  const connections = again.stdout.split('\n').filter((l) => l.includes('"type":"connection"')).map((l) => JSON.parse(l) as { client_state: string; server_state: string });
  t.is(connections.length, 5);
  t.true(connections.every((c) => c.client_state === 'FIN_WAIT2' && c.server_state === 'CLOSE_WAIT'));
  const byId = path.join(dir, 'stdin.pcap');
  const stdin = runCli(['extract', '--connection', 'C9', '--connection', 'C40', '-o', byId, '-'], { input: readFileSync(capture) });
  t.is(stdin.status, 0, stdin.stderr);
  t.regex(stdin.stderr, /18 packets of 2 connection\(s\)/);
});

test('extract refuses what it cannot do, with one line, exit 2, and OUT left as it was', async (t) => {
  const capture = path.join(CAPTURES, 'close-wait-leak.pcap');
  const out = path.join(dir, 'kept.pcap');
  writeFileSync(out, 'before');
  const cases: [string[], RegExp][] = [
    [['extract', '-o', out, capture], /--connection ID, or a finding with --finding CODE/],
    [['extract', '--connection', 'C9', '--finding', 'syn_flood', '-o', out, capture], /one of the two/],
    [['extract', '--connection', '9', '-o', out, capture], /--connection 9: not a connection id/],
    [['extract', '--connection', 'C10', '-o', out, capture], /no connection C10 in the capture/],
    [['extract', '--finding', 'syn_flood', '-o', out, capture], /no syn_flood finding in the capture/],
    [['extract', '--finding', 'close_wait_leak', '-o', out, '-'], /reads the captures twice/],
    [['extract', '--connection', 'C9', '-o', path.join(dir, 'no', 'such', 'dir.pcap'), capture], /cannot write/],
    [['extract', '--connection', 'C9', '-o', out, capture, path.join(CAPTURES, 'pcapng-client-close.pcapng')], /mix pcap and pcapng/],
  ];
  for (const [args, message] of cases) {
    const r = await cliInProcess(args);
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message);
    t.is(r.stderr.trim().split('\n').length, 1, 'one line');
    t.is(readFileSync(out, 'utf8'), 'before', 'OUT untouched');
  }
  t.false(readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temporary file left');
  t.false(existsSync(path.join(dir, 'no')));
});

test('extract --finding from a pipe or FIFO named as a file is refused as standard input is, not read twice into "empty file"', (t) => {
  const capture = path.join(CAPTURES, 'close-wait-leak.pcap');
  const out = path.join(dir, 'piped.pcap');
  // bash's process substitution, as a user types it: the capture reaches extract as /dev/fd/N, a pipe.
  let status = 0;
  let stderr = '';
  try {
    execFileSync('bash', ['-c', `node ${JSON.stringify(path.join(ROOT, 'dist/cli.js'))} extract --finding close_wait_leak -o ${JSON.stringify(out)} <(cat ${JSON.stringify(capture)})`], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    status = (error as { status: number }).status;
    stderr = String((error as { stderr: Buffer }).stderr);
  }
  t.is(status, 2, stderr);
  t.regex(stderr, /^tcp-lifecycle: \/dev\/fd\/\d+: --finding reads the captures twice \(the first time to find the finding's connections\): name files, not standard input or a pipe\n$/);
  t.false(existsSync(out));
});
