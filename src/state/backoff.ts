/**
 * Linux's retransmission backoff, as far as the wire shows it: the first
 * retransmission timeout is at least 200 ms (1 s for a SYN), each next one
 * twice the last, at most 120 s. A series whose next interval has passed,
 * with room for timer slack, while the capture ran on and its sender sent
 * nothing has stopped: the sender got its answer, or gave up (kernel timers
 * such as tcp_orphan_retries, tcp_retries2, TCP_USER_TIMEOUT and
 * tcp_syn_retries end a state without a packet).
 */

export const RTO_MIN = 0.2;
export const RTO_MAX = 120;
/** A listener sends its SYN-ACK again after 1 s (TCP_TIMEOUT_INIT) unless the handshake's ACK came. */
export const SYNACK_TIMEOUT = 1;

/** What a series retransmits; each gives its own reason when the sender gives up. */
export const enum Retransmitted {
  None = 0,
  Syn = 1,
  SynAck = 2,
  Data = 3,
  Fin = 4,
}

/**
 * The interval before the retransmission after the `count`-th, the last
 * interval being `last`: twice it (a tail-loss probe or Linux's linear SYN
 * timeouts come sooner, never later), and no less than the backoff from
 * 200 ms would give.
 */
export function nextInterval(count: number, last: number): number {
  return Math.min(RTO_MAX, Math.max(2 * last, RTO_MIN * 2 ** (count - 1)));
}

/** When a sender that retransmitted for the `count`-th time at `at`, `last` after the time before, has certainly stopped. */
export function stoppedBy(at: number, count: number, last: number): number {
  return at + nextInterval(count, last) * 1.25 + 0.02;
}

/** What a side's silence past its due time proves. */
export const enum Silence {
  /** It stopped retransmitting with no answer: it gave up. */
  GaveUp = 0,
  /** It never sent its FIN again: the ACK of it arrived. */
  AckArrived = 1,
  /** A listener never sent its SYN-ACK again: it kept no request (a SYN cookie). */
  NoRequest = 2,
}

/** When the timer that found the series exhausted fired: the end of the next interval. */
export function gaveUpAt(at: number, count: number, last: number): number {
  return at + nextInterval(count, last);
}
