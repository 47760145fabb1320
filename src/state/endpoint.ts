/**
 * What a passive observer knows of one endpoint: its state, its sequence
 * space as seen on the wire, and counters for the anomalies it can show.
 */
import { Retransmitted } from './backoff.js';
import type { TcpState } from './states.js';

export class Endpoint {
  state: TcpState = 'CLOSED';
  /** When the current state began (capture time). */
  since = 0;
  /** Frame of the segment that moved it into the current state. */
  sinceFrame = 0;

  /** Initial sequence number, once a SYN from this side was seen. */
  isn = 0;
  hasIsn = false;
  /** Highest sequence number sent plus one (covers SYN and FIN). */
  sndNxt = 0;
  hasSndNxt = false;
  /** Sequence number of our FIN, once sent (-1 before). */
  finSeq = -1;
  /** The peer acknowledged our FIN, at finAckedTs as the capture saw it. */
  finAcked = false;
  finAckedTs = -1;
  /** When we last sent a SYN (or SYN-ACK) and a FIN (-1: never): the previous transmission of a retransmitted one. */
  lastSynTs = -1;
  lastFinTs = -1;
  /** We retransmitted our FIN after its ACK was seen: that ACK never reached us, and a later one counts only once our silence proves it arrived. */
  finAckLost = false;
  /** Our FIN was not captured: the peer's ACK of one sequence number past our last byte proved it. */
  finInferred = false;
  /** The ACK number our FIN segment carried (-1: it carried none): whoever takes our FIN takes that ACK too. */
  finCarriedAck = -1;
  /** We acknowledged the peer's FIN (so we processed it). */
  peerFinAcked = false;
  /** Last raw window advertised, and the window scale shift from our SYN. */
  window = 0;
  wscale = 0;

  sentSyn = false;
  sentSynAck = false;
  sentFin = false;
  sentRst = false;
  sentData = false;
  sentPackets = 0;
  payloadBytes = 0;
  /** Bytes the peer acknowledged that the capture never saw us send (Zeek's missed_bytes). */
  missedBytes = 0;
  /** When we last sent bytes never sent before (-1: never): progress for a half-closed connection. */
  lastNewDataTs = -1;

  synRetransmits = 0;
  finRetransmits = 0;
  dataRetransmits = 0;
  /** Acknowledged segments the capture never held (a gap in what we were seen sending, or a SYN-ACK or FIN inferred). */
  missedSegments = 0;
  /** TTL or hop limit of our first packet (0: none seen). */
  ttl = 0;

  /**
   * The retransmission series under way, until all we sent is acknowledged
   * (Linux backoff, see backoff.ts): what it repeats, how many times, when
   * last, and the interval before that.
   */
  rtxKind: Retransmitted = Retransmitted.None;
  rtxCount = 0;
  rtxLastTs = 0;
  rtxInterval = 0;
  /** Keepalive probes sent since the peer last sent anything. */
  probesUnanswered = 0;
  /**
   * Something our silence will prove, once the capture has run past
   * `silenceDue` with nothing from us (Infinity: nothing): that we gave up
   * the series (CLOSED), or (`silenceProvesAck`) that our FIN was
   * acknowledged, by the ACK seen at `pendingAckTs` (frame `pendingAckFrame`)
   * or by one the capture missed (-1).
   */
  silenceDue = Infinity;
  silenceProvesAck = false;
  pendingAckTs = -1;
  pendingAckFrame = 0;
  /** State before an RST we are taken to have received at rstTs (null: none): a later segment of ours proves it never took. */
  stateBeforeRst: TcpState | null = null;
  rstTs = -1;

  zeroWindowSince = -1;
  zeroWindowFrame = 0;
  zeroWindowFirst = -1;
  zeroWindowTotal = 0;

  /** Log index of our move to ESTABLISHED on the peer's SYN-ACK while we have not yet acknowledged it (-1: none). */
  unconfirmedEstablished = -1;
  /** SYN-ACKs we sent again after the peer's handshake ACK: each proves we did not take that ACK (accept queue full). */
  handshakeAckDrops = 0;
  /** Log index of our move back to SYN_RECV on the first of them (-1: none). */
  handshakeAckDropEntry = -1;

  /** Back to a new endpoint in `state`, for a recycled lifecycle (a test compares it with a new one). */
  reset(state: TcpState): void {
    this.state = state;
    this.since = 0;
    this.sinceFrame = 0;
    this.isn = 0;
    this.hasIsn = false;
    this.sndNxt = 0;
    this.hasSndNxt = false;
    this.finSeq = -1;
    this.finAcked = false;
    this.finAckedTs = -1;
    this.lastSynTs = -1;
    this.lastFinTs = -1;
    this.finAckLost = false;
    this.finInferred = false;
    this.finCarriedAck = -1;
    this.peerFinAcked = false;
    this.window = 0;
    this.wscale = 0;
    this.sentSyn = false;
    this.sentSynAck = false;
    this.sentFin = false;
    this.sentRst = false;
    this.sentData = false;
    this.sentPackets = 0;
    this.payloadBytes = 0;
    this.missedBytes = 0;
    this.lastNewDataTs = -1;
    this.synRetransmits = 0;
    this.finRetransmits = 0;
    this.dataRetransmits = 0;
    this.missedSegments = 0;
    this.ttl = 0;
    this.rtxKind = Retransmitted.None;
    this.rtxCount = 0;
    this.rtxLastTs = 0;
    this.rtxInterval = 0;
    this.probesUnanswered = 0;
    this.silenceDue = Infinity;
    this.silenceProvesAck = false;
    this.pendingAckTs = -1;
    this.pendingAckFrame = 0;
    this.stateBeforeRst = null;
    this.rstTs = -1;
    this.zeroWindowSince = -1;
    this.zeroWindowFrame = 0;
    this.zeroWindowFirst = -1;
    this.zeroWindowTotal = 0;
    this.unconfirmedEstablished = -1;
    this.handshakeAckDrops = 0;
    this.handshakeAckDropEntry = -1;
  }

  get retransmissions(): number {
    return this.synRetransmits + this.finRetransmits + this.dataRetransmits;
  }
}
