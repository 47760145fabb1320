/** A baseline compares workloads: keys that stay when the same workload is recorded again, and a tolerance that means the same on both sides. */
import test from 'ava';
import { evaluate } from '../../src/check/check.js';
import { emptyPolicy, parsePolicy } from '../../src/check/policy.js';
import { Tally } from '../../src/check/tally.js';
import type { ConnectionRecord, SummaryRecord } from '../../src/records.js';

const summary: SummaryRecord = {
  type: 'summary', packets: 0, tcp_packets: 0, connections: 0, states_at_end: {}, findings: 0, counts: {}, first_ts: null, last_ts: null, files: [], warnings: [], errors: [],
  vantage: 'unknown', vantage_connections: { near_client: 0, near_server: 0, in_between: 0, near_both: 0, unknown: 0 },
};

/** `n` connections from one client host, each from another ephemeral port, to one server; each with `code` on `side`. */
function tallyOf(n: number, code: 'retransmissions' | 'reset', side: 'client' | 'server', firstPort: number): Tally {
  const t = new Tally();
  for (let i = 0; i < n; i++) {
    t.add({
      type: 'connection', id: `C${i + 1}`, client: `10.0.0.1:${firstPort + i}`, server: '10.0.0.2:443', first_frame: i + 1, last_frame: i + 1,
      client_state: 'CLOSED', server_state: 'CLOSED', anomalies: [{ code, side, since: 0, duration: 0, detail: '' }],
    } as unknown as ConnectionRecord);
  }
  t.add(summary);
  return t;
}

const rulesBroken = (t: Tally, baseline: Tally, policyText: string) =>
  evaluate(t, parsePolicy(policyText, 'policy.json'), baseline).flatMap((r) => r.violations.map((v) => `${v.rule} ${v.endpoint}`));

for (const side of ['client', 'server'] as const) {
  test(`a ${side} side: 20% tolerance allows 10 -> 12 and refuses 10 -> 13, whatever the ports`, (t) => {
    const before = tallyOf(10, 'retransmissions', side, 40000);
    const policy = '{ "baseline_tolerance": { "retransmissions": "20%" } }';
    t.deepEqual(rulesBroken(tallyOf(12, 'retransmissions', side, 50000), before, policy), []);
    const where = side === 'server' ? '10.0.0.2:443' : '10.0.0.1 -> 10.0.0.2:443';
    t.deepEqual(rulesBroken(tallyOf(13, 'retransmissions', side, 50000), before, policy), [`baseline.retransmissions ${where}`]);
  });

  test(`a ${side} side: an absolute tolerance of 2 allows 10 -> 12 and refuses 10 -> 13`, (t) => {
    const before = tallyOf(10, 'reset', side, 40000);
    const policy = '{ "baseline_tolerance": { "default": 2 } }';
    t.deepEqual(rulesBroken(tallyOf(12, 'reset', side, 50000), before, policy), []);
    t.is(rulesBroken(tallyOf(13, 'reset', side, 50000), before, policy).length, 1);
  });
}

test('the same workload on other client ports is the same workload; no tolerance needed', (t) => {
  const rules = evaluate(tallyOf(10, 'retransmissions', 'client', 50000), emptyPolicy(), tallyOf(10, 'retransmissions', 'client', 40000));
  t.deepEqual(rules.flatMap((r) => r.violations), []);
});
