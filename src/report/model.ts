/** Everything a report shows, gathered from the record stream with bounded memory. */
import type { ConnectionRecord, FindingRecord, OutputRecord, SummaryRecord } from '../records.js';
import { TCP_STATES, type TcpState } from '../state/states.js';

const MAX_FLAGGED = 30;
const TIMELINE_POINTS = 60;
const SERIOUS = new Set(['syn_unanswered', 'syn_rejected', 'half_open', 'fin_wait1_stuck', 'fin_wait2_stuck', 'close_wait_stuck', 'last_ack_stuck', 'reset', 'zero_window']);

export interface Timeline {
  times: number[];
  counts: Partial<Record<TcpState, number[]>>;
}

export interface ReportModel {
  summary: SummaryRecord;
  findings: FindingRecord[];
  flagged: ConnectionRecord[];
  flaggedTotal: number;
  openings: Record<string, number>;
  closings: Record<string, number>;
  talkers: [string, number][];
  timeline: Timeline;
}

export async function buildReport(records: AsyncIterable<OutputRecord>, connectionIds: string[]): Promise<ReportModel> {
  const wanted = new Set(connectionIds);
  const flagged: ConnectionRecord[] = [];
  let flaggedTotal = 0;
  const findings: FindingRecord[] = [];
  const openings: Record<string, number> = {};
  const closings: Record<string, number> = {};
  const talkers = new Map<string, number>();
  // Transition events as (time, state left, state entered), in growable typed arrays.
  let ts = new Float64Array(1024);
  let moves = new Int8Array(2048);
  let n = 0;
  const stateIndex = new Map<TcpState, number>(TCP_STATES.map((s, i) => [s, i]));
  let summary: SummaryRecord | undefined;
  for await (const r of records) {
    if (r.type === 'connection') {
      openings[r.opening] = (openings[r.opening] ?? 0) + 1;
      closings[r.closing] = (closings[r.closing] ?? 0) + 1;
      if (talkers.size < 100_000 || talkers.has(r.server)) talkers.set(r.server, (talkers.get(r.server) ?? 0) + r.packets);
      for (const t of r.transitions) {
        if (n === ts.length) {
          const ts2 = new Float64Array(n * 2);
          ts2.set(ts);
          ts = ts2;
          const m2 = new Int8Array(n * 4);
          m2.set(moves);
          moves = m2;
        }
        ts[n] = t.ts;
        moves[2 * n] = stateIndex.get(t.from)!;
        moves[2 * n + 1] = stateIndex.get(t.to)!;
        n++;
      }
      const serious = r.anomalies.some((a) => SERIOUS.has(a.code));
      if (serious) flaggedTotal++;
      if (wanted.has(r.id) || (serious && flagged.length < MAX_FLAGGED)) flagged.push(r);
      else delete r.segments;
    } else if (r.type === 'finding') findings.push(r);
    else summary = r;
  }
  if (!summary) throw new Error('the analysis ended without a summary');
  return {
    summary,
    findings,
    flagged,
    flaggedTotal,
    openings,
    closings,
    talkers: [...talkers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
    timeline: timeline(ts.subarray(0, n), moves, summary),
  };
}

/**
 * Endpoints per state over the capture, in TIMELINE_POINTS intervals: each
 * point is the most endpoints the state held at any moment of its interval,
 * so a burst shorter than an interval still shows.
 */
function timeline(ts: Float64Array, moves: Int8Array, summary: SummaryRecord): Timeline {
  const start = summary.first_ts ?? 0;
  const end = summary.last_ts ?? start;
  const span = Math.max(end - start, 1e-6);
  const order = [...ts.keys()].sort((a, b) => ts[a]! - ts[b]!);
  const counts = new Int32Array(TCP_STATES.length);
  const peaks = new Int32Array(TCP_STATES.length);
  const series: Partial<Record<TcpState, number[]>> = {};
  const times: number[] = [];
  let k = 0;
  for (let p = 0; p <= TIMELINE_POINTS; p++) {
    const at = start + (span * p) / TIMELINE_POINTS;
    peaks.set(counts);
    while (k < order.length && ts[order[k]!]! <= at) {
      const i = order[k]!;
      const entered = moves[2 * i + 1]!;
      counts[moves[2 * i]!]!--;
      counts[entered]!++;
      if (counts[entered]! > peaks[entered]!) peaks[entered] = counts[entered]!;
      k++;
    }
    times.push(at);
    TCP_STATES.forEach((state, s) => {
      if (state === 'CLOSED' || state === 'UNKNOWN') return;
      (series[state] ??= []).push(Math.max(0, peaks[s]!));
    });
  }
  for (const state of Object.keys(series) as TcpState[]) if (series[state]!.every((v) => v === 0)) delete series[state];
  return { times, counts: series };
}
