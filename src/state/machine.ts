/**
 * Each endpoint's TCP state, inferred from the segments seen on the wire.
 *
 * Every segment is classified once and applied twice: as sent by one
 * endpoint and as received by the other (RFC 9293 section 3.3.2, with Linux
 * behaviour where the RFC leaves room).
 *
 * Vantage point: a segment on the wire may be lost before its receiver. So a
 * receiver's move on a FIN is taken when the receiver acknowledges that FIN
 * (its own ACK proves it arrived), and a side that retransmits its FIN after
 * we saw it acknowledged proves the ACK was lost, which undoes the move.
 * Likewise a SYN-ACK's receiver moves to ESTABLISHED as it arrives, marked
 * inferred until its own ACK proves the arrival, and a listener that sends
 * its SYN-ACK again after the handshake's ACK proves it did not take that
 * ACK (its accept queue was full): it goes back to SYN_RECV.
 */
import { ACK, FIN, RST, SYN } from '../decode/packet.js';
import type { Side } from '../records.js';
import { Endpoint } from './endpoint.js';
import { seqAdd, seqDiff, seqGe, seqLe } from './seq.js';
import { assertNever, isOpening, isOver, type TcpState } from './states.js';
import { TransitionLog, transitionCode, type Cause } from './transition-log.js';

/** One segment, as the machine needs it. */
export interface Segment {
  ts: number;
  frame: number;
  flags: number;
  seq: number;
  ack: number;
  len: number;
  window: number;
  wscale: number;
}

/**
 * Told of every state change as it is made, in the order the capture is
 * read: its time and code as the log keeps them, and since when the side
 * had been in the state it leaves. A report follows the states over time
 * with it, without waiting for the record.
 */
export type TransitionObserver = (ts: number, code: number, since: number) => void;

/** What applying a segment found, for the anomaly and opening bookkeeping. */
export interface SegmentOutcome {
  retransmission: boolean;
  rstAccepted: boolean;
  rejectedSyn: boolean;
}

export class ConnectionMachine {
  readonly client = new Endpoint();
  readonly server = new Endpoint();
  /** Every state change, as numbers (see transition-log.ts). */
  readonly log = new TransitionLog();
  sawSyn = false;
  sawSynAck = false;
  handshakeAcked = false;
  rejected = false;
  /** Picked up on an open connection: both sides start UNKNOWN. */
  midstream = false;
  firstFinBy: Side | null = null;
  bothFinCrossed = false;
  rstBy: Side | null = null;
  /** RSTs seen that the receiver would ignore (out of window). */
  ignoredRsts = 0;
  observer: TransitionObserver | undefined = undefined;

  /** Back to a new machine, for a recycled lifecycle (a test compares it with a new one). */
  reset(midstream: boolean): void {
    const initial: TcpState = midstream ? 'UNKNOWN' : 'CLOSED';
    this.client.reset(initial);
    this.server.reset(initial);
    this.log.clear();
    this.sawSyn = false;
    this.sawSynAck = false;
    this.handshakeAcked = false;
    this.rejected = false;
    this.midstream = midstream;
    this.firstFinBy = null;
    this.bothFinCrossed = false;
    this.rstBy = null;
    this.ignoredRsts = 0;
    this.observer = undefined;
  }

  endpoint(side: Side): Endpoint {
    return side === 'client' ? this.client : this.server;
  }

  /** Picked up at a SYN-ACK: the client's SYN went unseen, so the client was in SYN_SENT, its sequence space starting one below the ACK. */
  startAtSynAck(ack: number, ts: number): void {
    this.learnPeerStart(this.client, ack);
    this.move('client', 'SYN_SENT', 'sent SYN', ts, undefined, true);
  }

  /**
   * A new SYN on the 4-tuple at `ts` takes it over: a side still in
   * TIME_WAIT (for less than `timeWait`) is gone. Returns when the earliest
   * such TIME_WAIT began, or -1.
   */
  endTimeWait(ts: number, frame: number, timeWait: number): number {
    let since = -1;
    for (let i = 0; i < 2; i++) {
      const side: Side = i === 0 ? 'client' : 'server';
      const e = this.endpoint(side);
      if (e.state !== 'TIME_WAIT' || ts >= e.since + timeWait) continue;
      if (since < 0) since = e.since;
      this.move(side, 'CLOSED', 'TIME_WAIT ended by a new SYN', ts, frame, true);
    }
    return since;
  }

