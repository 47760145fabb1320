/** `diff`: two analyses side by side, exit 1 when they differ, as diff(1). */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAPTURES } from '../helpers/paths.js';
import { cli, cliInProcess, ndjsonLines } from '../helpers/cli.js';

const cap = (name: string) => path.join(CAPTURES, name);
const tmp = mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-diff-'));

test('diff names the finding added between two captures, prints the totals and exits 1', async (t) => {
  const r = await cli(['diff', cap('client-close.pcap'), cap('close-wait-leak.pcap')]);
  t.is(r.status, 1, r.stderr);
  t.regex(r.stdout, /finding added\s+close_wait_leak on 10\.77\.0\.2:8080\s+0 -> 5/);
  t.regex(r.stdout, /\n\d+ difference\(s\); 1 -> 8 connections, 22 -> 93 packets, 0 -> 2 findings\n$/);
});

test('diff of an analysis with itself, once as NDJSON, exits 0: no differences', async (t) => {
  const analysis = path.join(tmp, 'leak.ndjson');
  writeFileSync(analysis, (await cli(['analyze', '--format', 'ndjson', cap('close-wait-leak.pcap')])).stdout);
  const r = await cli(['diff', analysis, cap('close-wait-leak.pcap')]);
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /no differences; 8 -> 8 connections/);
});

test('diff --format ndjson: a difference record per row, then the totals', async (t) => {
  const r = await cli(['diff', '--format', 'ndjson', cap('client-close.pcap'), cap('refused.pcap')]);
  t.is(r.status, 1);
  const records = ndjsonLines(r.stdout);
  t.true(records.some((o) => o.type === 'difference' && o.kind === 'finding added'));
  t.like(records.at(-1), { type: 'diff', differences: records.length - 1, old: { connections: 1 }, new: { connections: 1 } });
});

test('diff with a missing file or a directory is exit 2 with one line naming it', async (t) => {
  const [missing, directory] = [await cliInProcess(['diff', cap('client-close.pcap'), 'no-such.pcap']), await cliInProcess(['diff', CAPTURES, cap('client-close.pcap')])];
  t.is(missing.status, 2);
  t.is(missing.stderr, 'tcp-lifecycle: no-such.pcap: no such file\n');
  t.is(directory.status, 2);
  t.regex(directory.stderr, /^tcp-lifecycle: .*captures: is a directory, not a capture file\n$/);
});

test('an NDJSON input of diff is validated like a baseline', async (t) => {
  const bad = path.join(tmp, 'bad.ndjson');
  writeFileSync(bad, '{"type":"connection","id":"C1","client":"10.0.0.1:5000","server":"10.0.0.2:80","client_state":"CLOSED","server_state":"CLOSED","anomalies":null}\n');
  const r = await cliInProcess(['diff', bad, cap('client-close.pcap')]);
  t.is(r.status, 2);
  t.regex(r.stderr, /bad\.ndjson: line 1: connection anomalies is null\n$/);
});

/** close-wait-leak.pcap with its 41st record's length field claiming 2 GiB: damage part-way, at a known offset. */
function damaged(): { file: string; offset: number } {
  const b = Buffer.from(readFileSync(cap('close-wait-leak.pcap')));
  let offset = 24;
  for (let i = 0; i < 40; i++) offset += 16 + b.readUInt32LE(offset + 8);
  b.writeUInt32LE(0x7fffffff, offset + 8);
  const file = path.join(tmp, 'damaged.pcap');
  writeFileSync(file, b);
  return { file, offset };
}

test('diff of a capture damaged part-way names the file and byte offset on stderr and exits 3, after the differences', async (t) => {
  const { file, offset } = damaged();
  for (const args of [[file, cap('close-wait-leak.pcap')], [cap('close-wait-leak.pcap'), file]]) {
    const r = await cli(['diff', ...args]);
    t.is(r.status, 3, r.stderr);
    t.regex(r.stdout, /difference\(s\); /, 'the differences of what was read are written');
    t.true(r.stderr.includes(`damaged.pcap: pcap record claims 2147483647 captured bytes, more than the 262144-byte limit at byte offset ${offset}; results up to there were kept`), r.stderr);
  }
  const unreadable = await cli(['diff', '--max-record', '50', cap('close-wait-leak.pcap'), cap('close-wait-leak.pcap')]);
  t.is(unreadable.status, 3, 'a record over --max-record is damage, not "no differences"');
  t.regex(unreadable.stderr, /close-wait-leak\.pcap: pcap record claims \d+ captured bytes, more than the 50-byte limit at byte offset 24/);
});
