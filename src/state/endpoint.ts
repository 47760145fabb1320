/**
 * What a passive observer knows of one endpoint: its state, its sequence
 * space as seen on the wire, and counters for the anomalies it can show.
 */
import { Retransmitted, Silence } from './backoff.js';
import type { TcpState } from './states.js';

// The yes-or-no facts, as bits of one field: twelve booleans took twelve
// words of every endpoint, two per live connection.
const HAS_ISN = 1;
const HAS_SND_NXT = 2;
const FIN_ACKED = 4;
const SYN_ACK_LOST = 8;
const FIN_INFERRED = 16;
const PEER_FIN_ACKED = 32;
const SENT_SYN = 64;
const SENT_SYN_ACK = 128;
const SENT_FIN = 256;
const SENT_RST = 512;
const SENT_DATA = 1024;
const CLOSED_BY_RST = 2048;
const SYN_REPEATED = 4096;

export class Endpoint {
  state: TcpState = 'CLOSED';
  /** The facts below that hold, as bits. */
  facts = 0;
  /** When the current state began (capture time). */
  since = 0;
  /** Frame of the segment that moved it into the current state. */
  sinceFrame = 0;

  /**
   * The highest acknowledgement number we were seen sending (-1: none): the next sequence number we expected from the
   * peer, as far as the capture knows. Where the peer's bytes were lost on the way, it is below the peer's sndNxt.
   */
  ackNxt = -1;
  /** Initial sequence number, once a SYN from this side was seen. */
  isn = 0;
  /** Highest sequence number sent plus one (covers SYN and FIN). */
  sndNxt = 0;
  /** Sequence number of our FIN, once sent (-1 before). */
  finSeq = -1;
  /** When we last sent a FIN (-1: never): the previous transmission of one sent again. */
  lastFinTs = -1;
  /**
   * ACKs of our FIN proved lost: each time we sent the FIN again after one was
   * seen. Past one, the loss is taken to persist, and a later ACK counts only
   * once our silence proves it arrived.
   */
  finAckLosses = 0;
  /**
   * The timestamp value of the segment of ours that proved our FIN unseen (0: none, or no timestamps): the FIN, when it
   * comes later with a timestamp no greater, was sent before that segment and overtaken by it, not sent again.
   */
  finProvedTsVal = 0;
  /** The ACK number our FIN segment carried (-1: it carried none): whoever takes our FIN takes that ACK too. */
  finCarriedAck = -1;
  /** Last raw window advertised, and the window scale shift from our SYN. */
  window = 0;
  wscale = 0;

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
   * the series (CLOSED), that our FIN was acknowledged, by the ACK seen at
   * `pendingAckTs` (frame `pendingAckFrame`) or by one the capture missed
   * (-1), or that a listener kept no request: `silenceProves` says which.
   * The silence must last `silenceSpan` seconds of capture time seen, from
   * `silenceDue - silenceSpan`.
   */
  silenceDue = Infinity;
  silenceProves: Silence = Silence.GaveUp;
  silenceSpan = 0;
  pendingAckTs = -1;
  pendingAckFrame = 0;
  /**
   * The state before we were taken for CLOSED (at `since`) without a packet
   * of ours (an RST we received, or our silence; null: none): a later
   * segment of ours proves otherwise. `closedByRst` says which.
   */
  stateBeforeClose: TcpState | null = null;

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
    this.facts = 0;
    this.since = 0;
    this.sinceFrame = 0;
    this.ackNxt = -1;
    this.isn = 0;
    this.sndNxt = 0;
    this.finSeq = -1;
    this.lastFinTs = -1;
    this.finAckLosses = 0;
    this.finProvedTsVal = 0;
    this.finCarriedAck = -1;
    this.window = 0;
    this.wscale = 0;
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
    this.silenceProves = Silence.GaveUp;
    this.silenceSpan = 0;
    this.pendingAckTs = -1;
    this.pendingAckFrame = 0;
    this.stateBeforeClose = null;
    this.zeroWindowSince = -1;
    this.zeroWindowFrame = 0;
    this.zeroWindowFirst = -1;
    this.zeroWindowTotal = 0;
    this.unconfirmedEstablished = -1;
    this.handshakeAckDrops = 0;
    this.handshakeAckDropEntry = -1;
  }

  /** A SYN from this side was seen: `isn` holds. */
  get hasIsn(): boolean {
    return this.holds(HAS_ISN);
  }
  set hasIsn(yes: boolean) {
    this.put(HAS_ISN, yes);
  }

  /** `sndNxt` holds. */
  get hasSndNxt(): boolean {
    return this.holds(HAS_SND_NXT);
  }
  set hasSndNxt(yes: boolean) {
    this.put(HAS_SND_NXT, yes);
  }

  /** The peer acknowledged our FIN (the state it moved us to began then). */
  get finAcked(): boolean {
    return this.holds(FIN_ACKED);
  }
  set finAcked(yes: boolean) {
    this.put(FIN_ACKED, yes);
  }

  /** A SYN sent again after a SYN-ACK proved that SYN-ACK lost: later ones move us only once our ACK proves them. */
  get synAckLost(): boolean {
    return this.holds(SYN_ACK_LOST);
  }
  set synAckLost(yes: boolean) {
    this.put(SYN_ACK_LOST, yes);
  }

  /** Our FIN was not captured: the peer's ACK of one sequence number past our last byte proved it. */
  get finInferred(): boolean {
    return this.holds(FIN_INFERRED);
  }
  set finInferred(yes: boolean) {
    this.put(FIN_INFERRED, yes);
  }

  /** We acknowledged the peer's FIN (so we processed it). */
  get peerFinAcked(): boolean {
    return this.holds(PEER_FIN_ACKED);
  }
  set peerFinAcked(yes: boolean) {
    this.put(PEER_FIN_ACKED, yes);
  }

  get sentSyn(): boolean {
    return this.holds(SENT_SYN);
  }
  set sentSyn(yes: boolean) {
    this.put(SENT_SYN, yes);
  }

  get sentSynAck(): boolean {
    return this.holds(SENT_SYN_ACK);
  }
  set sentSynAck(yes: boolean) {
    this.put(SENT_SYN_ACK, yes);
  }

  get sentFin(): boolean {
    return this.holds(SENT_FIN);
  }
  set sentFin(yes: boolean) {
    this.put(SENT_FIN, yes);
  }

  get sentRst(): boolean {
    return this.holds(SENT_RST);
  }
  set sentRst(yes: boolean) {
    this.put(SENT_RST, yes);
  }

  get sentData(): boolean {
    return this.holds(SENT_DATA);
  }
  set sentData(yes: boolean) {
    this.put(SENT_DATA, yes);
  }

  /** Taken for CLOSED by an RST we received, not by our silence (see `stateBeforeClose`). */
  get closedByRst(): boolean {
    return this.holds(CLOSED_BY_RST);
  }
  set closedByRst(yes: boolean) {
    this.put(CLOSED_BY_RST, yes);
  }

  /**
   * We sent our SYN again and no SYN-ACK has come since: a listener in SYN_RECV answers that repeated SYN with its
   * SYN-ACK at once, whether or not it took our handshake ACK, so the next SYN-ACK proves no dropped ACK.
   */
  get synRepeated(): boolean {
    return this.holds(SYN_REPEATED);
  }
  set synRepeated(yes: boolean) {
    this.put(SYN_REPEATED, yes);
  }

  private holds(fact: number): boolean {
    return (this.facts & fact) !== 0;
  }

  private put(fact: number, yes: boolean): void {
    this.facts = yes ? this.facts | fact : this.facts & ~fact;
  }

  get retransmissions(): number {
    return this.synRetransmits + this.finRetransmits + this.dataRetransmits;
  }
}