  /** Every state change goes through here. */
  private move(side: Side, to: TcpState, cause: Cause, ts: number, frame: number | undefined, inferred = false): void {
    const e = this.endpoint(side);
    if (e.state === to) return;
    const at = Math.round(ts * 1e6) / 1e6;
    const code = transitionCode(side, e.state, to, cause, inferred);
    this.log.push(at, frame ?? 0, code);
    this.observer?.(at, code, e.since);
    e.state = to;
    e.since = ts;
    e.sinceFrame = frame ?? 0;
  }

  /** Applies one segment sent by `from`. */
  apply(from: Side, s: Segment, out: SegmentOutcome): void {
    const to: Side = from === 'client' ? 'server' : 'client';
    const snd = this.endpoint(from);
    const rcv = this.endpoint(to);
    out.retransmission = false;
    out.rstAccepted = false;
    out.rejectedSyn = false;
    snd.sentPackets++;

    if (s.flags & RST) {
      this.onRst(from, to, s, out);
      return;
    }
    if (s.flags & SYN) this.onSyn(from, to, s, out);
    // A side of unknown state, or in SYN_SENT or SYN_RECV (which send nothing but SYNs and SYN-ACKs), sending anything but a
    // SYN has a full socket: the handshake reached it where the capture did not see it.
    else if ((snd.state === 'UNKNOWN' || isOpening(snd.state)) && s.flags & ACK) {
      if (snd.state === 'SYN_SENT' && !rcv.hasIsn) this.learnPeerStart(rcv, s.ack);
      this.move(from, 'ESTABLISHED', 'seen sending on an open connection', s.ts, s.frame, true);
    }

    this.trackSequence(snd, s, out);
    if (s.flags & ACK) this.onAck(from, to, s);
    if (s.flags & FIN) this.onFin(from, s, out);
    this.trackWindow(snd, s);
  }

  private onSyn(from: Side, to: Side, s: Segment, out: SegmentOutcome): void {
    const snd = this.endpoint(from);
    const rcv = this.endpoint(to);
    // The same ISN again is a retransmission, but for the SYN-ACK that follows a side's own SYN in a simultaneous open.
    const firstSynAckAfterOwnSyn = (s.flags & ACK) !== 0 && snd.sentSyn && !snd.sentSynAck;
    if (snd.hasIsn && snd.isn === s.seq) {
      if (!firstSynAckAfterOwnSyn) {
        snd.synRetransmits++;
        out.retransmission = true;
      }
    } else {
      snd.isn = s.seq;
      snd.hasIsn = true;
      snd.wscale = s.wscale >= 0 ? Math.min(s.wscale, 14) : 0;
    }
    if (s.flags & ACK) {
      snd.sentSynAck = true;
      this.sawSynAck = true;
      switch (snd.state) {
        case 'CLOSED': // a listener answers a SYN
        case 'UNKNOWN':
          this.move(from, 'SYN_RECV', 'sent SYN-ACK', s.ts, s.frame);
          break;
        case 'SYN_SENT': // simultaneous open: its SYN-ACK proves it received the peer's SYN in SYN_SENT
          this.move(from, 'SYN_RECV', 'received SYN', s.ts, s.frame);
          break;
        case 'ESTABLISHED': // an established socket never sends a SYN-ACK: the handshake's ACK was not taken (accept queue full)
          if (out.retransmission) {
            this.move(from, 'SYN_RECV', 'retransmitted SYN-ACK: handshake ACK dropped', s.ts, s.frame, true);
            if (snd.handshakeAckDrops++ === 0) snd.handshakeAckDropEntry = this.log.length - 1;
          }
          break;
        case 'SYN_RECV': // sent again after the ACK it already dropped, which the peer repeats: dropped once more
          if (out.retransmission && snd.handshakeAckDrops > 0) snd.handshakeAckDrops++;
          break;
        case 'FIN_WAIT1':
        case 'FIN_WAIT2':
        case 'CLOSING':
        case 'TIME_WAIT':
        case 'CLOSE_WAIT':
        case 'LAST_ACK':
          break; // a SYN-ACK long after the handshake: noise, or a retransmission the capture saw late
        default:
          assertNever(snd.state);
      }
      // The SYN-ACK reaches a SYN_SENT peer whose SYN it acknowledges: inferred until the peer's ACK proves it arrived.
      // In a simultaneous open the peer is in SYN_RECV, and this SYN-ACK is the handshake's ACK for it.
      if ((rcv.state === 'SYN_SENT' || rcv.state === 'SYN_RECV') && rcv.hasIsn && s.ack === seqAdd(rcv.isn, 1)) {
        if (rcv.state === 'SYN_RECV') this.handshakeAcked = true;
        this.move(to, 'ESTABLISHED', 'received SYN-ACK', s.ts, s.frame, true);
        rcv.unconfirmedEstablished = this.log.length - 1;
      }
    } else {
      snd.sentSyn = true;
      this.sawSyn = true;
      // A SYN reaching a SYN_SENT peer (simultaneous open) moves it once its SYN-ACK proves the arrival.
      if (snd.state === 'CLOSED' || snd.state === 'UNKNOWN') this.move(from, 'SYN_SENT', 'sent SYN', s.ts, s.frame);
    }
  }

