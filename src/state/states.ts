/** TCP endpoint states in netstat/ss names, plus UNKNOWN when the capture cannot tell. */
export const TCP_STATES = [
  'SYN_SENT',
  'SYN_RECV',
  'ESTABLISHED',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'CLOSING',
  'TIME_WAIT',
  'CLOSE_WAIT',
  'LAST_ACK',
  'CLOSED',
  'UNKNOWN',
] as const;

export type TcpState = (typeof TCP_STATES)[number];

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${String(x)}`);
}

/** The handshake's states: such a side sends nothing but SYNs and SYN-ACKs. */
export const OPENING_STATES = ['SYN_SENT', 'SYN_RECV'] as const;
export type OpeningState = (typeof OPENING_STATES)[number];
export const isOpening = (s: TcpState): s is OpeningState => s === 'SYN_SENT' || s === 'SYN_RECV';

/** A side that is done: nothing more can happen to it but a timer or a new connection. */
export const OVER_STATES = ['TIME_WAIT', 'CLOSED'] as const;
export type OverState = (typeof OVER_STATES)[number];
export const isOver = (s: TcpState): s is OverState => s === 'TIME_WAIT' || s === 'CLOSED';

/** Waits on the peer during a close, judged stuck when they last too long without progress. */
export const CLOSE_WAITS = ['FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK'] as const;
export type CloseWait = (typeof CLOSE_WAITS)[number];
export const isCloseWait = (s: TcpState): s is CloseWait => s === 'FIN_WAIT1' || s === 'FIN_WAIT2' || s === 'CLOSE_WAIT' || s === 'LAST_ACK';

/**
 * Other spellings of the same states, as people copy them from other tools:
 * `ss` (ESTAB, CLOSE-WAIT, FIN-WAIT-2, UNCONN), its state filters
 * (established, close-wait) and BSD netstat (SYN_RCVD, FIN_WAIT_2). Matched
 * after upper-casing and turning `-` into `_`.
 */
const STATE_ALIASES: Readonly<Record<string, TcpState>> = {
  ESTAB: 'ESTABLISHED',
  SYN_RCVD: 'SYN_RECV',
  FIN_WAIT_1: 'FIN_WAIT1',
  FIN_WAIT_2: 'FIN_WAIT2',
  UNCONN: 'CLOSED',
};

/** The state a name means, in any of the spellings above; undefined when it names none. */
export function stateNamed(name: string): TcpState | undefined {
  const key = name.trim().toUpperCase().replace(/-/g, '_');
  return (TCP_STATES as readonly string[]).includes(key) ? (key as TcpState) : Object.hasOwn(STATE_ALIASES, key) ? STATE_ALIASES[key] : undefined;
}
