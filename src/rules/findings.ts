/**
 * Findings: per-endpoint aggregates of connection anomalies and end states,
 * for people on call. Rules are data (RULES below); the aggregator consumes
 * records one at a time and keeps only counters and a few example ids.
 */
import { hasHost, hostOf } from '../flow/address.js';
import type { ConnectionSummary, FindingCode, FindingExample, FindingRecord, Severity } from '../records.js';
import { entered, type TransitionLogView } from '../state/transition-log.js';
import { ADVICE } from './knowledge.js';

const MAX_EXAMPLES = 20;
const MAX_SOURCES = 10_000;
const EPHEMERAL_PORTS = 60999 - 32768 + 1;
/** Unreachable ports of one host from which they are reported as one host-wide finding. */
const SCAN_PORTS = 10;

/**
 * Where an example began in the run: the frame its id names. The same as its
 * first frame in one run; in a merge of several files' analyses, ids count
 * frames across the files and first frames within each file.
 */
function exampleFrame(e: Pick<FindingExample, 'id' | 'first_frame'>): number {
  // Read digit by digit: this runs for most records, and a slice would be a string each time.
  const id = e.id;
  if (id.length > 16) return numberAfterFirst(e); // past 15 digits, only Number() rounds as it does
  let n = 0;
  for (let i = 1; i < id.length; i++) {
    const digit = id.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return numberAfterFirst(e);
    n = n * 10 + digit;
  }
  return id.length > 1 ? n : numberAfterFirst(e);
}

function numberAfterFirst(e: Pick<FindingExample, 'id' | 'first_frame'>): number {
  const n = Number(e.id.slice(1));
  return Number.isFinite(n) ? n : e.first_frame;
}

/** The earliest connections (by first frame) are the examples, whatever order records come in. */
function keepExample(examples: FindingExample[], c: ConnectionSummary): void {
  const frame = exampleFrame(c);
  if (examples.length === MAX_EXAMPLES && frame >= exampleFrame(examples[MAX_EXAMPLES - 1]!)) return;
  let i = examples.length;
  while (i > 0 && exampleFrame(examples[i - 1]!) > frame) i--;
  examples.splice(i, 0, { id: c.id, first_frame: c.first_frame, last_frame: c.last_frame, client: c.client, server: c.server });
  if (examples.length > MAX_EXAMPLES) examples.pop();
}

export interface Aggregate {
  code: FindingCode;
  endpoint: string;
  count: number;
  total: number;
  firstTs: number;
  lastTs: number;
  /** Longest wait, for stuck states. */
  longest: number;
  /** Connections still in the stuck state at the end of the capture. */
  atEnd: number;
  sources: Set<string>;
  ports: Set<number>;
  examples: FindingExample[];
}

interface Rule {
  code: FindingCode;
  /** Which endpoint a matching connection counts toward, or undefined when it does not match. */
  match(c: ConnectionSummary, log: TransitionLogView): { endpoint: string; wait?: number; atEnd?: boolean } | undefined;
  minCount: number;
  severity(a: Aggregate): Severity;
  summary(a: Aggregate): string;
}

/** The connection's first anomaly of a code (and side, when given): a loop, since every rule asks it of every connection. */
function anomaly(c: ConnectionSummary, code: string, side?: 'server' | 'client'): ConnectionSummary['anomalies'][number] | undefined {
  const anomalies = c.anomalies;
  for (let i = 0; i < anomalies.length; i++) {
    const a = anomalies[i]!;
    if (a.code === code && (side === undefined || a.side === side)) return a;
  }
  return undefined;
}
const minutes = (s: number) => (s >= 120 ? `${(s / 60).toFixed(0)} minutes` : `${s.toFixed(1)} s`);

