/**
 * A lifecycle's transitions, kept as three numbers each rather than an
 * object: a lifecycle lives long enough to be promoted, and its transitions
 * with it. Objects are made only for consumers of records (`transitionsOf`);
 * NDJSON output encodes the numbers directly.
 *
 * Per transition: the time (rounded to the microsecond), the frame (0: none,
 * as for timers) and a code: side (bit 0), from (bits 1-4), to (bits 5-8),
 * cause (bits 9-14), inferred (bit 15).
 */
import type { Side, Transition } from '../records.js';
import { assertNever, TCP_STATES, type TcpState } from './states.js';

/** Why a state changed: a closed list, so a transition's cause fits in six bits (64 at most: widen the code before adding more). */
export const CAUSES = [
  'sent SYN',
  'received SYN',
  'sent SYN-ACK',
  'received SYN-ACK',
  'retransmitted SYN-ACK: handshake ACK lost or dropped',
  'received ACK of SYN',
  'sent FIN',
  'received FIN',
  'received ACK of FIN',
  'retransmitted FIN: final ACK lost',
  'sent RST',
  'received RST',
  'seen sending on an open connection',
  'TIME_WAIT expired',
  'TIME_WAIT ended by a new SYN',
  'sent SYN-ACK: uncaptured, acknowledged by the peer',
  'received SYN-ACK: uncaptured, acknowledged',
  'sent FIN: uncaptured, acknowledged by the peer',
  'sent data: uncaptured, acknowledged by the peer',
  'retransmitted SYN: SYN-ACK not received',
  'received ACK of FIN: FIN not sent again',
  'received ACK of FIN: uncaptured, FIN not sent again',
  'received FIN: acknowledged, ACK uncaptured',
  'gave up retransmitting SYN',
  'gave up retransmitting SYN-ACK',
  'gave up retransmitting data',
  'gave up retransmitting FIN',
  'sent RST after unanswered keepalive probes',
  'sent after an RST: did not take it',
  'sent after its silence: had not closed',
  'sent no SYN-ACK again: kept no request (SYN cookie)',
  'received FIN: seen near it, its ACK lost',
  'sent data after an inferred FIN: it was data',
  'sent FIN: uncaptured, a later segment past it',
  'sent FIN: overtaken, after the peer\'s FIN arrived',
] as const;
export type Cause = (typeof CAUSES)[number];

export const INFERRED_BIT = 1 << 15;
const FIELDS = 3;
/** Room for a handshake: what an open connection holds; a closing one grows the log, and a recycled lifecycle keeps the room it grew. */
const INITIAL_TRANSITIONS = 4;

/**
 * The log of one lifecycle. It keeps its storage when cleared, so a recycled
 * lifecycle writes its transitions where the last one did: nothing is
 * allocated per connection. A plain array of doubles rather than a typed
 * array: V8 keeps it in the heap, where a typed array this size would take a
 * buffer of its own outside it.
 */
export class TransitionLog {
  private readonly data: number[] = new Array<number>(INITIAL_TRANSITIONS * FIELDS).fill(0.5);
  /** Transitions in the log. */
  length = 0;

  push(ts: number, frame: number, code: number): void {
    let at = this.length * FIELDS;
    if (at + FIELDS > this.data.length) this.data.push(0.5, 0.5, 0.5); // rare: a long life grows the array
    this.data[at++] = ts;
    this.data[at++] = frame;
    this.data[at] = code;
    this.length++;
  }

  clear(): void {
    this.length = 0;
  }

  /** Transition `i` turned out to be seen after all: the endpoint's own packet proved it. */
  confirm(i: number): void {
    const at = i * FIELDS + 2;
    const code = this.data[at]!;
    if (code & INFERRED_BIT) this.data[at] = code - INFERRED_BIT;
  }

  /** Time of transition `i`, rounded to the microsecond. */
  ts(i: number): number {
    return this.data[i * FIELDS]!;
  }

  /** Frame of the segment behind transition `i`; 0 for timers. */
  frame(i: number): number {
    return this.data[i * FIELDS + 1]!;
  }

  code(i: number): number {
    return this.data[i * FIELDS + 2]!;
  }
}

/** What readers of a log may use. */
export type TransitionLogView = Pick<TransitionLog, 'length' | 'ts' | 'frame' | 'code'>;

/**
 * A state's index in TCP_STATES. A switch: every state change looks up two
 * states, and comparing a state name with eleven constants takes half the
 * time of a Map's lookup (a test holds it to TCP_STATES).
 */
export function stateCode(state: TcpState): number {
  switch (state) {
    case 'SYN_SENT':
      return 0;
    case 'SYN_RECV':
      return 1;
    case 'ESTABLISHED':
      return 2;
    case 'FIN_WAIT1':
      return 3;
    case 'FIN_WAIT2':
      return 4;
    case 'CLOSING':
      return 5;
    case 'TIME_WAIT':
      return 6;
    case 'CLOSE_WAIT':
      return 7;
    case 'LAST_ACK':
      return 8;
    case 'CLOSED':
      return 9;
    case 'UNKNOWN':
      return 10;
    default:
      return assertNever(state);
  }
}

// A Map for the causes: of thirty-odd names, it finds one as fast as a switch would.
const CAUSE_CODE = new Map<Cause, number>(CAUSES.map((c, i) => [c, i]));

export function transitionCode(side: Side, from: TcpState, to: TcpState, cause: Cause, inferred: boolean): number {
  return (side === 'server' ? 1 : 0) | (stateCode(from) << 1) | (stateCode(to) << 5) | (CAUSE_CODE.get(cause)! << 9) | (inferred ? INFERRED_BIT : 0);
}

export const codeSide = (code: number): Side => (code & 1 ? 'server' : 'client');
export const codeFrom = (code: number): TcpState => TCP_STATES[(code >> 1) & 15]!;
export const codeTo = (code: number): TcpState => TCP_STATES[(code >> 5) & 15]!;
export const codeCause = (code: number): Cause => CAUSES[(code >> 9) & 63]!;

/** The transitions as the contract's objects. */
export function transitionsOf(log: TransitionLogView): Transition[] {
  const out: Transition[] = [];
  for (let i = 0; i < log.length; i++) {
    const code = log.code(i);
    const t: Transition = { ts: log.ts(i), side: codeSide(code), from: codeFrom(code), to: codeTo(code), cause: codeCause(code) };
    const frame = log.frame(i);
    if (frame) t.frame = frame;
    if (code & INFERRED_BIT) t.inferred = true;
    out.push(t);
  }
  return out;
}

/** Did `side` ever enter `state` (it may have left it since)? */
export function entered(log: TransitionLogView, side: Side, state: TcpState): boolean {
  const sideBit = side === 'server' ? 1 : 0;
  const to = stateCode(state);
  for (let i = 0; i < log.length; i++) {
    const code = log.code(i);
    if ((code & 1) === sideBit && ((code >> 5) & 15) === to) return true;
  }
  return false;
}
