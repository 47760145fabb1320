/**
 * Everything a report shows, gathered as the pipeline runs, in memory set by
 * the live connections and fixed-size samples, never by the capture's length:
 * counters, the state timeline, a sample of connections for the table, the
 * whole records of the connections it draws (every example of every
 * finding, the ones asked for, the first flagged), and what was seen under
 * the findings' thresholds.
 */
import { toConnectionRecord } from '../flow/lifecycle.js';
import type { ConnectionRecord, ConnectionSummary, FindingCode, FindingRecord, SummaryRecord } from '../records.js';
import { SERIOUS_ANOMALIES } from '../rules/codes.js';
import { FINDING_THRESHOLDS, FindingsAggregator } from '../rules/findings.js';
import type { TcpState } from '../state/states.js';
import { codeSide, INFERRED_BIT, type TransitionLogView } from '../state/transition-log.js';
import { expertEvents, handshakeOptions } from './format.js';
import { StateTimeline, type Grid } from './timeline.js';

/** Finding examples drawn, as the finding records list them. */
const EXAMPLES = 5;
/** Aggregates whose examples are kept whole; past them a finding's ladders are named as not kept. */
const MAX_EXAMPLE_GROUPS = 400;
/** Flagged connections drawn beyond the findings' examples. */
const MAX_FLAGGED = 20;
/** Rows of the connection table: the first connections by first frame (and every one drawn). */
const TABLE_ROWS = 1000;
/** End-state groups counted for "also seen"; more are summed as one. */
const MAX_GROUPS = 10_000;
/** Intervals of the chart in text and Markdown, and in HTML. */
export const TEXT_INTERVALS = 60;
export const HTML_INTERVALS = 120;

/** One row of the connection table. */
export interface TableRow {
  id: string;
  first_frame: number;
  client: string;
  server: string;
  opening: string;
  closing: string;
  client_state: TcpState;
  server_state: TcpState;
  conn_state: string;
  duration: number;
  handshake_rtt: number | null;
  client_packets: number;
  server_packets: number;
  orig_bytes: number;
  resp_bytes: number;
  /** The handshake's options and each side's Expert Info events, in short (see format.ts). */
  options: string;
  client_events: string;
  server_events: string;
  anomalies: string[];
}

/** Something seen that did not make a finding, in a sentence. */
export interface AlsoSeen {
  text: string;
  /** Connections behind it, for ordering. */
  count: number;
}

export interface ReportModel {
  summary: SummaryRecord;
  findings: FindingRecord[];
  /** Connections drawn as ladders, by first frame: every example of every finding, those asked for, and the first flagged. */
  ladders: ConnectionRecord[];
  /** Example ids of findings whose records were not kept (a capture with very many aggregates). */
  notKept: string[];
  /** Ids asked for (`--connection`) that no connection of the capture has. */
  notFound: string[];
  /** Connections with a serious anomaly, and how many of them are drawn. */
  flaggedTotal: number;
  table: TableRow[];
  openings: Record<string, number>;
  closings: Record<string, number>;
  /** Per state, the endpoints whose state at the end rests on an inferred transition (no packet of theirs proved it). */
  inferredAtEnd: Partial<Record<TcpState, number>>;
  talkers: [string, number][];
  chart: Grid;
  htmlChart: Grid;
  alsoSeen: AlsoSeen[];
  stuckAfter: number;
}

/** Keeps the `limit` items with the smallest key. */
class Smallest<T> {
  private items: T[] = [];
  constructor(
    private readonly limit: number,
    private readonly key: (item: T) => number,
  ) {}

  /** Would an item of this key be kept? (Lets the caller skip making it.) */
  wants(key: number): boolean {
    const items = this.items;
    return items.length < this.limit || key < this.key(items[items.length - 1]!);
  }

  offer(item: T): void {
    const items = this.items;
    if (!this.wants(this.key(item))) return;
    let i = items.length;
    while (i > 0 && this.key(items[i - 1]!) > this.key(item)) i--;
    items.splice(i, 0, item);
    if (items.length > this.limit) items.pop();
  }

  get all(): T[] {
    return this.items;
  }
}

/** The waits a side may end in, with the anomaly that judges each: the others were too short to judge. */
const WAITS: Partial<Record<TcpState, { code: string; side: 'client' | 'server' | 'either' }>> = {
  SYN_SENT: { code: 'syn_unanswered', side: 'client' },
  SYN_RECV: { code: 'half_open', side: 'server' },
  FIN_WAIT1: { code: 'fin_wait1_stuck', side: 'either' },
  FIN_WAIT2: { code: 'fin_wait2_stuck', side: 'either' },
  CLOSE_WAIT: { code: 'close_wait_stuck', side: 'either' },
  LAST_ACK: { code: 'last_ack_stuck', side: 'either' },
  CLOSING: { code: '', side: 'either' },
};

