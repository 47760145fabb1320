/**
 * Counts per code from a record stream: what a check or a diff compares.
 *
 * Anomalies count connections, findings their `count`, each under three
 * kinds of key:
 * - overall, by code (`max`);
 * - by endpoint (`per_endpoint`): the endpoint concerned (`ip:port`) and its
 *   host (`ip`); a finding under its endpoint, and a listener's also under
 *   its host;
 * - by workload (`--baseline`): what stays the same when the same workload
 *   is recorded again. A server side is its `ip:port`; a client side is its
 *   host and the server it talked to (`10.0.0.1 -> 10.0.0.2:8080`), never its
 *   ephemeral port, which changes with every connection; a finding is its
 *   endpoint, which names clients by host already.
 */
import { hostOf } from '../flow/address.js';
import type { ConnectionRecord, ConnectionSummary, FindingExample, OutputRecord, SummaryRecord } from '../records.js';

const MAX_EXAMPLES = 3;

export interface FindingSeen {
  code: string;
  endpoint: string;
  severity: string;
  count: number;
  summary: string;
}

export class Tally {
  /** code -> count. */
  readonly total = new Map<string, number>();
  /** `code|endpoint` and `code|host` -> count. */
  readonly perEndpoint = new Map<string, number>();
  /** `code|workload` -> count. */
  readonly perWorkload = new Map<string, number>();
  /** `code|key` (any of the keys above, or a bare code, or a state) -> the first few connections counted there. */
  private readonly examples = new Map<string, FindingExample[]>();
  /** `code|endpoint` -> the finding. */
  readonly findings = new Map<string, FindingSeen>();
  summary: SummaryRecord | undefined;

  add(r: OutputRecord): void {
    if (r.type === 'connection') this.connection(r);
    else if (r.type === 'finding') {
      const endpoint = r.endpoint;
      const keys = [`${r.code}|${endpoint}`];
      if (hasPort(endpoint)) keys.push(`${r.code}|${hostOf(endpoint)}`);
      bump(this.total, r.code, r.count);
      for (const key of keys) bump(this.perEndpoint, key, r.count);
      bump(this.perWorkload, `${r.code}|${endpoint}`, r.count);
      this.findings.set(`${r.code}|${endpoint}`, { code: r.code, endpoint, severity: r.severity, count: r.count, summary: r.summary });
      for (const e of r.examples ?? []) for (const key of [r.code, ...keys]) this.example(key, e);
    } else this.summary = r;
  }

  /** The first few connections counted under `key` (a code, `code|endpoint`, `code|workload`, or a state). */
  examplesOf(key: string): FindingExample[] {
    return this.examples.get(key) ?? [];
  }

  private connection(c: ConnectionRecord | ConnectionSummary): void {
    const e = exampleOf(c);
    // A connection counts once under each key, however many anomalies of a code it has.
    const seen = new Map<Map<string, number>, Set<string>>([[this.total, new Set()], [this.perEndpoint, new Set()], [this.perWorkload, new Set()]]);
    for (const a of c.anomalies) {
      const concerned = a.side === 'server' ? c.server : c.client;
      const workload = a.side === 'server' ? c.server : `${hostOf(c.client)} -> ${c.server}`;
      const keys: [Map<string, number>, string][] = [
        [this.total, a.code],
        [this.perEndpoint, `${a.code}|${concerned}`],
        [this.perEndpoint, `${a.code}|${hostOf(concerned)}`],
        [this.perWorkload, `${a.code}|${workload}`],
      ];
      for (const [counts, key] of keys) {
        const counted = seen.get(counts)!;
        if (counted.has(key)) continue;
        counted.add(key);
        bump(counts, key);
        this.example(key, e);
      }
    }
    for (const state of new Set([c.client_state, c.server_state])) this.example(state, e);
  }

  private example(key: string, e: FindingExample): void {
    const list = this.examples.get(key);
    if (!list) this.examples.set(key, [e]);
    // A key can be reached twice for one connection (a server's ip:port is both its endpoint and its workload).
    else if (list.length < MAX_EXAMPLES && !list.some((x) => x.id === e.id)) list.push(e);
  }
}

/** "ip:port" or "[ip6]:port", not a bare host. */
const hasPort = (endpoint: string): boolean => endpoint.startsWith('[') || endpoint.split(':').length === 2;
const bump = (m: Map<string, number>, k: string, n = 1): void => void m.set(k, (m.get(k) ?? 0) + n);
const exampleOf = (c: ConnectionSummary): FindingExample => ({ id: c.id, first_frame: c.first_frame, last_frame: c.last_frame, client: c.client, server: c.server });
