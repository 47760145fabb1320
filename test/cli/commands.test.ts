/** The command line as users and CI meet it, on the project's kernel-made captures. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAPTURES, ROOT } from '../helpers/paths.js';
import { contractCheck, ndjsonLines, runCli } from '../helpers/cli.js';

const cap = (name: string) => path.join(CAPTURES, name);
const tmp = mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-'));

test('analyze --stuck-after 2 on the CLOSE_WAIT scenario: server CLOSE_WAIT with close_wait_stuck, client FIN_WAIT2 with fin_wait2_stuck', (t) => {
  const r = runCli(['analyze', '--stuck-after', '2', '--format', 'ndjson', cap('close-wait-leak.pcap')]);
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

test('every kernel-made capture gives NDJSON that keeps the contract', (t) => {
  const scenarios = JSON.parse(readFileSync(cap('scenarios.json'), 'utf8')) as { file: string }[];
  for (const s of scenarios) {
    // The built command line: dozens of captures, one quick start each.
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'analyze', '--format', 'ndjson', cap(s.file)], { encoding: 'utf8' });
    t.is(r.status, 0, `${s.file}: ${r.stderr}`);
    const verdict = contractCheck(r.stdout);
    t.true(verdict.ok, `${s.file}: ${verdict.output}`);
  }
});

test('a capture on standard input gives the same records as the file', (t) => {
  const fromFile = runCli(['analyze', '--format', 'ndjson', cap('time-wait-storm.pcap')]);
  const fromStdin = runCli(['analyze', '--format', 'ndjson', '-'], { input: readFileSync(cap('time-wait-storm.pcap')) });
  t.is(fromStdin.status, 0, fromStdin.stderr);
  const strip = (text: string) => ndjsonLines(text).map((o) => ({ ...o, files: undefined, file: undefined }));
  t.deepEqual(strip(fromStdin.stdout), strip(fromFile.stdout));
});

test('report: the CLOSE_WAIT capture leads with close_wait_leak on the listener, in text, Markdown and HTML', (t) => {
  const text = runCli(['report', cap('close-wait-leak.pcap')]);
  t.is(text.status, 0, text.stderr);
  t.regex(text.stdout, /Findings \(\d+\)\n\s+WARNING close_wait_leak on 10\.77\.0\.2:8080/);
  t.regex(text.stdout, /CLOSE_WAIT\s+\S+ max 5/, 'the state timeline shows five CLOSE_WAIT');
  t.notRegex(text.stdout, /\x1b\[/, 'no colour when not on a terminal');
  const md = runCli(['report', '--format', 'md', cap('close-wait-leak.pcap')]);
  t.regex(md.stdout, /### WARNING: `close_wait_leak` on `10\.77\.0\.2:8080`/);
  const html = runCli(['report', '--format', 'html', cap('close-wait-leak.pcap')]);
  t.regex(html.stdout, /<svg class="chart"/);
  t.regex(html.stdout, /<svg class="ladder"/);
  t.notRegex(html.stdout, /(src|href)="https?:/, 'self-contained');
});

test('report: the state chart shows handshakes and closes that last milliseconds, not only what is left at 60 sample points', (t) => {
  const r = runCli(['report', cap('time-wait-storm.pcap')]);
  t.is(r.status, 0, r.stderr);
  for (const state of ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'LAST_ACK']) t.regex(r.stdout, new RegExp(`\\n  ${state} +\\S+ +max [1-9]`), state);
  t.regex(r.stdout, /\n  TIME_WAIT +\S+ +max 300/);
});

test('report on a clean capture has no warning', (t) => {
  const r = runCli(['report', cap('client-close.pcap')]);
  t.is(r.status, 0);
  t.regex(r.stdout, /Findings \(0\)/);
});

test('the TIME_WAIT storm gives time_wait_storm on the client, with ephemeral-port use', (t) => {
  const r = runCli(['analyze', '--format', 'ndjson', cap('time-wait-storm.pcap')]);
  const storm = ndjsonLines(r.stdout).find((o) => o.type === 'finding' && o.code === 'time_wait_storm');
  t.is(storm?.endpoint, '10.77.0.1');
  t.regex(storm?.summary, /using 300 of the 28232 default ephemeral ports/);
  t.false(JSON.stringify(storm?.advice).includes('tcp_tw_recycle ('), 'never recommends tcp_tw_recycle');
});

test('states --at gives the netstat view at a moment', (t) => {
  const end = runCli(['states', '--format', 'ndjson', cap('close-wait-leak.pcap')]);
  const server = ndjsonLines(end.stdout).find((o) => o.type === 'states' && o.host === '10.77.0.2');
  t.is(server?.states.CLOSE_WAIT, 5);
  const check = contractCheck(end.stdout);
  t.true(check.ok, `states --format ndjson is a complete stream: ${check.output}`);
  const start = runCli(['states', '--at', '+0', cap('close-wait-leak.pcap')]);
  t.regex(start.stdout, /no open endpoints/);
});

test('check --format ndjson: the analysis, the violations and the verdict, the summary last', (t) => {
  const r = runCli(['check', '--format', 'ndjson', '--max', 'close_wait_stuck=0', cap('close-wait-leak.pcap')]);
  t.is(r.status, 1);
  const records = ndjsonLines(r.stdout);
  t.true(records.some((o) => o.type === 'violation' && o.code === 'close_wait_stuck'));
  t.deepEqual(records.find((o) => o.type === 'check'), { type: 'check', passed: false, violations: 1 });
  const check = contractCheck(r.stdout);
  t.true(check.ok, check.output);
});

test('check: a policy that allows the clean capture passes it and fails the CLOSE_WAIT capture naming the server', (t) => {
  const policy = path.join(tmp, 'policy.json');
  writeFileSync(policy, JSON.stringify({ max: { close_wait_stuck: 0, reset: 0 }, forbid_states_at_end: ['CLOSE_WAIT'] }));
  const clean = runCli(['check', '--policy', policy, cap('client-close.pcap')]);
  t.is(clean.status, 0, clean.stdout + clean.stderr);
  t.regex(clean.stdout, /check passed/);
  const leak = runCli(['check', '--policy', policy, cap('close-wait-leak.pcap')]);
  t.is(leak.status, 1);
  t.regex(leak.stdout, /10\.77\.0\.2:8080/);
  t.regex(leak.stdout, /check failed/);
  const junit = runCli(['check', '--policy', policy, '--format', 'junit', cap('close-wait-leak.pcap')]);
  t.regex(junit.stdout, /^<\?xml version="1\.0"/);
  const failures = Number(/failures="(\d+)"/.exec(junit.stdout)?.[1]);
  t.is(failures, (junit.stdout.match(/<failure /g) ?? []).length);
  t.true(failures >= 2);
});

test('check: a baseline passes its own capture and fails one with a new finding', (t) => {
  const baseline = path.join(tmp, 'baseline.ndjson');
  writeFileSync(baseline, runCli(['analyze', '--format', 'ndjson', cap('client-close.pcap')]).stdout);
  t.is(runCli(['check', '--baseline', baseline, cap('client-close.pcap')]).status, 0);
  const worse = runCli(['check', '--baseline', baseline, cap('refused.pcap')]);
  t.is(worse.status, 1);
  t.regex(worse.stdout, /new: .*syn_rejected|new: .*service_unreachable/);
});

test('check: a malformed policy exits 2 naming the line or the key', (t) => {
  const bad = path.join(tmp, 'bad.json');
  writeFileSync(bad, '{\n  "max": {\n    "reset": 1,\n  }\n}\n');
  const r1 = runCli(['check', '--policy', bad, cap('client-close.pcap')]);
  t.is(r1.status, 2);
  t.regex(r1.stderr, /bad\.json: line 4/);
  writeFileSync(bad, JSON.stringify({ max: { close_wait_stuk: 0 } }));
  const r2 = runCli(['check', '--policy', bad, cap('client-close.pcap')]);
  t.is(r2.status, 2);
  t.regex(r2.stderr, /max\.close_wait_stuk: unknown code; did you mean close_wait_stuck\?/);
});

test('diff names the finding added between two captures', (t) => {
  const r = runCli(['diff', cap('client-close.pcap'), cap('close-wait-leak.pcap')]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /finding added\s+close_wait_leak on 10\.77\.0\.2:8080/);
});

test('the library example in the README runs as written', (t) => {
  const r = spawnSync(process.execPath, ['examples/library.mjs'], { cwd: ROOT, encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /C\d+ 10\.77\.0\.1:\d+ TIME_WAIT <-> 10\.77\.0\.2:8080 CLOSED/);
});

test('usage errors exit 2 with a one-line reason', (t) => {
  const r = runCli(['analyze', '--format', 'xml', cap('client-close.pcap')]);
  t.is(r.status, 2);
  t.notRegex(r.stderr, /\n\s+at /);
});