export class ReportBuilder {
  readonly timeline: StateTimeline;
  private readonly findingsAggregator: FindingsAggregator;
  private readonly wanted: Set<string>;
  /** Per finding aggregate (code and endpoint), its earliest connections, whole. */
  private readonly examples = new Map<string, Smallest<ConnectionRecord>>();
  private readonly requested: ConnectionRecord[] = [];
  private readonly flagged = new Smallest<ConnectionRecord>(MAX_FLAGGED, (c) => c.first_frame);
  private flaggedTotal = 0;
  private readonly table = new Smallest<TableRow>(TABLE_ROWS, (r) => r.first_frame);
  private readonly openings: Record<string, number> = {};
  private readonly closings: Record<string, number> = {};
  private readonly inferredAtEnd: Partial<Record<TcpState, number>> = {};
  private readonly talkers = new Map<string, number>();
  /** Endpoints that ended in a wait too short to judge, by state and the server they talk to. */
  private readonly waits = new Map<string, number>();
  /** The record being added, made whole once for whoever keeps it. */
  private current: { summary: ConnectionSummary; log: TransitionLogView; record?: ConnectionRecord } | undefined;

  constructor(private readonly options: { stuckAfter: number; timeWait: number; connectionIds: string[] }) {
    this.timeline = new StateTimeline(options.timeWait);
    this.wanted = new Set(options.connectionIds);
    // Every aggregate, also those under a finding's threshold: they are reported as seen.
    const everyAggregate = Object.fromEntries(Object.keys(FINDING_THRESHOLDS).map((code) => [code, 1])) as Record<FindingCode, number>;
    this.findingsAggregator = new FindingsAggregator({ stuckAfter: options.stuckAfter, minCount: everyAggregate, onMatch: (code, endpoint) => this.keepExample(code, endpoint) });
  }

  private record(): ConnectionRecord {
    const current = this.current!;
    return (current.record ??= toConnectionRecord(current.summary, current.log));
  }

  private keepExample(code: FindingCode, endpoint: string): void {
    const key = `${code} ${endpoint}`;
    let kept = this.examples.get(key);
    if (!kept) {
      if (this.examples.size >= MAX_EXAMPLE_GROUPS) return;
      this.examples.set(key, (kept = new Smallest<ConnectionRecord>(EXAMPLES, (c) => c.first_frame)));
    }
    if (kept.wants(this.current!.summary.first_frame)) kept.offer(this.record());
  }

  /** One ended connection, as the pipeline hands it on. */
  connection(summary: ConnectionSummary, log: TransitionLogView): void {
    this.current = { summary, log };
    const c = summary;
    this.openings[c.opening] = (this.openings[c.opening] ?? 0) + 1;
    this.closings[c.closing] = (this.closings[c.closing] ?? 0) + 1;
    this.countInferredEnd(c, log);
    if (this.talkers.size < 100_000 || this.talkers.has(c.server)) this.talkers.set(c.server, (this.talkers.get(c.server) ?? 0) + c.packets);
    this.findingsAggregator.add(c, log);
    if (this.wanted.has(c.id)) this.requested.push(this.record());
    if (c.anomalies.some((a) => SERIOUS_ANOMALIES.has(a.code))) {
      this.flaggedTotal++;
      if (this.flagged.wants(c.first_frame)) this.flagged.offer(this.record());
    }
    this.countShortWaits(c);
    if (this.table.wants(c.first_frame)) this.table.offer(row(c));
    this.current = undefined;
  }

  /** Per state at the end, the endpoints whose last change no packet of theirs proved. */
  private countInferredEnd(c: ConnectionSummary, log: TransitionLogView): void {
    let client = false;
    let server = false;
    for (let i = log.length - 1; i >= 0 && !(client && server); i--) {
      const code = log.code(i);
      const side = codeSide(code);
      if (side === 'client' && !client) {
        client = true;
        if (code & INFERRED_BIT) this.inferredAtEnd[c.client_state] = (this.inferredAtEnd[c.client_state] ?? 0) + 1;
      } else if (side === 'server' && !server) {
        server = true;
        if (code & INFERRED_BIT) this.inferredAtEnd[c.server_state] = (this.inferredAtEnd[c.server_state] ?? 0) + 1;
      }
    }
  }

