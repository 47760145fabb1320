/**
 * The report leads from each finding to its evidence: every example of every
 * finding is drawn, nothing under a threshold goes unsaid, the table is the
 * records', names from outside cannot break the Markdown, and no time breaks
 * a rendering.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { ConnectionRecord } from '../../src/records.js';
import { reportModel } from '../../src/report/commands.js';
import { isoTime, mdCode, clockTime } from '../../src/report/format.js';
import { ladderText } from '../../src/report/ladder.js';
import { renderMarkdown, renderText } from '../../src/report/render-text.js';
import { CAPTURES, CLI, PUBLIC_CAPTURES } from '../helpers/paths.js';
import { runCli } from '../helpers/cli.js';

const kernel = readdirSync(CAPTURES).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(CAPTURES, f));

test('every example of every finding is drawn as a ladder, time_wait_storm and syn_flood included, on every kernel capture', async (t) => {
  let findings = 0;
  for (const file of kernel) {
    const model = await reportModel([file], {});
    const drawn = new Set(model.ladders.map((c) => c.id));
    for (const f of model.findings) {
      findings++;
      for (const e of f.examples) t.true(drawn.has(e.id), `${path.basename(file)}: ${f.code} example ${e.id} drawn`);
    }
    t.deepEqual(model.notKept, []);
  }
  t.true(findings >= 10, `${findings} findings`);
  const storm = await reportModel([path.join(CAPTURES, 'time-wait-storm.pcap')], {});
  t.is(storm.findings[0]?.code, 'time_wait_storm');
  t.is(storm.ladders.length, 5, 'the five examples of the storm');
});

test('nothing silent: 200 unanswered SYNs that made no finding are said to be seen, under --stuck-after', async (t) => {
  const model = await reportModel([path.join(PUBLIC_CAPTURES, 'sv-syn-flood-200.pcap')], {});
  t.is(model.findings.length, 0);
  const text = renderText(model, false);
  t.regex(text, /none reached its threshold/);
  t.regex(text, /200 endpoints in SYN_SENT toward 198\.51\.100\.5:443 at the end of the capture, for less than --stuck-after \(10 s\)/);
  // Under a finding's threshold: three TIME_WAITs of one client are no storm, but are seen.
  const leak = renderText(await reportModel([path.join(CAPTURES, 'close-wait-leak.pcap')], {}), false);
  t.regex(leak, /`time_wait_storm` on 10\.77\.0\.1: .*under the finding's threshold of 100 connections/);
});

test('the connection table is the records: ordered by first frame, with duration, RTT, packets and bytes per direction', async (t) => {
  const file = path.join(CAPTURES, 'close-wait-leak.pcap');
  const records: ConnectionRecord[] = [];
  await runPipeline([file], {}, (r) => { if (r.type === 'connection') records.push(r); });
  const model = await reportModel([file], {});
  t.deepEqual(model.table.map((r) => r.id), records.map((r) => r.id).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))));
  for (const row of model.table) {
    const r = records.find((c) => c.id === row.id)!;
    t.deepEqual([row.duration, row.handshake_rtt, row.client_packets, row.server_packets, row.orig_bytes, row.resp_bytes, row.conn_state], [r.duration, r.handshake_rtt, r.client_packets, r.server_packets, r.orig_bytes, r.resp_bytes, r.conn_state]);
  }
});

test('a ladder has a time column and says how long each side held its last state after the last packet', async (t) => {
  const model = await reportModel([path.join(CAPTURES, 'close-wait-leak.pcap')], {});
  const c = model.ladders[0]!;
  const text = ladderText(c, model.summary.last_ts);
  t.regex(text, /^\s+\+0\.000000 SYN_SENT/m);
  t.regex(text, /the capture ends 27\.\d s after the last packet: client FIN_WAIT2 for 27\.\d s, server CLOSE_WAIT for 27\.\d s/);
});

test('Markdown: a file name cannot end its code span and inject HTML', (t) => {
  t.is(mdCode('a`b'), '``a`b``');
  t.is(mdCode('`x'), '`` `x ``');
  t.is(mdCode('x\n<script>'), '`x\\n<script>`', 'on one line: a newline could start an HTML block');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'md-name-'));
  const name = path.join(dir, 'leak`<img src=x onerror=alert(1)>` ``.pcap');
  copyFileSync(path.join(CAPTURES, 'close-wait-leak.pcap'), name);
  const md = runCli(['report', '--format', 'md', name]);
  t.is(md.status, 0, md.stderr);
  const line = md.stdout.split('\n').find((l) => l.startsWith('Capture '))!;
  t.true(line.startsWith('Capture ```'), 'a fence longer than any run of backticks in the name');
  const span = line.slice('Capture '.length, line.indexOf('```:') + 3);
  t.true(span.endsWith('```') && span.slice(3, -3).includes('<img'), `the whole name inside one code span: ${span}`);
  t.notRegex(line.slice(line.indexOf('```:') + 3), /<img/, 'nothing of the name after the span');
});

test('times no calendar holds are written as seconds, never a crash', (t) => {
  t.is(isoTime(1e15), '1000000000000000 s after 1970 (beyond the calendar)');
  t.notThrows(() => clockTime(1e15, 10));
  const c = {
    type: 'connection', id: 'C1', client: '10.0.0.1:1', server: '10.0.0.2:2', first_ts: 1e15, last_ts: 1e15 + 1, packets: 1, segments: [],
    transitions: [{ ts: 1e15, side: 'client', from: 'CLOSED', to: 'SYN_SENT', cause: 'sent SYN', frame: 1 }], client_state: 'SYN_SENT', server_state: 'CLOSED',
  } as unknown as ConnectionRecord;
  t.notThrows(() => ladderText(c, 1e15 + 2));
});

test('report -o FILE writes the file whole and nothing to standard output; a file that cannot be written is exit 2 naming it', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'report-o-'));
  const file = path.join(dir, 'r.md');
  const r = runCli(['report', '--format', 'md', '-o', file, path.join(CAPTURES, 'close-wait-leak.pcap')]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '');
  t.deepEqual(readdirSync(dir), ['r.md'], 'no temporary file left');
  const bad = runCli(['report', '-o', path.join(dir, 'missing', 'r.txt'), path.join(CAPTURES, 'close-wait-leak.pcap')]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /missing\/r\.txt: cannot write/);
  t.is(bad.stdout, '');
});

test('Markdown report: every example links to its ladder heading', async (t) => {
  const md = renderMarkdown(await reportModel([path.join(CAPTURES, 'close-wait-leak.pcap')], {}));
  t.regex(md, /Examples: \[C9\]\(#c9\)/);
  t.regex(md, /^### C9$/m);
  t.regex(md, /Wireshark: `\(ip\.src==/);
});

test('a full disk is exit 2 with a message: report -o leaves no file, and standard output on a full device is no silent truncation', (t) => {
  const capture = path.join(CAPTURES, 'time-wait-storm.pcap');
  const full = openSync('/dev/full', 'w');
  const out = spawnSync(process.execPath, [CLI, 'report', '--format', 'html', capture], { stdio: ['ignore', full, 'pipe'], encoding: 'utf8' });
  closeSync(full);
  t.is(out.status, 2);
  t.regex(out.stderr, /cannot write output: ENOSPC/);
  // A filesystem of 64 KiB, too small for the 200 KB report: only where this process may mount one.
  const tiny = mkdtempSync(path.join(os.tmpdir(), 'tiny-'));
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', tiny]).status !== 0) return t.pass('no tmpfs can be mounted here: the -o half is not run');
  try {
    const r = runCli(['report', '--format', 'html', '-o', path.join(tiny, 'r.html'), capture]);
    t.is(r.status, 2);
    t.regex(r.stderr, /r\.html: cannot write: no space left on the device \(ENOSPC\); nothing was written to it/);
    t.deepEqual(readdirSync(tiny), [], 'neither the file nor its temporary');
  } finally {
    spawnSync('umount', [tiny]);
  }
});

test('-o to a device or through a link writes to it, never replacing it: /dev/full is a full disk and stays a device; /dev/null takes the report; a link keeps pointing at its file, which gets the report', (t) => {
  const capture = path.join(CAPTURES, 'close-wait-leak.pcap');
  const full = runCli(['report', '-o', '/dev/full', capture]);
  t.is(full.status, 2);
  t.regex(full.stderr, /\/dev\/full: cannot write: no space left on the device \(ENOSPC\)/);
  t.true(statSync('/dev/full').isCharacterDevice(), '/dev/full is still the device');
  const nothing = runCli(['report', '-o', '/dev/null', capture]);
  t.is(nothing.status, 0, nothing.stderr);
  t.true(statSync('/dev/null').isCharacterDevice(), '/dev/null is still the device');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'report-link-'));
  const file = path.join(dir, 'report.md');
  writeFileSync(file, 'old');
  symlinkSync(file, path.join(dir, 'latest.md'));
  const linked = runCli(['report', '--format', 'md', '-o', path.join(dir, 'latest.md'), capture]);
  t.is(linked.status, 0, linked.stderr);
  t.is(readlinkSync(path.join(dir, 'latest.md')), file, 'the link is kept');
  t.regex(readFileSync(file, 'utf8'), /^# TCP lifecycle report/);
  t.deepEqual(readdirSync(dir).sort(), ['latest.md', 'report.md'], 'no temporary file left');
});