  private onRst(from: Side, to: Side, s: Segment, out: SegmentOutcome): void {
    const snd = this.endpoint(from);
    const rcv = this.endpoint(to);
    // SYN_SENT accepts an RST that acknowledges its SYN: connection refused.
    if (rcv.state === 'SYN_SENT') {
      if (s.flags & ACK && rcv.hasIsn && s.ack === seqAdd(rcv.isn, 1)) {
        out.rstAccepted = true;
        out.rejectedSyn = true;
        this.rejected = true;
      }
    } else {
      out.rstAccepted = this.rstInWindow(snd, rcv, s);
    }
    snd.sentRst = true;
    if (!out.rstAccepted) {
      this.ignoredRsts++;
      return;
    }
    if (this.rstBy === null) this.rstBy = from;
    if (!isOver(snd.state)) this.move(from, 'CLOSED', 'sent RST', s.ts, s.frame);
    if (rcv.state !== 'CLOSED') this.move(to, 'CLOSED', 'received RST', s.ts, s.frame);
  }

  /** An RST is accepted when its sequence number lies in the receiver's window (RFC 9293 3.10.7.4). */
  private rstInWindow(snd: Endpoint, rcv: Endpoint, s: Segment): boolean {
    if (!snd.hasSndNxt) return true; // nothing known of the sender's sequence space: cannot judge, assume valid
    const window = Math.max(rcv.window * 2 ** rcv.wscale, 1);
    const d = seqDiff(s.seq, snd.sndNxt);
    // Linux answers RSTs in window but not exact with a challenge ACK; an exact one aborts.
    // A passive observer cannot see the challenge's outcome, so the whole window counts.
    return d >= -1 && d < window;
  }

  private trackSequence(snd: Endpoint, s: Segment, out: SegmentOutcome): void {
    const span = s.len + (s.flags & SYN ? 1 : 0) + (s.flags & FIN ? 1 : 0);
    const end = seqAdd(s.seq, span);
    if (s.len > 0 && (!snd.hasSndNxt || seqDiff(end, snd.sndNxt) > 0)) snd.lastNewDataTs = s.ts;
    if (!snd.hasSndNxt) {
      snd.sndNxt = end;
      snd.hasSndNxt = true;
    } else if (s.len > 0) {
      // A keepalive or zero-window probe sends at most one byte at sndNxt - 1: not data.
      // A segment that begins below sndNxt re-sends bytes, whether or not it also carries new ones.
      const probe = s.len <= 1 && seqDiff(s.seq, snd.sndNxt) === -1;
      if (!probe && seqDiff(s.seq, snd.sndNxt) < 0 && !(s.flags & SYN)) {
        snd.dataRetransmits++;
        out.retransmission = true;
      }
    }
    if (snd.hasSndNxt && seqDiff(end, snd.sndNxt) > 0) snd.sndNxt = end;
    if (s.len > 0) {
      snd.sentData = true;
      snd.payloadBytes += s.len;
    }
  }

