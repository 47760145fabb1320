/** The command line as users meet it, on the project's kernel-made captures. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CAPTURES, ROOT } from '../helpers/paths.js';
import { analysisNdjson } from '../helpers/analysis.js';
import { cli, contractCheck, contractCheckRuns, inTurns, ndjsonLines } from '../helpers/cli.js';

const cap = (name: string) => path.join(CAPTURES, name);

test('analyze --stuck-after 2 on the CLOSE_WAIT scenario: server CLOSE_WAIT with close_wait_stuck, client FIN_WAIT2 with fin_wait2_stuck', async (t) => {
  const r = await cli(['analyze', '--stuck-after', '2', '--format', 'ndjson', cap('close-wait-leak.pcap')]);
  t.is(r.status, 0, r.stderr);
  t.true(contractCheck(r.stdout).ok);
  const leaks = ndjsonLines(r.stdout).filter((o) => o.type === 'connection' && o.server.endsWith(':8080'));
  t.is(leaks.length, 5);
  for (const c of leaks) {
    t.is(c.server_state, 'CLOSE_WAIT');
    t.is(c.client_state, 'FIN_WAIT2');
    t.truthy(c.anomalies.find((a: any) => a.code === 'close_wait_stuck' && a.side === 'server'));
    t.truthy(c.anomalies.find((a: any) => a.code === 'fin_wait2_stuck' && a.side === 'client'));
  }
});

/** A capture of each kind the command line reads: pcap, pcapng, Linux cooked v2, 802.1Q over a relay, IPv6. */
const THROUGH_THE_COMMAND_LINE = ['close-wait-leak.pcap', 'pcapng-client-close.pcapng', 'any-sll2.pcap', 'ipv6-relay-vlan.pcap'];

test('every kernel-made capture gives NDJSON that keeps the contract: a few through the command line, byte for byte what analyze writes in this process, and every one in this process', async (t) => {
  const scenarios = JSON.parse(readFileSync(cap('scenarios.json'), 'utf8')) as { file: string }[];
  const runs = await inTurns(THROUGH_THE_COMMAND_LINE, 2, (file) => cli(['analyze', '--format', 'ndjson', cap(file)]));
  for (const [i, r] of runs.entries()) {
    t.is(r.status, 0, `${THROUGH_THE_COMMAND_LINE[i]}: ${r.stderr}`);
    t.is(r.stdout, (await analysisNdjson([cap(THROUGH_THE_COMMAND_LINE[i]!)])).toString('utf8'), `${THROUGH_THE_COMMAND_LINE[i]}: the command line writes what the pipeline makes`);
  }
  const outputs = await Promise.all(scenarios.map(async (s) => (await analysisNdjson([cap(s.file)])).toString('utf8')));
  const verdict = contractCheckRuns(outputs);
  t.true(verdict.ok, verdict.output);
});


test('a capture on standard input gives the same records as the file', async (t) => {
  const [fromFile, fromStdin] = await Promise.all([
    cli(['analyze', '--format', 'ndjson', cap('time-wait-storm.pcap')]),
    cli(['analyze', '--format', 'ndjson', '-'], { input: readFileSync(cap('time-wait-storm.pcap')) }),
  ]);
  t.is(fromStdin.status, 0, fromStdin.stderr);
  // The merge state is kept for files (merge joins analyses of files), not for a live input.
  const strip = (text: string) => ndjsonLines(text).filter((o) => o.type !== 'merge_state').map((o) => ({ ...o, files: undefined, file: undefined, last_file: undefined }));
  t.deepEqual(strip(fromStdin.stdout), strip(fromFile.stdout));
});

