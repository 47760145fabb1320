/**
 * What a passive observer knows of one endpoint: its state, its sequence
 * space as seen on the wire, and counters for the anomalies it can show.
 */
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
  /** The peer acknowledged our FIN. */
  finAcked = false;
  /** We retransmitted our FIN after its ACK was seen: ACKs of it do not reach us. */
  finAckLost = false;
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
    this.finAckLost = false;
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
