/** `check` as CI runs it: default rules, policies, rule flags, baselines, and the verdict's exit code. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAPTURES, CLI, ROOT } from '../helpers/paths.js';
import { cli, cliInProcess, contractCheck, ndjsonLines } from '../helpers/cli.js';
import { rewriteClientPorts } from '../helpers/pcap-edit.js';

const cap = (name: string) => path.join(CAPTURES, name);
const tmp = mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-check-'));
const file = (name: string, text: string): string => {
  const where = path.join(tmp, name);
  writeFileSync(where, text);
  return where;
};
const DEFAULT_NOTE = /no policy, rule flag or baseline given: default rules apply: fail on any finding of severity warning or critical/;

test('with no policy, rule flag or baseline, a CRITICAL syn_flood fails, and stderr says which rules applied', async (t) => {
  const r = await cli(['check', cap('syn-flood.pcap')]);
  t.is(r.status, 1, r.stdout + r.stderr);
  t.regex(r.stderr, DEFAULT_NOTE);
  t.regex(r.stdout, /FAIL fail_on\.warning: critical finding syn_flood on 10\.77\.0\.2:8080/);
});

test('the default rules fail the README\'s CLOSE_WAIT leak (a warning) and pass a clean capture', async (t) => {
  const [leak, clean] = await Promise.all([cli(['check', cap('close-wait-leak.pcap')]), cli(['check', cap('client-close.pcap')])]);
  t.is(leak.status, 1);
  t.regex(leak.stdout, /FAIL fail_on\.warning: warning finding close_wait_leak on 10\.77\.0\.2:8080/);
  t.is(clean.status, 0, clean.stdout + clean.stderr);
  t.regex(clean.stderr, DEFAULT_NOTE);
  t.regex(clean.stdout, /^default rules: fail on any finding of severity warning or critical\ncheck passed/);
});

test('JUnit with the default rules: the rule is a test case and the suite names the defaults', async (t) => {
  const r = await cli(['check', '--format', 'junit', cap('close-wait-leak.pcap')]);
  t.is(r.status, 1);
  t.regex(r.stdout, /<property name="rules" value="default: fail on any finding of severity warning or critical"\/>/);
  t.regex(r.stdout, /<testsuite name="tcp-lifecycle check" tests="1" failures="1">/);
  t.regex(r.stdout, /<testcase classname="tcp-lifecycle" name="fail_on\.warning"><failure message="[^"]*close_wait_leak on 10\.77\.0\.2:8080/);
});

test('JUnit: every rule evaluated is a test case, those that held as passed ones', async (t) => {
  const policy = file('every-rule.json', JSON.stringify({
    max: { reset: 0, close_wait_stuck: 0 },
    per_endpoint: { '10.77.0.2:8080': { close_wait_stuck: 10 }, '10.77.0.1': { fin_wait2_stuck: 0 } },
    forbid_states_at_end: ['CLOSE-WAIT', 'SYN_SENT'],
    fail_on: 'critical',
  }));
  const r = await cli(['check', '--policy', policy, '--format', 'junit', cap('close-wait-leak.pcap')]);
  t.is(r.status, 1);
  const cases = [...r.stdout.matchAll(/<testcase classname="tcp-lifecycle" name="([^"]+)"(\/>|><failure)/g)].map((m) => [m[1], m[2] === '/>' ? 'pass' : 'fail']);
  t.deepEqual(Object.fromEntries(cases), {
    'max.reset': 'pass',
    'max.close_wait_stuck': 'fail',
    'per_endpoint.10.77.0.2:8080.close_wait_stuck': 'pass',
    'per_endpoint.10.77.0.1.fin_wait2_stuck': 'fail',
    'forbid_states_at_end.CLOSE_WAIT': 'fail',
    'forbid_states_at_end.SYN_SENT': 'pass',
    'fail_on.critical': 'pass',
  });
  t.regex(r.stdout, /tests="7" failures="3"/);
  t.notRegex(r.stderr, DEFAULT_NOTE, 'a policy is no default');
});

test('rule flags on top of a policy: --max of a code the file limits replaces its limit, --fail-on its fail_on, per_endpoint stays (as the README says)', async (t) => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
  t.regex(readme, /a `--max` naming a code the file's `max` limits too replaces the file's limit for that code \(of two `--max` for one code, the last counts\), and `--fail-on` replaces the file's `fail_on`/);
  t.regex(readme, /leaves `per_endpoint` alone: a file's per-endpoint limit of the same code still applies beside it/);
  t.notRegex(readme, /`--fail-on` add to the file/);
  // close-wait-leak.pcap has 5 close_wait_stuck, all on 10.77.0.2:8080, and a warning close_wait_leak.
  const policy = file('overridden.json', JSON.stringify({
    max: { close_wait_stuck: 0, reset: 0 },
    per_endpoint: { '10.77.0.2:8080': { close_wait_stuck: 3 } },
    fail_on: 'warning',
  }));
  const leak = cap('close-wait-leak.pcap');
  const [fileOnly, flags, lastWins, looser] = await Promise.all([
    cli(['check', '--policy', policy, leak]),
    cli(['check', '--policy', policy, '--max', 'close_wait_stuck=5', '--fail-on', 'critical', '--format', 'junit', leak]),
    cli(['check', '--policy', policy, '--max', 'close_wait_stuck=5', '--max', 'close_wait_stuck=4', '--fail-on', 'critical', leak]),
    cli(['check', '--policy', file('per-endpoint-5.json', JSON.stringify({ max: { close_wait_stuck: 0 }, per_endpoint: { '10.77.0.2:8080': { close_wait_stuck: 5 } } })), '--max', 'close_wait_stuck=5', leak]),
  ]);
  t.is(fileOnly.status, 1);
  t.regex(fileOnly.stdout, /FAIL max\.close_wait_stuck: 5 close_wait_stuck, at most 0 allowed/);
  t.regex(fileOnly.stdout, /FAIL fail_on\.warning: warning finding close_wait_leak/);
  // The flag's 5 replaced the file's 0 and --fail-on critical the file's warning; the file's per-endpoint 3 still applies.
  t.is(flags.status, 1, flags.stdout + flags.stderr);
  const cases = [...flags.stdout.matchAll(/<testcase classname="tcp-lifecycle" name="([^"]+)"(\/>|><failure)/g)].map((m) => [m[1], m[2] === '/>' ? 'pass' : 'fail']);
  t.deepEqual(Object.fromEntries(cases), {
    'max.close_wait_stuck': 'pass',
    'max.reset': 'pass',
    'per_endpoint.10.77.0.2:8080.close_wait_stuck': 'fail',
    'fail_on.critical': 'pass',
  });
  t.regex(flags.stdout, /<failure message="10\.77\.0\.2:8080: 5 close_wait_stuck, at most 3 allowed/);
  t.is(lastWins.status, 1);
  t.regex(lastWins.stdout, /FAIL max\.close_wait_stuck: 5 close_wait_stuck, at most 4 allowed/);
  t.notRegex(lastWins.stdout, /at most 0 allowed|fail_on/);
  t.is(looser.status, 0, looser.stdout + looser.stderr);
  t.regex(looser.stdout, /check passed: 2 rule\(s\)/);
});

test('--max takes every anomaly and finding code, also accept_queue_overflow and server_closes_first', async (t) => {
  const [queue, closes] = await Promise.all([
    cli(['check', '--max', 'accept_queue_overflow=0', cap('accept-queue-overflow.pcap')]),
    cli(['check', '--max', 'server_closes_first=0', cap('server-time-wait.pcap')]),
  ]);
  t.is(queue.status, 1, queue.stderr);
  t.regex(queue.stdout, /FAIL max\.accept_queue_overflow: \d+ accept_queue_overflow, at most 0 allowed/);
  t.is(closes.status, 1, closes.stderr);
  t.regex(closes.stdout, /FAIL max\.server_closes_first: 150 server_closes_first, at most 0 allowed/);
});

test('--forbid-state takes the netstat names and ss spellings of the same state', async (t) => {
  const runs = await Promise.all(['CLOSE_WAIT', 'CLOSE-WAIT', 'close-wait'].map((s) => cli(['check', '--forbid-state', s, cap('close-wait-leak.pcap')])));
  for (const r of runs) {
    t.is(r.status, 1, r.stderr);
    t.regex(r.stdout, /FAIL forbid_states_at_end\.CLOSE_WAIT: 5 endpoint\(s\) end the capture in CLOSE_WAIT/);
  }
  const [estab, finWait2] = await Promise.all([
    cli(['check', '--forbid-state', 'ESTAB', cap('close-wait-leak.pcap')]),
    cli(['check', '--forbid-state', 'FIN-WAIT-2', cap('close-wait-leak.pcap')]),
  ]);
  t.is(estab.status, 0, estab.stdout + estab.stderr);
  t.regex(estab.stdout, /check passed/);
  t.is(finWait2.status, 1);
  t.regex(finWait2.stdout, /FAIL forbid_states_at_end\.FIN_WAIT2/);
});

test('an unknown state is exit 2 with "did you mean", from the flag and from the policy, before the capture is read', async (t) => {
  const policy = file('bad-state.json', JSON.stringify({ forbid_states_at_end: ['TIME_WAITT'] }));
  const [flag, fromFile] = await Promise.all([
    cliInProcess(['check', '--forbid-state', 'CLOSE_WAT', 'no-such-capture.pcap']),
    cliInProcess(['check', '--policy', policy, 'no-such-capture.pcap']),
  ]);
  t.is(flag.status, 2);
  t.is(flag.stderr, 'tcp-lifecycle: --forbid-state: unknown state "CLOSE_WAT"; did you mean CLOSE_WAIT?\n');
  t.is(fromFile.status, 2);
  t.regex(fromFile.stderr, /bad-state\.json: forbid_states_at_end: unknown state "TIME_WAITT"; did you mean TIME_WAIT\?\n$/);
});

test('a baseline compares workloads: the same recording with other client ports passes against its own baseline', async (t) => {
  const original = readFileSync(cap('close-wait-leak.pcap'));
  const rerun = rewriteClientPorts(original, 1000);
  const baseline = file('leak-baseline.ndjson', (await cli(['analyze', '--format', 'ndjson', cap('close-wait-leak.pcap')])).stdout);
  const moved = ndjsonLines((await cli(['analyze', '--format', 'ndjson', '-'], { input: Buffer.from(rerun) })).stdout);
  const before = ndjsonLines(readFileSync(baseline, 'utf8'));
  const clients = (records: Record<string, any>[]) => records.filter((r) => r.type === 'connection').map((r) => r.client);
  t.is(new Set([...clients(before), ...clients(moved)]).size, 2 * clients(before).length, 'every client port differs');
  t.true(moved.some((r) => r.type === 'connection' && r.anomalies.some((a: any) => a.side === 'client')), 'client-side anomalies are compared');
  const r = await cli(['check', '--baseline', baseline, '-'], { input: Buffer.from(rerun) });
  t.is(r.status, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /check passed/);
});

test('a baseline fails a recording whose anomalies are new, naming a client by host and server, never its port', async (t) => {
  const baseline = file('clean-baseline.ndjson', (await cli(['analyze', '--format', 'ndjson', cap('client-close.pcap')])).stdout);
  const r = await cli(['check', '--baseline', baseline, cap('close-wait-leak.pcap')]);
  t.is(r.status, 1);
  t.regex(r.stdout, /FAIL baseline\.close_wait_stuck: new: 5 close_wait_stuck on 10\.77\.0\.2:8080, none in the baseline/);
  t.regex(r.stdout, /FAIL baseline\.fin_wait2_stuck: new: 5 fin_wait2_stuck on 10\.77\.0\.1 -> 10\.77\.0\.2:8080, none in the baseline/);
  t.regex(r.stdout, /FAIL baseline\.close_wait_leak: new: 5 close_wait_leak on 10\.77\.0\.2:8080/);
  t.notRegex(r.stdout, /10\.77\.0\.1:\d+,/, 'no ephemeral port in a key');
});

test('check --format ndjson: the analysis, the violations and the verdict, the summary last', async (t) => {
  const r = await cli(['check', '--format', 'ndjson', '--max', 'close_wait_stuck=0', cap('close-wait-leak.pcap')]);
  t.is(r.status, 1);
  const records = ndjsonLines(r.stdout);
  t.true(records.some((o) => o.type === 'violation' && o.code === 'close_wait_stuck'));
  t.deepEqual(records.find((o) => o.type === 'check'), { type: 'check', passed: false, violations: 1 });
  const check = contractCheck(r.stdout);
  t.true(check.ok, check.output);
});

test('a failing check keeps exit 1 when its reader goes away (check | head -1)', (t) => {
  const r = spawnSync('bash', ['-c', `node ${CLI} check --format ndjson --forbid-state TIME_WAIT ${cap('time-wait-storm.pcap')} | head -n 1 > /dev/null; echo "\${PIPESTATUS[0]}"`], { cwd: ROOT, encoding: 'utf8' });
  t.is(r.stdout.trim(), '1', r.stderr);
  t.is(r.stderr, '');
});

test('per_endpoint keys are ip:port, [ip6]:port or ip; anything else is exit 2 naming the key', async (t) => {
  const bad = ['192.168.0.1:080', 'not an endpoint', '__proto__', '10.0.0.1:65536', '[fe80::1%eth0]:80'];
  const runs = await Promise.all(bad.map((key, i) => cliInProcess(['check', '--policy', file(`endpoint-${i}.json`, JSON.stringify({ per_endpoint: { [key]: { reset: 0 } } })), cap('client-close.pcap')])));
  runs.forEach((r, i) => {
    t.is(r.status, 2, bad[i]);
    t.regex(r.stderr, /: per_endpoint: ".*" is no endpoint: write ip:port, \[ip6\]:port or ip\n$/, bad[i]);
    t.true(r.stderr.includes(JSON.stringify(bad[i])), r.stderr);
  });
  const good = await cli(['check', '--policy', file('endpoint-ok.json', JSON.stringify({ per_endpoint: { '10.77.0.2': { close_wait_stuck: 0 }, '[2001:DB8::0:1]:80': { reset: 0 } } })), cap('close-wait-leak.pcap')]);
  t.is(good.status, 1, good.stderr);
  t.regex(good.stdout, /FAIL per_endpoint\.10\.77\.0\.2\.close_wait_stuck: 10\.77\.0\.2: 5 close_wait_stuck, at most 0 allowed/);
});

test('a number that is no limit is named as typed: 1e400, not null', async (t) => {
  const r = await cliInProcess(['check', '--policy', file('huge.json', '{ "max": { "reset": 1e400 } }'), cap('client-close.pcap')]);
  t.is(r.status, 2);
  t.regex(r.stderr, /huge\.json: max\.reset: must be a whole number >= 0, got 1e400\n$/);
  const tolerance = await cliInProcess(['check', '--policy', file('tolerance.json', '{ "baseline_tolerance": { "reset": -2.5 } }'), cap('client-close.pcap')]);
  t.is(tolerance.status, 2);
  t.regex(tolerance.stderr, /got -2\.5\n$/);
});

test('check: a malformed policy exits 2 naming the line or the key', async (t) => {
  const [r1, r2] = await Promise.all([
    cliInProcess(['check', '--policy', file('bad.json', '{\n  "max": {\n    "reset": 1,\n  }\n}\n'), cap('client-close.pcap')]),
    cliInProcess(['check', '--policy', file('bad2.json', JSON.stringify({ max: { close_wait_stuk: 0 } })), cap('client-close.pcap')]),
  ]);
  t.is(r1.status, 2);
  t.regex(r1.stderr, /bad\.json: line 4/);
  t.is(r2.status, 2);
  t.regex(r2.stderr, /max\.close_wait_stuk: unknown code; did you mean close_wait_stuck\?/);
});

test('a baseline is validated record by record: exit 2 naming the line, before the capture is read', async (t) => {
  const good = (await cli(['analyze', '--format', 'ndjson', cap('close-wait-leak.pcap')])).stdout.trimEnd().split('\n');
  const connection = JSON.parse(good[0]!) as Record<string, unknown>;
  const finding = JSON.parse(good.find((l) => l.includes('"type":"finding"'))!) as Record<string, unknown>;
  const summary = good.at(-1)!;
  const cases: [string, string[], RegExp][] = [
    ['anomalies absent', [JSON.stringify({ ...connection, anomalies: undefined }), summary], /line 1: connection lacks anomalies/],
    ['anomalies null', [JSON.stringify({ ...connection, anomalies: null }), summary], /line 1: connection anomalies is null/],
    ['an anomaly without its side', [JSON.stringify({ ...connection, anomalies: [{ code: 'reset' }] }), summary], /line 1: connection anomalies\[0\] lacks side/],
    ['a finding with endpoint null', [good[0]!, JSON.stringify({ ...finding, endpoint: null }), summary], /line 2: finding endpoint is null/],
    ['not JSON', [good[0]!, '{"type": "connection", ', summary], /line 2: not JSON/],
    ['empty', [], /empty: no records of an analysis/],
    ['without its summary', good.slice(0, -1), /no summary line: the analysis was cut short/],
  ];
  const runs = await Promise.all(cases.map(([, lines], i) => cliInProcess(['check', '--baseline', file(`baseline-${i}.ndjson`, lines.map((l) => `${l}\n`).join('')), 'no-such-capture.pcap'])));
  runs.forEach((r, i) => {
    const [what, , message] = cases[i]!;
    t.is(r.status, 2, what);
    t.regex(r.stderr, message, what);
    t.is(r.stderr.split('\n').length, 2, `${what}: one line`);
  });
});

test('a baseline line of 40 MB is read, and counted like any other', async (t) => {
  const lines = (await cli(['analyze', '--format', 'ndjson', cap('close-wait-leak.pcap')])).stdout.trimEnd().split('\n');
  const long = JSON.parse(lines[0]!) as Record<string, unknown>;
  long.history = 'D'.repeat(40 * 1024 * 1024);
  const baseline = file('long-line.ndjson', [JSON.stringify(long), ...lines.slice(1)].join('\n') + '\n');
  const r = await cli(['check', '--baseline', baseline, cap('close-wait-leak.pcap')]);
  t.is(r.status, 0, r.stdout + r.stderr);
});

test('a violation lists each example connection once, also where a server endpoint is both the endpoint and the workload', async (t) => {
  const baseline = file('clean-baseline.ndjson', (await cli(['analyze', '--format', 'ndjson', cap('client-close.pcap')])).stdout);
  for (const args of [['--baseline', baseline], ['--max', 'close_wait_stuck=0'], ['--policy', file('per-endpoint.json', '{"per_endpoint": {"10.77.0.2:8080": {"close_wait_stuck": 0}}}')]]) {
    const r = await cli(['check', ...args, '--format', 'ndjson', cap('close-wait-leak.pcap')]);
    t.is(r.status, 1, r.stderr);
    const violations = ndjsonLines(r.stdout).filter((o) => o.type === 'violation');
    t.true(violations.length > 0);
    for (const v of violations) {
      const ids = v.examples.map((e: { id: string }) => e.id);
      t.deepEqual(ids, [...new Set(ids)], `${v.rule}: ${ids.join(' ')}`);
      t.is(ids.length, Math.min(3, v.count), `${v.rule}: up to three examples`);
    }
  }
});