test('report: the CLOSE_WAIT capture leads with close_wait_leak on the listener, in text, Markdown and HTML', async (t) => {
  const [text, md, html] = await Promise.all(['text', 'md', 'html'].map((format) => cli(['report', '--format', format, cap('close-wait-leak.pcap')])));
  t.is(text!.status, 0, text!.stderr);
  t.regex(text!.stdout, /Findings \(\d+\)\n\s+WARNING close_wait_leak on 10\.77\.0\.2:8080/);
  t.regex(text!.stdout, /CLOSE_WAIT\s+\S+ max 5/, 'the state timeline shows five CLOSE_WAIT');
  t.notRegex(text!.stdout, /\x1b\[/, 'no colour when not on a terminal');
  t.regex(md!.stdout, /### WARNING: `close_wait_leak` on `10\.77\.0\.2:8080`/);
  t.regex(html!.stdout, /<svg class="chart"/);
  t.regex(html!.stdout, /<svg class="ladder"/);
  t.notRegex(html!.stdout, /(src|href)="https?:/, 'self-contained');
});

test('report: the state chart shows handshakes and closes that last milliseconds, not only what is left at 60 sample points', async (t) => {
  const r = await cli(['report', cap('time-wait-storm.pcap')]);
  t.is(r.status, 0, r.stderr);
  for (const state of ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'LAST_ACK']) t.regex(r.stdout, new RegExp(`\\n  ${state} +\\S+ +max [1-9]`), state);
  t.regex(r.stdout, /\n  TIME_WAIT +\S+ +max 300/);
});

test('report on a clean capture has no warning', async (t) => {
  const r = await cli(['report', cap('client-close.pcap')]);
  t.is(r.status, 0);
  t.regex(r.stdout, /Findings \(0\)/);
});

test('the TIME_WAIT storm gives time_wait_storm on the client, with ephemeral-port use', async (t) => {
  const r = await cli(['analyze', '--format', 'ndjson', cap('time-wait-storm.pcap')]);
  const storm = ndjsonLines(r.stdout).find((o) => o.type === 'finding' && o.code === 'time_wait_storm');
  t.is(storm?.endpoint, '10.77.0.1');
  t.regex(storm?.summary, /using 300 of the 28232 default ephemeral ports/);
  t.false(JSON.stringify(storm?.advice).includes('tcp_tw_recycle ('), 'never recommends tcp_tw_recycle');
});

test('states --at gives the netstat view at a moment', async (t) => {
  const [end, start] = await Promise.all([
    cli(['states', '--format', 'ndjson', cap('close-wait-leak.pcap')]),
    cli(['states', '--at', '+0', cap('close-wait-leak.pcap')]),
  ]);
  const server = ndjsonLines(end.stdout).find((o) => o.type === 'states' && o.host === '10.77.0.2');
  t.is(server?.states.CLOSE_WAIT, 5);
  const check = contractCheck(end.stdout);
  t.true(check.ok, `states --format ndjson is a complete stream: ${check.output}`);
  t.regex(start.stdout, /no open endpoints/);
});

test('the library example in the README runs as written', (t) => {
  const r = spawnSync(process.execPath, ['examples/library.mjs'], { cwd: ROOT, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /C\d+ 10\.77\.0\.1:\d+ TIME_WAIT <-> 10\.77\.0\.2:8080 CLOSED/);
});

test('--max-record below a capture\'s records is damage at the first such record: what came before is kept, exit 3', async (t) => {
  const r = await cli(['analyze', '--format', 'ndjson', '--max-record', '60', cap('client-close.pcap')]);
  t.is(r.status, 3, r.stderr);
  t.regex(r.stderr, /client-close\.pcap: .* at byte offset \d+; results up to there were kept\n/);
  t.is(ndjsonLines(r.stdout).at(-1)!.type, 'summary');
});

test('--max-live 1 reports connections early beyond one live, counted and warned about', async (t) => {
  const r = await cli(['analyze', '--format', 'ndjson', '--max-live', '1', cap('close-wait-leak.pcap')]);
  t.is(r.status, 0, r.stderr);
  const summary = ndjsonLines(r.stdout).at(-1)!;
  t.true(summary.counts.evicted_connections > 0);
  t.regex(r.stderr, /warning: live-connection limit \(1\) reached/);
});

test('report --connection draws that connection\'s ladder; an id not in the capture is warned about, and a word that is no id is exit 2 before reading', async (t) => {
  const ladder = /\nC17 10\.77\.0\.1:42600 -> 10\.77\.0\.2:8081: .*\n  Wireshark: .*\n.*client 10\.77\.0\.1:42600 +server 10\.77\.0\.2:8081\n/;
  const [plain, asked, missing, bogus] = await Promise.all([
    cli(['report', cap('close-wait-leak.pcap')]),
    cli(['report', '--connection', 'C17', cap('close-wait-leak.pcap')]),
    cli(['report', '--connection', 'C17', '--connection', 'C9999', cap('close-wait-leak.pcap')]),
    cli(['report', '--connection', '17', cap('close-wait-leak.pcap')]),
  ]);
  t.notRegex(plain.stdout, ladder, 'C17, a clean connection, is not drawn unless asked for');
  t.is(asked.status, 0, asked.stderr);
  t.regex(asked.stdout, ladder);
  t.is(asked.stderr, '');
  t.is(missing.status, 0, missing.stderr);
  t.regex(missing.stdout, ladder);
  t.is(missing.stderr, 'tcp-lifecycle: warning: --connection C9999: no such connection in the capture, so no ladder for it (an id is C and the frame number of the connection\'s first packet)\n');
  t.is(bogus.status, 2);
  t.is(bogus.stdout, '');
  t.is(bogus.stderr, 'tcp-lifecycle: --connection 17: not a connection id (C and the frame number of its first packet, as C8550)\n');
});