  /** Sides that ended in a wait no anomaly judged: it had lasted less than --stuck-after. */
  private countShortWaits(c: ConnectionSummary): void {
    for (const side of ['client', 'server'] as const) {
      const state = side === 'client' ? c.client_state : c.server_state;
      const wait = WAITS[state];
      if (!wait || (wait.side !== 'either' && wait.side !== side)) continue;
      if (c.anomalies.some((a) => a.code === wait.code && a.side === side)) continue;
      const key = this.waits.size < MAX_GROUPS ? `${state} ${side} ${c.server}` : `${state} ${side} other`;
      this.waits.set(key, (this.waits.get(key) ?? 0) + 1);
    }
  }

  /** The model, once the summary came. */
  build(summary: SummaryRecord): ReportModel {
    const all = this.findingsAggregator.results();
    const findings = all.filter((f) => f.count >= FINDING_THRESHOLDS[f.code]);
    const drawn = new Map<string, ConnectionRecord>();
    const notKept: string[] = [];
    // By code, every connection kept: a finding's examples are the earliest of its aggregate, or, for a
    // host-wide finding, of its ports' aggregates, each of which kept its own earliest.
    const keptByCode = new Map<string, Map<string, ConnectionRecord>>();
    for (const [key, kept] of this.examples) {
      const code = key.slice(0, key.indexOf(' '));
      let byId = keptByCode.get(code);
      if (!byId) keptByCode.set(code, (byId = new Map()));
      for (const c of kept.all) byId.set(c.id, c);
    }
    for (const f of findings) {
      for (const e of f.examples) {
        const c = keptByCode.get(f.code)?.get(e.id);
        if (c) drawn.set(c.id, c);
        else notKept.push(e.id);
      }
    }
    for (const c of this.requested) drawn.set(c.id, c);
    for (const c of this.flagged.all) drawn.set(c.id, c);
    const ladders = [...drawn.values()].sort((a, b) => a.first_frame - b.first_frame);
    const rows = new Map(this.table.all.map((r) => [r.id, r]));
    for (const c of ladders) rows.set(c.id, row(c));
    return {
      summary: { ...summary, findings: findings.length },
      findings,
      ladders,
      notKept: [...new Set(notKept)],
      notFound: [...this.wanted].filter((id) => !this.requested.some((c) => c.id === id)),
      flaggedTotal: this.flaggedTotal,
      table: [...rows.values()].sort((a, b) => a.first_frame - b.first_frame),
      openings: this.openings,
      closings: this.closings,
      inferredAtEnd: this.inferredAtEnd,
      talkers: [...this.talkers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
      chart: this.timeline.grid(summary.last_ts, TEXT_INTERVALS),
      htmlChart: this.timeline.grid(summary.last_ts, HTML_INTERVALS),
      alsoSeen: this.alsoSeen(all),
      stuckAfter: this.options.stuckAfter,
    };
  }

  /** Aggregates under their finding's threshold, and waits too short to judge, largest first. */
  private alsoSeen(all: FindingRecord[]): AlsoSeen[] {
    const out: AlsoSeen[] = [];
    for (const f of all) {
      const threshold = FINDING_THRESHOLDS[f.code];
      if (f.count >= threshold) continue;
      out.push({ text: `\`${f.code}\` on ${f.endpoint}: ${f.summary}; under the finding's threshold of ${threshold} connections`, count: f.count });
    }
    for (const [key, count] of this.waits) {
      const [state, side, server] = key.split(' ') as [TcpState, string, string];
      const where = `${side === 'client' ? 'toward' : 'on'} ${server === 'other' ? 'other servers' : server}`;
      out.push({
        text: `${count} ${count === 1 ? 'endpoint' : 'endpoints'} in ${state} ${where} at the end of the capture, for less than --stuck-after (${this.options.stuckAfter} s): too soon to call ${count === 1 ? 'it' : 'them'} stuck`,
        count,
      });
    }
    return out.sort((a, b) => b.count - a.count);
  }
}

function row(c: ConnectionSummary): TableRow {
  return {
    id: c.id,
    first_frame: c.first_frame,
    client: c.client,
    server: c.server,
    opening: c.opening,
    closing: c.closing,
    client_state: c.client_state,
    server_state: c.server_state,
    conn_state: c.conn_state,
    duration: c.duration,
    handshake_rtt: c.handshake_rtt,
    client_packets: c.client_packets,
    server_packets: c.server_packets,
    orig_bytes: c.orig_bytes,
    resp_bytes: c.resp_bytes,
    options: handshakeOptions(c),
    client_events: expertEvents(c.client_analysis),
    server_events: expertEvents(c.server_analysis),
    anomalies: [...new Set(c.anomalies.map((a) => a.code))],
  };
}
