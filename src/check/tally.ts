/** Counts per code, overall and per endpoint, from a record stream: what a check or a diff compares. */
import type { ConnectionRecord, FindingExample, OutputRecord, SummaryRecord } from '../records.js';

const MAX_EXAMPLES = 3;

export interface Tally {
  /** code -> count (anomalies count connections; findings count their `count`). */
  total: Map<string, number>;
  /** "code|endpoint" -> count. */
  perEndpoint: Map<string, number>;
  examples: Map<string, FindingExample[]>;
  findings: Map<string, { code: string; endpoint: string; severity: string; count: number; summary: string }>;
  statesAtEnd: Map<string, FindingExample[]>;
  summary?: SummaryRecord;
}

export function newTally(): Tally {
  return { total: new Map(), perEndpoint: new Map(), examples: new Map(), findings: new Map(), statesAtEnd: new Map() };
}

const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
const example = (c: ConnectionRecord): FindingExample => ({ id: c.id, first_frame: c.first_frame, last_frame: c.last_frame, client: c.client, server: c.server });

export function addToTally(t: Tally, r: OutputRecord): void {
  if (r.type === 'connection') {
    const seen = new Set<string>();
    for (const a of r.anomalies) {
      const endpoint = a.side === 'server' ? r.server : r.client;
      if (!seen.has(a.code)) bump(t.total, a.code);
      const key = `${a.code}|${endpoint}`;
      if (!seen.has(key)) bump(t.perEndpoint, key);
      seen.add(a.code).add(key);
      const list = t.examples.get(a.code) ?? [];
      if (list.length < MAX_EXAMPLES) t.examples.set(a.code, [...list, example(r)]);
    }
    for (const state of [r.client_state, r.server_state]) {
      const list = t.statesAtEnd.get(state) ?? [];
      if (list.length < MAX_EXAMPLES) list.push(example(r));
      t.statesAtEnd.set(state, list);
    }
  } else if (r.type === 'finding') {
    bump(t.total, r.code, r.count);
    bump(t.perEndpoint, `${r.code}|${r.endpoint}`, r.count);
    t.findings.set(`${r.code}|${r.endpoint}`, { code: r.code, endpoint: r.endpoint, severity: r.severity, count: r.count, summary: r.summary });
    if (!t.examples.has(r.code)) t.examples.set(r.code, r.examples.slice(0, MAX_EXAMPLES));
  } else t.summary = r;
}