  /** A SYN-ACK the capture missed: the ACK of it tells where the peer's sequence space begins. */
  private learnPeerStart(peer: Endpoint, ack: number): void {
    peer.isn = (ack - 1) >>> 0;
    peer.hasIsn = true;
    if (!peer.hasSndNxt) {
      peer.sndNxt = ack;
      peer.hasSndNxt = true;
    }
  }

  private onAck(from: Side, to: Side, s: Segment): void {
    const snd = this.endpoint(from);
    const rcv = this.endpoint(to);
    // Bytes acknowledged beyond what the peer was seen sending: the capture missed them (one direction not
    // captured, or packets dropped by the capture). Believed only within our receive window: no forged jump.
    if (rcv.hasSndNxt && !(s.flags & SYN)) {
      const gap = seqDiff(s.ack, rcv.sndNxt);
      if (gap > 0 && gap <= Math.max(snd.window * 2 ** snd.wscale, 65535)) {
        rcv.missedBytes += gap;
        rcv.sndNxt = s.ack;
      }
    }
    const acksPeerSyn = rcv.hasIsn && seqGe(s.ack, seqAdd(rcv.isn, 1)) && !(s.flags & SYN);
    // Our ACK of the peer's SYN-ACK proves our move to ESTABLISHED on it.
    if (snd.unconfirmedEstablished >= 0 && acksPeerSyn) {
      this.log.confirm(snd.unconfirmedEstablished);
      snd.unconfirmedEstablished = -1;
    }
    // The handshake's last ACK reaches the SYN_RECV side, unless that side showed it drops them.
    if (rcv.state === 'SYN_RECV' && acksPeerSyn) {
      this.handshakeAcked = true;
      if (rcv.handshakeAckDrops === 0) this.move(to, 'ESTABLISHED', 'received ACK of SYN', s.ts, s.frame);
    }
    // Our FIN acknowledged by the peer.
    // Once a retransmission proved that ACKs of our FIN are lost on the way, a later one on the wire proves nothing.
    if (rcv.sentFin && !rcv.finAcked && !rcv.finAckLost && seqGe(s.ack, seqAdd(rcv.finSeq, 1))) {
      rcv.finAcked = true;
      switch (rcv.state) {
        case 'FIN_WAIT1': // ACK of our FIN: wait for the peer's
          this.move(to, 'FIN_WAIT2', 'received ACK of FIN', s.ts, s.frame);
          break;
        case 'CLOSING': // simultaneous close completes
          this.move(to, 'TIME_WAIT', 'received ACK of FIN', s.ts, s.frame);
          break;
        case 'LAST_ACK': // passive close completes
          this.move(to, 'CLOSED', 'received ACK of FIN', s.ts, s.frame);
          break;
        case 'SYN_SENT':
        case 'SYN_RECV':
        case 'ESTABLISHED':
        case 'FIN_WAIT2':
        case 'TIME_WAIT':
        case 'CLOSE_WAIT':
        case 'CLOSED':
        case 'UNKNOWN':
          break; // the ACK came before or after the wait for it: nothing moves
        default:
          assertNever(rcv.state);
      }
    }
    // The sender acknowledges the peer's FIN: proof that the FIN arrived.
    if (rcv.sentFin && !snd.peerFinAcked && seqGe(s.ack, seqAdd(rcv.finSeq, 1))) {
      snd.peerFinAcked = true;
      this.receiveFin(from, s);
    }
  }

