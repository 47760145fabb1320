/** Everything a report shows, gathered from the record stream with bounded memory. */
import type { ConnectionRecord, FindingRecord, OutputRecord, SummaryRecord } from '../records.js';
import { SERIOUS_ANOMALIES } from '../rules/codes.js';
import { TCP_STATES, type TcpState } from '../state/states.js';

const MAX_FLAGGED = 30;
const TIMELINE_POINTS = 60;
/** Events are timed from a day before the first connection's start: a lifecycle ending later may have begun earlier. */
const BASE_MARGIN = 86_400;
const STATE_INDEX = Object.fromEntries(TCP_STATES.map((s, i) => [s, i])) as Record<TcpState, number>;

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
  /** Per state, the endpoints whose state at the end rests on an inferred transition (no packet of theirs proved it). */
  inferredAtEnd: Partial<Record<TcpState, number>>;
  talkers: [string, number][];
  timeline: Timeline;
}

/** Is the side's state at the end inferred: did its last change come with no proof on the wire? */
function endsInferred(r: ConnectionRecord, side: 'client' | 'server'): boolean {
  for (let i = r.transitions.length - 1; i >= 0; i--) if (r.transitions[i]!.side === side) return r.transitions[i]!.inferred === true;
  return false;
}

export async function buildReport(batches: AsyncIterable<OutputRecord[]>, connectionIds: string[]): Promise<ReportModel> {
  const wanted = new Set(connectionIds);
  const flagged: ConnectionRecord[] = [];
  let flaggedTotal = 0;
  const findings: FindingRecord[] = [];
  const openings: Record<string, number> = {};
  const closings: Record<string, number> = {};
  const inferredAtEnd: Partial<Record<TcpState, number>> = {};
  const talkers = new Map<string, number>();
  // Transition events, each one number: microseconds since BASE times 256, plus the state left (high
  // nibble) and entered (low nibble). One Float64Array, grown by doubling, sorted natively at the end.
  let events = new Float64Array(4096);
  let n = 0;
  let base = NaN;
  let summary: SummaryRecord | undefined;
  for await (const batch of batches) for (const r of batch) {
    if (r.type === 'connection') {
      openings[r.opening] = (openings[r.opening] ?? 0) + 1;
      closings[r.closing] = (closings[r.closing] ?? 0) + 1;
      if (endsInferred(r, 'client')) inferredAtEnd[r.client_state] = (inferredAtEnd[r.client_state] ?? 0) + 1;
      if (endsInferred(r, 'server')) inferredAtEnd[r.server_state] = (inferredAtEnd[r.server_state] ?? 0) + 1;
      if (talkers.size < 100_000 || talkers.has(r.server)) talkers.set(r.server, (talkers.get(r.server) ?? 0) + r.packets);
      if (Number.isNaN(base)) base = Math.floor(r.first_ts) - BASE_MARGIN;
      for (const t of r.transitions) {
        if (n === events.length) {
          const grown = new Float64Array(n * 2);
          grown.set(events);
          events = grown;
        }
        events[n++] = Math.round((t.ts - base) * 1e6) * 256 + STATE_INDEX[t.from] * 16 + STATE_INDEX[t.to];
      }
      const serious = r.anomalies.some((a) => SERIOUS_ANOMALIES.has(a.code));
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
    inferredAtEnd,
    talkers: [...talkers.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10),
    timeline: timeline(events.subarray(0, n), base, summary),
  };
}

/**
 * Endpoints per state over the capture, in TIMELINE_POINTS intervals: each
 * point is the most endpoints the state held at any moment of its interval
 * (after all the changes of that microsecond), so a burst shorter than an
 * interval still shows.
 */
function timeline(events: Float64Array, base: number, summary: SummaryRecord): Timeline {
  const start = summary.first_ts ?? 0;
  const end = summary.last_ts ?? start;
  const span = Math.max(end - start, 1e-6);
  events.sort();
  const counts = new Int32Array(TCP_STATES.length);
  const peaks = new Int32Array(TCP_STATES.length);
  const series: Partial<Record<TcpState, number[]>> = {};
  const times: number[] = [];
  let k = 0;
  for (let p = 0; p <= TIMELINE_POINTS; p++) {
    const at = start + (span * p) / TIMELINE_POINTS;
    const until = Math.round((at - base) * 1e6) * 256 + 255;
    peaks.set(counts);
    while (k < events.length && events[k]! <= until) {
      // Every change of one microsecond first, then the peaks: a state held for no time at all is not held.
      const instant = Math.floor(events[k]! / 256);
      for (; k < events.length && Math.floor(events[k]! / 256) === instant; k++) {
        const code = events[k]! % 256;
        counts[code >> 4]!--;
        counts[code & 15]!++;
      }
      for (let s = 0; s < counts.length; s++) if (counts[s]! > peaks[s]!) peaks[s] = counts[s]!;
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
