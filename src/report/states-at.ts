/** The netstat view at a moment: each endpoint's state at time T, from the transitions of every connection. */
import { hostOf } from '../flow/address.js';
import type { ConnectionSummary, Side } from '../records.js';
import { codeFrom, codeSide, codeTo, type TransitionLogView } from '../state/transition-log.js';
import type { TcpState } from '../state/states.js';
import { isoTime } from './format.js';

/** A time `--at` can name that cannot be used: exit 2. */
export class TimeError extends Error {
  override name = 'TimeError';
}

/** A moment as `--at` gives it: the capture's end, epoch seconds, or seconds from the capture's start. */
export type AtSpec = { end: true } | { epoch: number } | { offset: number };

const SECONDS = /^\d+(\.\d*)?$|^\.\d+$/;
/** ISO 8601: a date, or a date and a time, with or without a zone (none: UTC, as the output writes times). */
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** Reads `--at`: epoch seconds, an ISO date (UTC when it has no zone), or `+seconds` from the capture start. */
export function parseAt(at: string | undefined): AtSpec {
  if (at === undefined || at === '') return { end: true };
  if (at.startsWith('+') && SECONDS.test(at.slice(1))) return { offset: Number(at.slice(1)) };
  if (SECONDS.test(at)) return { epoch: Number(at) };
  const iso = ISO.exec(at);
  const zone = iso?.[3]?.toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2').replace(/^([+-]\d{2})$/, '$1:00');
  const ms = iso ? Date.parse(`${iso[1]}T${iso[2] ?? '00:00'}${zone ?? 'Z'}`) : NaN;
  if (Number.isNaN(ms) || (iso && new Date(ms).toISOString().slice(0, 10) !== iso[1] && zone === undefined)) {
    throw new TimeError(`--at ${at}: not epoch seconds, an ISO date (2024-05-01T10:00:00Z) or +seconds from the capture's start`);
  }
  return { epoch: ms / 1000 };
}


/** The moment `spec` names in a capture spanning `start` to `end`; a moment outside it is refused with the span. */
export function resolveAt(spec: AtSpec, start: number | null, end: number | null, given = ''): number {
  if ('end' in spec) return end ?? 0;
  const at = 'offset' in spec ? (start ?? 0) + spec.offset : spec.epoch;
  // A capture without packets has no span: nothing is open at any moment.
  if (start === null || end === null) return at;
  if (at < start || at > end) {
    throw new TimeError(`--at ${given}: outside the capture, which spans ${isoTime(start)} to ${isoTime(end)} (epoch ${start.toFixed(6)} to ${end.toFixed(6)}, +0 to +${(end - start).toFixed(6)})`);
  }
  return at;
}

/** A side's state at time `at`, or undefined when the connection had not begun: from its record's transitions, or from the numbers of its log. */
export function stateAt(c: ConnectionSummary, log: TransitionLogView, side: Side, at: number): TcpState | undefined {
  if (at < c.first_ts) return undefined;
  let state: TcpState | undefined;
  for (let i = 0; i < log.length; i++) {
    const code = log.code(i);
    if (codeSide(code) !== side) continue;
    if (log.ts(i) > at) return state ?? codeFrom(code);
    state = codeTo(code);
  }
  return state ?? (c.opening === 'midstream' ? (side === 'client' ? c.client_state : c.server_state) : 'CLOSED');
}

export type HostStates = Map<string, Partial<Record<TcpState, number>>>;

/** Endpoints per state on each host at a moment (Infinity: the end of the capture), counted as connections end. */
export class StatesAt {
  readonly hosts: HostStates = new Map();

  constructor(private readonly at: number) {}

  add(c: ConnectionSummary, log: TransitionLogView): void {
    for (const side of ['client', 'server'] as const) {
      // At the end, each side is in its last state.
      const state = this.at === Infinity ? (side === 'client' ? c.client_state : c.server_state) : stateAt(c, log, side, this.at);
      if (!state || state === 'CLOSED') continue;
      const host = hostOf(c[side]);
      let counts = this.hosts.get(host);
      if (!counts) this.hosts.set(host, (counts = {}));
      counts[state] = (counts[state] ?? 0) + 1;
    }
  }
}