  /** The side `side` has received (and acknowledged) its peer's FIN. */
  private receiveFin(side: Side, s: Segment): void {
    const e = this.endpoint(side);
    const state = e.state;
    switch (state) {
      case 'ESTABLISHED': // passive close begins
      case 'SYN_RECV':
      case 'UNKNOWN':
        this.move(side, 'CLOSE_WAIT', 'received FIN', s.ts, s.frame);
        break;
      case 'FIN_WAIT1': // both FINs crossed, or FIN and ACK of ours together
        if (e.finAcked) this.move(side, 'TIME_WAIT', 'received FIN', s.ts, s.frame);
        else {
          this.bothFinCrossed = true;
          this.move(side, 'CLOSING', 'received FIN', s.ts, s.frame);
        }
        break;
      case 'FIN_WAIT2': // active close completes
        this.move(side, 'TIME_WAIT', 'received FIN', s.ts, s.frame);
        break;
      case 'SYN_SENT':
      case 'CLOSE_WAIT':
      case 'LAST_ACK':
      case 'CLOSING':
      case 'TIME_WAIT':
      case 'CLOSED':
        break; // already past it
      default:
        assertNever(state);
    }
  }

  private onFin(from: Side, s: Segment, out: SegmentOutcome): void {
    const snd = this.endpoint(from);
    const finSeq = seqAdd(s.seq, s.len);
    if (snd.sentFin) {
      if (finSeq === snd.finSeq || seqLe(finSeq, snd.finSeq)) {
        snd.finRetransmits++;
        out.retransmission = true;
        // A FIN sent again after we saw its ACK: that ACK never reached this side.
        if (snd.finAcked && (snd.state === 'CLOSED' || snd.state === 'FIN_WAIT2' || snd.state === 'TIME_WAIT')) {
          snd.finAcked = false;
          snd.finAckLost = true;
          const back: TcpState = snd.state === 'CLOSED' ? 'LAST_ACK' : snd.state === 'FIN_WAIT2' ? 'FIN_WAIT1' : 'CLOSING';
          this.move(from, back, 'retransmitted FIN: final ACK lost', s.ts, s.frame, true);
        }
      }
      return;
    }
    snd.sentFin = true;
    snd.finSeq = finSeq;
    if (this.firstFinBy === null) this.firstFinBy = from;
    const state = snd.state;
    switch (state) {
      case 'ESTABLISHED': // active close
      case 'SYN_RECV':
      case 'UNKNOWN':
        this.move(from, snd.peerFinAcked ? 'LAST_ACK' : 'FIN_WAIT1', 'sent FIN', s.ts, s.frame);
        break;
      case 'CLOSE_WAIT': // passive close: our FIN after the peer's
        this.move(from, 'LAST_ACK', 'sent FIN', s.ts, s.frame);
        break;
      case 'SYN_SENT': // closing before the handshake ends: Linux just closes
        this.move(from, 'FIN_WAIT1', 'sent FIN', s.ts, s.frame);
        break;
      case 'FIN_WAIT1':
      case 'FIN_WAIT2':
      case 'CLOSING':
      case 'TIME_WAIT':
      case 'LAST_ACK':
      case 'CLOSED':
        break; // a FIN in these states is a retransmission or noise
      default:
        assertNever(state);
    }
  }

  private trackWindow(snd: Endpoint, s: Segment): void {
    if (s.flags & (SYN | RST)) {
      snd.window = s.window;
      return;
    }
    snd.window = s.window;
    if (s.window === 0) {
      if (snd.zeroWindowSince < 0) {
        snd.zeroWindowSince = s.ts;
        snd.zeroWindowFrame = s.frame;
        if (snd.zeroWindowFirst < 0) snd.zeroWindowFirst = s.ts;
      }
    } else if (snd.zeroWindowSince >= 0) {
      snd.zeroWindowTotal += s.ts - snd.zeroWindowSince;
      snd.zeroWindowSince = -1;
    }
  }

  /** Capture time reached `now`: TIME_WAIT that has run its length ends. */
  ageTimeWait(now: number, timeWait: number): void {
    for (let i = 0; i < 2; i++) {
      const side: Side = i === 0 ? 'client' : 'server';
      const e = this.endpoint(side);
      if (e.state === 'TIME_WAIT' && now >= e.since + timeWait) this.move(side, 'CLOSED', 'TIME_WAIT expired', e.since + timeWait, undefined, true);
    }
  }
}