function stuck(code: FindingCode, anomalyCode: string, state: string, side: 'server' | 'client' | 'either', what: string): Rule {
  return {
    code,
    minCount: 1,
    match(c) {
      const a = anomaly(c, anomalyCode, side === 'either' ? undefined : side);
      if (!a) return undefined;
      // Listeners by ip:port, clients by ip: a client's ephemeral ports change with every connection.
      return { endpoint: a.side === 'server' ? c.server : hostOf(c.client), wait: a.duration, atEnd: (a.side === 'server' ? c.server_state : c.client_state) === state };
    },
    severity: (a) => (a.count >= 100 ? 'critical' : 'warning'),
    summary: (a) =>
      a.atEnd === a.count
        ? `${a.endpoint} holds ${a.count} connection(s) in ${state} at the end of the capture, the longest for ${minutes(a.longest)}; ${what}`
        : `${a.endpoint} had ${a.count} connection(s) stuck in ${state} (${a.atEnd} still there at the end of the capture), the longest for ${minutes(a.longest)}; ${what}`,
  };
}

export const RULES: Rule[] = [
  stuck('close_wait_leak', 'close_wait_stuck', 'CLOSE_WAIT', 'either', 'the application does not close its sockets after the peer\'s FIN'),
  stuck('fin_wait2_pileup', 'fin_wait2_stuck', 'FIN_WAIT2', 'either', 'its FINs were acknowledged but the peer never closed its end'),
  stuck('fin_wait1_pileup', 'fin_wait1_stuck', 'FIN_WAIT1', 'either', 'its FINs go unacknowledged: the peer or the path is gone'),
  stuck('last_ack_pileup', 'last_ack_stuck', 'LAST_ACK', 'either', 'its closing FINs go unacknowledged after the peer\'s FIN'),
  {
    code: 'time_wait_storm',
    minCount: 100,
    match: (c, log) => (c.client_state === 'TIME_WAIT' || entered(log, 'client', 'TIME_WAIT') ? { endpoint: hostOf(c.client) } : undefined),
    severity: (a) => (a.ports.size > EPHEMERAL_PORTS / 2 ? 'critical' : a.ports.size > EPHEMERAL_PORTS / 10 ? 'warning' : 'info'),
    summary: (a) => {
      const span = Math.max(a.lastTs - a.firstTs, 1e-6);
      return `${a.endpoint} closed ${a.count} connections first (TIME_WAIT), ${(a.count / span).toFixed(1)} per second, using ${a.ports.size} of the ${EPHEMERAL_PORTS} default ephemeral ports`;
    },
  },
  {
    code: 'server_closes_first',
    minCount: 100,
    match: (c, log) => (c.active_closer === 'server' && (c.server_state === 'TIME_WAIT' || entered(log, 'server', 'TIME_WAIT')) ? { endpoint: c.server } : undefined),
    severity: () => 'info',
    summary: (a) => {
      const span = Math.max(a.lastTs - a.firstTs, 1e-6);
      return `${a.endpoint} closed ${a.count} connections first, ${(a.count / span).toFixed(1)} per second, so their TIME_WAIT (60 s each) stays on the server, from ${a.sources.size} client address(es)`;
    },
  },
  {
    code: 'syn_flood',
    minCount: 20,
    match: (c) => { const a = anomaly(c, 'half_open'); return a && !a.ack_dropped ? { endpoint: c.server } : undefined; },
    severity: (a) => (a.sources.size >= 50 ? 'critical' : 'warning'),
    summary: (a) => `${a.endpoint} has ${a.count} half-open handshakes (SYN_RECV, no final ACK) from ${a.sources.size} source address(es)`,
  },
  {
    code: 'accept_queue_overflow',
    minCount: 1,
    match: (c) => { const a = anomaly(c, 'half_open'); return a?.ack_dropped ? { endpoint: c.server, wait: a.duration } : undefined; },
    severity: (a) => (a.count >= 100 ? 'critical' : 'warning'),
    summary: (a) => `${a.endpoint} did not take the handshake's final ACK on ${a.count} connection(s): it kept them in SYN_RECV, sending its SYN-ACK again, while their clients were ESTABLISHED (the longest for ${minutes(a.longest)}); its accept queue is full`,
  },
  {
    code: 'service_unreachable',
    minCount: 1,
    match: (c) => (anomaly(c, 'syn_unanswered') || anomaly(c, 'syn_rejected') ? { endpoint: c.server } : undefined),
    severity: (a) => (a.count >= 10 ? 'critical' : 'warning'),
    summary: (a) =>
      a.ports.size >= SCAN_PORTS
        ? `${a.count} connection attempts to ${a.ports.size} ports of ${a.endpoint} from ${a.sources.size} source(s) were refused or never answered: a port scan, or clients probing ports where nothing listens`
        : `${a.count} connection attempt(s) to ${a.endpoint} were refused or never answered`,
  },
  {
    code: 'reset_storm',
    minCount: 10,
    match: (c) => { const a = anomaly(c, 'reset'); return a ? { endpoint: a.side === 'server' ? c.server : hostOf(c.client) } : undefined; },
    severity: (a) => (a.count >= 100 ? 'critical' : 'warning'),
    summary: (a) => `${a.endpoint} aborted ${a.count} connections with RST`,
  },
  {
    code: 'retransmission_storm',
    minCount: 10,
    match: (c) => { const a = anomaly(c, 'retransmissions'); return a && (a.count ?? 0) >= 3 ? { endpoint: c.server } : undefined; },
    severity: (a) => (a.count >= 100 ? 'critical' : 'warning'),
    summary: (a) => `${a.count} connections with ${a.endpoint} retransmitted three times or more: loss on the path or an overloaded peer`,
  },
  {
    code: 'zero_window_stall',
    minCount: 1,
    match: (c) => { const a = anomaly(c, 'zero_window'); return a && a.duration >= 1 ? { endpoint: a.side === 'server' ? c.server : hostOf(c.client), wait: a.duration } : undefined; },
    severity: (a) => (a.longest >= 30 ? 'warning' : 'info'),
    summary: (a) => `${a.endpoint} advertised a zero window on ${a.count} connection(s), the longest stall ${minutes(a.longest)}: its application reads too slowly`,
  },
];

