/** The netstat view at a moment: each endpoint's state at time T, from the transitions of every connection. */
import { hostOf } from '../flow/address.js';
import type { ConnectionRecord } from '../records.js';
import type { TcpState } from '../state/states.js';

/** Parses `--at`: epoch seconds, an ISO date, or `+seconds` from the capture start. */
export function parseAt(at: string | undefined, start: number | null, end: number | null): number {
  if (at === undefined || at === '') return end ?? 0;
  if (at.startsWith('+')) {
    const offset = Number(at.slice(1));
    if (!Number.isFinite(offset)) throw new Error(`--at ${at}: not a number of seconds`);
    return (start ?? 0) + offset;
  }
  const n = Number(at);
  if (Number.isFinite(n)) return n;
  const parsed = Date.parse(at);
  if (Number.isNaN(parsed)) throw new Error(`--at ${at}: not epoch seconds, an ISO date or +seconds`);
  return parsed / 1000;
}

/** A side's state at time `at`, or undefined when the connection had not begun. */
export function stateAt(c: ConnectionRecord, side: 'client' | 'server', at: number): TcpState | undefined {
  if (at < c.first_ts) return undefined;
  let state: TcpState | undefined;
  for (const t of c.transitions) {
    if (t.side !== side) continue;
    if (t.ts > at) return state ?? t.from;
    state = t.to;
  }
  return state ?? (c.opening === 'midstream' ? (side === 'client' ? c.client_state : c.server_state) : 'CLOSED');
}

export type HostStates = Map<string, Partial<Record<TcpState, number>>>;


export class StatesAt {
  readonly hosts: HostStates = new Map();

  constructor(private readonly at: number) {}

  add(c: ConnectionRecord): void {
    for (const side of ['client', 'server'] as const) {
      const state = stateAt(c, side, this.at);
      if (!state || state === 'CLOSED') continue;
      const host = hostOf(c[side]);
      let counts = this.hosts.get(host);
      if (!counts) this.hosts.set(host, (counts = {}));
      counts[state] = (counts[state] ?? 0) + 1;
    }
  }
}
