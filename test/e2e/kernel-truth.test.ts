/**
 * The project's own captures were made by real Linux kernels in network
 * namespaces; before each capture stopped, `ss -tanoi` recorded every socket
 * in every namespace. For every connection we report, each endpoint's state at
 * the end of the capture must equal the kernel's (a socket ss no longer lists
 * is CLOSED), and each scenario's expected anomalies must be present.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import type { ConnectionRecord, FindingRecord, OutputRecord } from '../../src/records.js';
import { CAPTURES } from '../helpers/paths.js';
import { parseSs } from '../helpers/ss-truth.js';

interface Scenario {
  name: string;
  file: string;
  description: string;
  hosts: Record<string, string[]>;
  truth: Record<string, string>;
  expect?: { anomalies?: { code: string; side: string }[]; findings?: { code: string; endpoint: string }[] };
  stuck_after?: number;
}

const manifestPath = path.join(CAPTURES, 'scenarios.json');
const scenarios: Scenario[] = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : [];

/** The kernel's socket table of every host of a scenario, keyed "local|peer". */
function kernelView(scenario: Scenario): Map<string, string> {
  const view = new Map<string, string>();
  for (const [, file] of Object.entries(scenario.truth)) {
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

async function analyzeScenario(scenario: Scenario) {
  const records: OutputRecord[] = [];
  await runPipeline([path.join(CAPTURES, scenario.file)], { stuckAfter: scenario.stuck_after ?? 2 }, (r) => records.push(r));
  return {
    connections: records.filter((r): r is ConnectionRecord => r.type === 'connection'),
    findings: records.filter((r): r is FindingRecord => r.type === 'finding'),
  };
}

test('the scenario manifest lists the kernel-made captures', (t) => {
  t.true(scenarios.length >= 8, `${scenarios.length} scenarios in captures/scenarios.json`);
});

for (const scenario of scenarios) {
  test(`${scenario.name}: each endpoint's state at the end equals the kernel's ss view`, async (t) => {
    const view = kernelView(scenario);
    const { connections } = await analyzeScenario(scenario);
    t.true(connections.length > 0, 'connections found');
    // With port reuse only the last lifecycle of a 4-tuple is the socket ss saw.
    const last = new Map<string, ConnectionRecord>();
    for (const c of connections) {
      const key = `${c.client}|${c.server}`;
      const previous = last.get(key);
      if (!previous || previous.first_ts <= c.first_ts) last.set(key, c);
    }
    const mismatches: string[] = [];
    for (const c of connections) {
      const current = last.get(`${c.client}|${c.server}`) === c;
      for (const side of ['client', 'server'] as const) {
        const self = c[side];
        const peer = side === 'client' ? c.server : c.client;
        if (!hostOf(scenario, self)) continue; // an address outside the scenario's hosts: no truth
        const kernel = current ? (view.get(`${self}|${peer}`) ?? 'CLOSED') : 'CLOSED';
        const ours = c[`${side}_state`];
        if (ours !== kernel) mismatches.push(`${c.id} ${side} ${self}: ours ${ours}, kernel ${kernel}`);
      }
    }
    t.deepEqual(mismatches, []);
  });

  test(`${scenario.name}: the expected anomalies are reported, and the expected findings and no others`, async (t) => {
    const { connections, findings } = await analyzeScenario(scenario);
    for (const want of scenario.expect?.anomalies ?? []) {
      t.true(
        connections.some((c) => c.anomalies.some((a) => a.code === want.code && a.side === want.side)),
        `anomaly ${want.code} on the ${want.side}`,
      );
    }
    const name = (f: { code: string; endpoint: string }) => `${f.code}@${f.endpoint}`;
    t.deepEqual(findings.map(name).sort(), (scenario.expect?.findings ?? []).map(name).sort());
  });
}