export class FindingsAggregator {
  /** Per finding code, the aggregates by endpoint. */
  private readonly aggregates = new Map<FindingCode, Map<string, Aggregate>>(RULES.map((r) => [r.code, new Map()]));
  /** The same maps by the rule's index in RULES. */
  private readonly byRule = RULES.map((r) => this.aggregates.get(r.code)!);
  /** The host last taken from a client endpoint: records in a row mostly share it, and then the same string is added to sources. */
  private lastHost = '';

  constructor(
    readonly options: {
      stuckAfter: number;
      minCount?: Partial<Record<FindingCode, number>>;
      /** Told of each aggregate a connection counts toward (the report keeps the connections of a finding's examples). */
      onMatch?: (code: FindingCode, endpoint: string, c: ConnectionSummary) => void;
    },
  ) {}

  /** Counts one ended connection: its record but for the transitions, and the transitions as numbers. */
  add(c: ConnectionSummary, log: TransitionLogView): void {
    let clientIp: string | undefined;
    for (let r = 0; r < RULES.length; r++) {
      const rule = RULES[r]!;
      const hit = rule.match(c, log);
      if (!hit) continue;
      const byEndpoint = this.byRule[r]!;
      let a = byEndpoint.get(hit.endpoint);
      if (!a) {
        a = { code: rule.code, endpoint: hit.endpoint, count: 0, total: 0, firstTs: c.first_ts, lastTs: c.last_ts, longest: 0, atEnd: 0, sources: new Set(), ports: new Set(), examples: [] };
        byEndpoint.set(hit.endpoint, a);
      }
      a.count++;
      a.firstTs = Math.min(a.firstTs, c.first_ts);
      a.lastTs = Math.max(a.lastTs, c.last_ts);
      a.longest = Math.max(a.longest, hit.wait ?? 0);
      if (hit.atEnd) a.atEnd++;
      clientIp ??= this.hostOf(c.client);
      if (a.sources.size < MAX_SOURCES) a.sources.add(clientIp);
      if (rule.code === 'time_wait_storm') a.ports.add(Number(c.client.slice(c.client.lastIndexOf(':') + 1)));
      keepExample(a.examples, c);
      this.options.onMatch?.(rule.code, hit.endpoint, c);
    }
  }

  /** The host of a client endpoint: the last one's string when it is the same host. */
  private hostOf(endpoint: string): string {
    return this.lastHost !== '' && hasHost(endpoint, this.lastHost) ? this.lastHost : (this.lastHost = hostOf(endpoint));
  }

