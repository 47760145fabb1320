/**
 * The project's own captures were made by real Linux kernels in network
 * namespaces; before each capture stopped, `ss -tanoi` recorded every socket
 * in every namespace. Checked both ways: every connection we report has each
 * endpoint's end state equal to the kernel's (a socket ss no longer lists is
 * CLOSED), and every socket the kernel lists (not LISTEN) has a connection.
 * Each scenario's anomalies (code and side) and findings are the expected
 * ones, no more and no fewer.
 *
 * A scenario marked `known_mismatch` is one where today's inference is wrong;
 * its test is expected to fail, so that a fix shows as a mark to remove.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { ConnectionRecord, FindingRecord, OutputRecord } from '../../src/records.js';
import { CAPTURES } from '../helpers/paths.js';
import { parseSs } from '../helpers/ss-truth.js';

type Side = 'client' | 'server';

interface Scenario {
  name: string;
  file: string;
  description: string;
  hosts: Record<string, string[]>;
  truth: Record<string, string>;
  expect?: { anomalies?: { code: string; side: string }[]; findings?: { code: string; endpoint: string }[] };
  stuck_after?: number;
  /** What today's inference gets wrong, one line each: end states, or anomalies and findings. */
  known_mismatch?: { states?: string; verdicts?: string };
  /**
   * An end state the wire cannot tell from the kernel's: that side may show `wire` where the
   * kernel shows `kernel`, and then its `anomaly` must say so, its detail naming `detail_mentions`.
   */
  wire_cannot_tell?: { side: Side; kernel: string; wire: string; why: string; anomaly?: string; detail_mentions?: string }[];
}

const manifestPath = path.join(CAPTURES, 'scenarios.json');
const scenarios: Scenario[] = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : [];

/** The kernel's socket table of every host of a scenario, keyed "local|peer". */
function kernelView(scenario: Scenario): Map<string, string> {
  const view = new Map<string, string>();
  for (const file of Object.values(scenario.truth)) {
    for (const socket of parseSs(readFileSync(path.join(CAPTURES, file), 'utf8'))) {
      if (socket.state !== 'LISTEN') view.set(`${socket.local}|${socket.peer}`, socket.state);
    }
  }
  return view;
}

function hostOf(scenario: Scenario, endpoint: string): string | undefined {
  const ip = endpoint.startsWith('[') ? endpoint.slice(1, endpoint.indexOf(']')) : endpoint.slice(0, endpoint.lastIndexOf(':'));
  return Object.entries(scenario.hosts).find(([, ips]) => ips.includes(ip))?.[0];
}

interface Analysis {
  connections: ConnectionRecord[];
  findings: FindingRecord[];
}

/** One analysis per scenario, shared by its tests. */
const analyses = new Map<string, Promise<Analysis>>();
function analyzeScenario(scenario: Scenario): Promise<Analysis> {
  let analysis = analyses.get(scenario.name);
  if (!analysis) {
    analysis = (async () => {
      const records: OutputRecord[] = [];
      await runPipeline([path.join(CAPTURES, scenario.file)], { stuckAfter: scenario.stuck_after ?? 2 }, (r) => records.push(r));
      return {
        connections: records.filter((r): r is ConnectionRecord => r.type === 'connection'),
        findings: records.filter((r): r is FindingRecord => r.type === 'finding'),
      };
    })();
    analyses.set(scenario.name, analysis);
  }
  return analysis;
}

/** Every difference between our end states and the kernel's, both ways. */
function stateMismatches(scenario: Scenario, connections: ConnectionRecord[]): string[] {
  const view = kernelView(scenario);
  // With port reuse only the last lifecycle of a 4-tuple is the socket ss saw.
  const last = new Map<string, ConnectionRecord>();
  for (const c of connections) {
    const key = `${c.client}|${c.server}`;
    const previous = last.get(key);
    if (!previous || previous.first_ts <= c.first_ts) last.set(key, c);
  }
  const mismatches: string[] = [];
  const reported = new Set<string>();
  for (const c of connections) {
    const current = last.get(`${c.client}|${c.server}`) === c;
    for (const side of ['client', 'server'] as const) {
      const self = c[side];
      const peer = side === 'client' ? c.server : c.client;
      if (!hostOf(scenario, self)) continue; // an address outside the scenario's hosts: no truth
      reported.add(`${self}|${peer}`);
      const kernel = current ? (view.get(`${self}|${peer}`) ?? 'CLOSED') : 'CLOSED';
      const ours = c[`${side}_state`];
      const excused = scenario.wire_cannot_tell?.some((w) => w.side === side && w.kernel === kernel && w.wire === ours);
      if (ours !== kernel && !excused) mismatches.push(`${c.id} ${side} ${self}: ours ${ours}, kernel ${kernel}`);
    }
  }
  for (const [sockets, state] of view) {
    if (!reported.has(sockets)) mismatches.push(`kernel socket ${sockets.replace('|', ' to ')} (${state}) has no connection record`);
  }
  return mismatches;
}

const distinct = (items: string[]) => [...new Set(items)].sort();

test('the scenario manifest lists the kernel-made captures', (t) => {
  t.true(scenarios.length >= 8, `${scenarios.length} scenarios in captures/scenarios.json`);
});

for (const scenario of scenarios) {
  const states = scenario.known_mismatch?.states ? test.failing : test;
  states(`${scenario.name}: every endpoint's end state equals the kernel's ss view, and every kernel socket has a connection`, async (t) => {
    const { connections } = await analyzeScenario(scenario);
    t.true(connections.length > 0, 'connections found');
    t.deepEqual(stateMismatches(scenario, connections), []);
  });

  const verdicts = scenario.known_mismatch?.verdicts ? test.failing : test;
  verdicts(`${scenario.name}: exactly the expected anomalies (code and side) and findings`, async (t) => {
    const { connections, findings } = await analyzeScenario(scenario);
    const anomalies = connections.flatMap((c) => c.anomalies.map((a) => `${a.code}@${a.side}`));
    t.deepEqual(distinct(anomalies), distinct((scenario.expect?.anomalies ?? []).map((a) => `${a.code}@${a.side}`)), 'anomalies');
    const name = (f: { code: string; endpoint: string }) => `${f.code}@${f.endpoint}`;
    t.deepEqual(findings.map(name).sort(), (scenario.expect?.findings ?? []).map(name).sort(), 'findings');
    for (const { side, anomaly, detail_mentions: mention, why } of scenario.wire_cannot_tell ?? []) {
      if (!anomaly || !mention) continue;
      const said = connections.some((c) => c.anomalies.some((a) => a.code === anomaly && a.side === side && a.detail.includes(mention)));
      t.true(said, `${anomaly} on the ${side} says ${mention}: ${why}`);
    }
  });
}