  private all(): Aggregate[] {
    return [...this.aggregates.values()].flatMap((byEndpoint) => [...byEndpoint.values()]);
  }

  /** The aggregates as plain data, to merge with those of other shards of the same capture. */
  snapshot(): Aggregate[] {
    return this.all();
  }

  /** Adds another shard's aggregates: the result is what one aggregator fed every record would hold. */
  merge(aggregates: Aggregate[]): void {
    for (const other of aggregates) {
      const byEndpoint = this.aggregates.get(other.code)!;
      const a = byEndpoint.get(other.endpoint);
      if (!a) {
        byEndpoint.set(other.endpoint, other);
        continue;
      }
      a.count += other.count;
      a.firstTs = Math.min(a.firstTs, other.firstTs);
      a.lastTs = Math.max(a.lastTs, other.lastTs);
      a.longest = Math.max(a.longest, other.longest);
      a.atEnd += other.atEnd;
      for (const source of other.sources) if (a.sources.size < MAX_SOURCES) a.sources.add(source);
      for (const port of other.ports) a.ports.add(port);
      a.examples = [...a.examples, ...other.examples].sort((x, y) => exampleFrame(x) - exampleFrame(y)).slice(0, MAX_EXAMPLES);
    }
  }

  /** Many unreachable ports of one host are one finding on the host (a port scan, or clients probing wrong ports). */
  private mergeScannedHosts(): Aggregate[] {
    const all = this.all();
    const byHost = new Map<string, Aggregate[]>();
    for (const a of all) {
      if (a.code !== 'service_unreachable') continue;
      const host = hostOf(a.endpoint);
      const list = byHost.get(host);
      if (list) list.push(a);
      else byHost.set(host, [a]);
    }
    const merged: Aggregate[] = all.filter((a) => a.code !== 'service_unreachable' || (byHost.get(hostOf(a.endpoint))?.length ?? 0) < SCAN_PORTS);
    for (const [host, list] of byHost) {
      if (list.length < SCAN_PORTS) continue;
      merged.push({
        code: 'service_unreachable', endpoint: host, count: list.reduce((n, a) => n + a.count, 0), total: 0,
        firstTs: list.reduce((t, a) => Math.min(t, a.firstTs), Infinity), lastTs: list.reduce((t, a) => Math.max(t, a.lastTs), -Infinity), longest: 0, atEnd: 0,
        sources: new Set(list.flatMap((a) => [...a.sources])), ports: new Set(list.map((a) => Number(a.endpoint.slice(a.endpoint.lastIndexOf(':') + 1)))),
        examples: list.flatMap((a) => a.examples).sort((x, y) => exampleFrame(x) - exampleFrame(y)).slice(0, MAX_EXAMPLES),
      });
    }
    return merged;
  }

  results(): FindingRecord[] {
    const order: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
    const out: FindingRecord[] = [];
    for (const a of this.mergeScannedHosts()) {
      const rule = RULES.find((r) => r.code === a.code)!;
      if (a.count < (this.options.minCount?.[a.code] ?? rule.minCount)) continue;
      out.push({
        type: 'finding',
        code: a.code,
        severity: rule.severity(a),
        endpoint: a.endpoint,
        count: a.count,
        connections: a.examples.map((e) => e.id),
        connections_total: a.count,
        first_ts: a.firstTs,
        last_ts: a.lastTs,
        summary: rule.summary(a),
        advice: ADVICE[a.code],
        examples: a.examples.slice(0, 5),
      });
    }
    // Ties in a fixed order, so that findings merged from shards or files come out as one run's.
    const rank = (code: FindingCode) => RULES.findIndex((r) => r.code === code);
    return out.sort((x, y) => order[x.severity] - order[y.severity] || y.count - x.count || rank(x.code) - rank(y.code) || (x.endpoint < y.endpoint ? -1 : x.endpoint > y.endpoint ? 1 : 0));
  }
}

/** How many connections each finding takes before it is reported: fewer are summarized as seen, under the threshold. */
export const FINDING_THRESHOLDS = Object.fromEntries(RULES.map((r) => [r.code, r.minCount])) as Record<FindingCode, number>;
