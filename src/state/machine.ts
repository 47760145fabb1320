/**
 * Each endpoint's TCP state, inferred from the segments seen on the wire and
 * from what the peers prove.
 *
 * Every segment is classified once and applied twice: as sent by one
 * endpoint and as received by the other (RFC 9293 section 3.3.2, with Linux
 * behaviour where the RFC leaves room).
 *
 * A segment on the wire may be lost before its receiver, so a receiver moves
 * on what its own packets prove: a FIN once it acknowledges that FIN, a
 * SYN-ACK (inferred until then) once it acknowledges it. A side that repeats
 * itself proves what it did not receive: a SYN after a SYN-ACK, a FIN after
 * its ACK, a SYN-ACK after the handshake's ACK (lost, or not taken: accept
 * queue full). What a peer acknowledges happened, captured or not: a missing
 * FIN, SYN-ACK or data. And a side's silence proves something once the
 * capture has run past its next retransmission (backoff.ts): that it gave up
 * (CLOSED), or that the ACK it was waiting for arrived.
 *
 * Where the capture sits (vantage.ts) says how long a side takes to react to
 * what the capture saw: a segment it sent sooner than its round trip from
 * the capture point after a packet to it was sent before that packet arrived.
 */
import { ACK, FIN, RST, SYN } from '../decode/packet.js';
import type { Side } from '../records.js';
import { gaveUpAt, Retransmitted, RTO_MIN, Silence, stoppedBy, SYNACK_TIMEOUT } from './backoff.js';
import { Endpoint } from './endpoint.js';
import { seqAdd, seqDiff, seqGe, seqLe, seqLt } from './seq.js';
import { assertNever, isCloseWait, isOpening, isOver, type TcpState } from './states.js';
import { codeCause, codeSide, TransitionLog, transitionCode, type Cause } from './transition-log.js';
import { classifyVantage, isNear, type Vantage } from './vantage.js';

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
  /** TTL or hop limit (0: unknown). */
  ttl: number;
  /** TCP timestamp value (0: no timestamp option). */
  tsVal: number;
}

/**
 * Told of every state change as it is made, in the order the capture is
 * read: its time and code as the log keeps them, and since when the side
 * had been in the state it leaves. A report follows the states over time
 * with it, without waiting for the record.
 */
export type TransitionObserver = (ts: number, code: number, since: number) => void;

/** Time the capture did not see, between two capture times (flow/capture-gaps.ts). */
export interface UnseenTime {
  within(since: number, until: number): number;
}
class NothingUnseen implements UnseenTime {
  within(): number {
    return 0;
  }
}
const NOTHING_UNSEEN = new NothingUnseen();

/** What applying a segment found, for the anomaly and opening bookkeeping. */
export interface SegmentOutcome {
  retransmission: boolean;
  rstAccepted: boolean;
  rejectedSyn: boolean;
}

/** The reason a side gave up, by what it retransmitted. */
const GAVE_UP: Record<Retransmitted, Cause | undefined> = {
  [Retransmitted.None]: undefined,
  [Retransmitted.Syn]: 'gave up retransmitting SYN',
  [Retransmitted.SynAck]: undefined, // a listener that stops sending its SYN-ACK may have taken an ACK as well: the wire cannot tell
  [Retransmitted.Data]: 'gave up retransmitting data',
  [Retransmitted.Fin]: 'gave up retransmitting FIN',
};

/** Where a side that turns out not to have sent its FIN was: the same close without its FIN. */
const WITHOUT_OWN_FIN = {
  FIN_WAIT1: 'ESTABLISHED',
  FIN_WAIT2: 'ESTABLISHED',
  CLOSING: 'CLOSE_WAIT',
  TIME_WAIT: 'CLOSE_WAIT',
  LAST_ACK: 'CLOSE_WAIT',
  SYN_SENT: 'SYN_SENT',
  SYN_RECV: 'SYN_RECV',
  ESTABLISHED: 'ESTABLISHED',
  CLOSE_WAIT: 'CLOSE_WAIT',
  CLOSED: 'CLOSED',
  UNKNOWN: 'UNKNOWN',
} as const satisfies Record<TcpState, TcpState>;

/** Where a side that turns out not to have received its peer's FIN was. */
const WITHOUT_PEER_FIN = {
  CLOSE_WAIT: 'ESTABLISHED',
  LAST_ACK: 'FIN_WAIT1',
  CLOSING: 'FIN_WAIT1',
  TIME_WAIT: 'FIN_WAIT2',
  SYN_SENT: 'SYN_SENT',
  SYN_RECV: 'SYN_RECV',
  ESTABLISHED: 'ESTABLISHED',
  FIN_WAIT1: 'FIN_WAIT1',
  FIN_WAIT2: 'FIN_WAIT2',
  CLOSED: 'CLOSED',
  UNKNOWN: 'UNKNOWN',
} as const satisfies Record<TcpState, TcpState>;

const other = (side: Side): Side => (side === 'client' ? 'server' : 'client');

/** A listener's move on its first SYN-ACK, as the log codes it. */
const SYN_ACK_SENT = transitionCode('server', 'CLOSED', 'SYN_RECV', 'sent SYN-ACK', false);

/** A state in which a side waits on its peer during a close (CLOSING waits for its FIN's ACK). */
const closing = (state: TcpState): boolean => isCloseWait(state) || state === 'CLOSING';

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
  /**
   * Round trip from the capture point to each side and back, from the
   * handshake (-1: unknown): SYN to SYN-ACK for the server, SYN-ACK to ACK
   * for the client. Exact when the handshake had no retransmission.
   */
  clientRoundTrip = -1;
  serverRoundTrip = -1;
  cleanHandshake = false;
  /** Stretches of capture time no packet could be seen in (gaps between files): silence there proves nothing. */
  unseen: UnseenTime = NOTHING_UNSEEN;
  /** The earliest time a side's silence proves something (see Endpoint.silenceDue). */
  nextDue = Infinity;

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
    this.unseen = NOTHING_UNSEEN;
    this.clientRoundTrip = -1;
    this.serverRoundTrip = -1;
    this.cleanHandshake = false;
    this.nextDue = Infinity;
  }

  endpoint(side: Side): Endpoint {
    return side === 'client' ? this.client : this.server;
  }

  /**
   * Could the rest of the capture, this connection silent, still find a wait
   * of it stuck: a side in a close's wait, a zero window open, or a silence
   * that will prove something on an open connection. A handshake's wait is
   * left out: a flood of them is what fills the live table.
   */
  get mayYetBeJudged(): boolean {
    const c = this.client;
    const s = this.server;
    if (closing(c.state) || closing(s.state) || c.zeroWindowSince >= 0 || s.zeroWindowSince >= 0) return true;
    return this.nextDue !== Infinity && !isOpening(c.state) && !isOpening(s.state);
  }

  /** Where the capture point sits for this connection. */
  get vantage(): Vantage {
    const clean = this.cleanHandshake;
    return classifyVantage(clean ? this.clientRoundTrip : -1, clean ? this.serverRoundTrip : -1, this.client.ttl, this.server.ttl);
  }

  /** How long `side` may take to react to what the capture saw: its round trip from the capture point, with room for jitter (0: unknown). */
  private reactionTime(side: Side): number {
    const rtt = side === 'client' ? this.clientRoundTrip : this.serverRoundTrip;
    return rtt > 0 ? rtt * 1.5 + 0.001 : 0;
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

  /**
   * Capture time reached `now` with nothing more from this connection: what
   * the silence proves happens (a side gave up, an ACK arrived), and TIME_WAIT
   * that has run its length ends, in time order.
   */
  settle(now: number, timeWait: number): void {
    if (this.nextDue <= now) this.proveBySilence(now, null, null);
    for (let i = 0; i < 2; i++) {
      const side: Side = i === 0 ? 'client' : 'server';
      const e = this.endpoint(side);
      if (e.state === 'TIME_WAIT' && now >= e.since + timeWait) this.move(side, 'CLOSED', 'TIME_WAIT expired', e.since + timeWait, undefined, true);
    }
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
    const to = other(from);
    const snd = this.endpoint(from);
    const rcv = this.endpoint(to);
    out.retransmission = false;
    out.rstAccepted = false;
    out.rejectedSyn = false;
    if (this.nextDue <= s.ts) this.proveBySilence(s.ts, from, s);
    snd.sentPackets++;
    if (snd.ttl === 0) snd.ttl = s.ttl;
    if (s.flags & ACK && (snd.ackNxt < 0 || seqDiff(s.ack, snd.ackNxt) > 0)) snd.ackNxt = s.ack;
    if (rcv.probesUnanswered !== 0) rcv.probesUnanswered = 0; // whatever the peer probed, this answers
    // Anything we send shows we did not give up (an ACK we await is proved or undone by our FINs alone).
    if (snd.silenceProves !== Silence.AckArrived && snd.silenceDue !== Infinity) this.setDue(snd, Infinity);

    if (s.flags & RST) {
      this.onRst(from, to, s, out);
      return;
    }
    if (snd.stateBeforeClose !== null) this.notClosed(from, s);
    if (s.flags & SYN) this.onSyn(from, to, s, out);
    // A side of unknown state, or in SYN_SENT or SYN_RECV (which send nothing but SYNs and SYN-ACKs), sending anything but a
    // SYN has a full socket: the handshake reached it where the capture did not see it.
    else if ((snd.state === 'UNKNOWN' || isOpening(snd.state)) && s.flags & ACK) this.seenOpen(from, to, s);

    // A bare ACK one sequence number past all the side was seen sending: it sent a FIN the capture did not see (lost before
    // the capture point, or missed by it), and sent it before this ACK. A FIN that comes later at that number is sent again.
    if (!(s.flags & (SYN | FIN)) && s.len === 0 && snd.hasSndNxt && !snd.sentFin && seqDiff(s.seq, snd.sndNxt) === 1
        && (snd.state === 'ESTABLISHED' || snd.state === 'CLOSE_WAIT')) this.finPassed(from, s);
    this.trackSequence(from, snd, s, out);
    if (s.flags & ACK) this.onAck(from, to, s);
    if (s.flags & FIN) this.onFin(from, s, out);
    this.trackWindow(snd, s);
  }

  /** Sends nothing but a SYN yet sends: the handshake reached it. An ACK from SYN_SENT of a SYN-ACK never seen proves that SYN-ACK. */
  private seenOpen(from: Side, to: Side, s: Segment): void {
    const snd = this.endpoint(from);
    const rcv = this.endpoint(to);
    if (snd.state === 'SYN_SENT' && !rcv.hasIsn) {
      this.learnPeerStart(rcv, s.ack);
      if (rcv.state === 'CLOSED' || rcv.state === 'UNKNOWN') {
        this.sawSynAck = true;
        rcv.missedSegments++;
        this.move(to, 'SYN_RECV', 'sent SYN-ACK: uncaptured, acknowledged by the peer', s.ts, s.frame, true);
      }
      this.move(from, 'ESTABLISHED', 'received SYN-ACK: uncaptured, acknowledged', s.ts, s.frame);
      return;
    }
    // Its ACK of a SYN-ACK that was seen, but not taken to have arrived: this proves it did.
    if (snd.state === 'SYN_SENT' && rcv.hasIsn && s.ack === seqAdd(rcv.isn, 1)) {
      this.move(from, 'ESTABLISHED', 'received SYN-ACK', s.ts, s.frame);
      return;
    }
    this.move(from, 'ESTABLISHED', 'seen sending on an open connection', s.ts, s.frame, true);
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
        // The first time, the previous transmission is the one the side's state began with.
        this.noteRetransmission(snd, s.flags & ACK ? Retransmitted.SynAck : Retransmitted.Syn, s.ts, snd.rtxCount > 0 ? snd.rtxLastTs : snd.since);
      }
    } else {
      snd.isn = s.seq;
      snd.hasIsn = true;
      snd.wscale = s.wscale >= 0 ? Math.min(s.wscale, 14) : 0;
    }
    if (s.flags & ACK) {
      snd.sentSynAck = true;
      this.sawSynAck = true;
      // The answer to the peer's repeated SYN (a listener answers each one at once), not its own timer's.
      const answersRepeatedSyn = rcv.synRepeated;
      rcv.synRepeated = false;
      switch (snd.state) {
        case 'CLOSED': // a listener answers a SYN; unless the handshake's ACK comes, it sends the SYN-ACK again
        case 'UNKNOWN':
          this.move(from, 'SYN_RECV', 'sent SYN-ACK', s.ts, s.frame);
          if (!out.retransmission && this.sawSyn) this.awaitSilence(snd, Silence.NoRequest, s.ts, SYNACK_TIMEOUT * 1.25 + 0.02);
          break;
        case 'SYN_SENT': // simultaneous open: its SYN-ACK proves it received the peer's SYN in SYN_SENT
          this.move(from, 'SYN_RECV', 'received SYN', s.ts, s.frame);
          break;
        case 'ESTABLISHED': // an established socket never sends a SYN-ACK: the handshake's ACK was lost, or not taken (accept queue full)
          if (out.retransmission && !answersRepeatedSyn) {
            this.move(from, 'SYN_RECV', 'retransmitted SYN-ACK: handshake ACK lost or dropped', s.ts, s.frame, true);
            if (snd.handshakeAckDrops++ === 0) snd.handshakeAckDropEntry = this.log.length - 1;
          }
          break;
        case 'SYN_RECV': // sent again after the ACK it already dropped, which the peer repeats: dropped once more
          if (out.retransmission && snd.handshakeAckDrops > 0 && !answersRepeatedSyn) snd.handshakeAckDrops++;
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
      // A client that showed it lost a SYN-ACK moves on one only when its own ACK proves it.
      if ((rcv.state === 'SYN_SENT' || rcv.state === 'SYN_RECV') && rcv.hasIsn && s.ack === seqAdd(rcv.isn, 1) && !(rcv.state === 'SYN_SENT' && rcv.synAckLost)) {
        if (rcv.state === 'SYN_RECV') this.handshakeAcked = true;
        this.move(to, 'ESTABLISHED', 'received SYN-ACK', s.ts, s.frame, true);
        rcv.unconfirmedEstablished = this.log.length - 1;
        if (rcv.silenceProves !== Silence.AckArrived) this.setDue(rcv, Infinity); // answered: its silence now proves nothing
      }
    } else {
      snd.sentSyn = true;
      this.sawSyn = true;
      if (out.retransmission) snd.synRepeated = true;
      if (snd.state === 'CLOSED' || snd.state === 'UNKNOWN') this.move(from, 'SYN_SENT', 'sent SYN', s.ts, s.frame);
      // The SYN sent again after a SYN-ACK moved us: that SYN-ACK never arrived.
      else if (out.retransmission && snd.state === 'ESTABLISHED' && snd.unconfirmedEstablished >= 0 && s.ts - this.log.ts(snd.unconfirmedEstablished) > this.reactionTime(from)) {
        snd.unconfirmedEstablished = -1;
        snd.synAckLost = true;
        this.move(from, 'SYN_SENT', 'retransmitted SYN: SYN-ACK not received', s.ts, s.frame, true);
      }
      // A SYN reaching a SYN_SENT peer (simultaneous open) moves it once its SYN-ACK proves the arrival.
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
    } else if (rcv.state === 'TIME_WAIT') {
      // TIME_WAIT takes only an RST at exactly the sequence it expects, and then ends (Linux, tcp_rfc1337 = 0).
      out.rstAccepted = !snd.hasSndNxt || s.seq === snd.sndNxt;
    } else {
      out.rstAccepted = this.rstInWindow(snd, rcv, s);
    }
    snd.sentRst = true;
    if (!out.rstAccepted) {
      this.ignoredRsts++;
      return;
    }
    if (this.rstBy === null) this.rstBy = from;
    const probed = snd.probesUnanswered > 0;
    if (!isOver(snd.state)) this.move(from, 'CLOSED', probed ? 'sent RST after unanswered keepalive probes' : 'sent RST', s.ts, s.frame);
    if (rcv.state === 'CLOSED') return;
    if (rcv.state !== 'SYN_SENT') this.closedWithoutProof(rcv, true);
    this.move(to, 'CLOSED', 'received RST', s.ts, s.frame);
  }

  /** An RST is accepted when its sequence number lies in the receiver's window (RFC 9293 3.10.7.4). */
  private rstInWindow(snd: Endpoint, rcv: Endpoint, s: Segment): boolean {
    if (!snd.hasSndNxt) return true; // nothing known of the sender's sequence space: cannot judge, assume valid
    const window = Math.max(rcv.window * 2 ** rcv.wscale, 1);
    const d = seqDiff(s.seq, snd.sndNxt);
    // Linux answers RSTs in window but not exact with a challenge ACK; an exact one aborts. The challenge ACK,
    // when it shows, is a segment sent after the RST: rstNotTaken undoes the move then.
    if (d >= -1 && d < window) return true;
    // The receiver never got the sender's last bytes (lost on the way): what it expects is what it last acknowledged,
    // and an RST there (one a closed socket sends in answer to its segment) is exact for it.
    if (rcv.ackNxt < 0) return false;
    const r = seqDiff(s.seq, rcv.ackNxt);
    return r >= -1 && r < window;
  }

  /**
   * When the handshake's SYN-ACK left the server, for timing: its move to
   * SYN_RECV on its first SYN-ACK (-1: none, as in a simultaneous open).
   * The log holds the handshake alone at this point.
   */
  private handshakeTimes(): number {
    for (let i = 0; i < this.log.length; i++) if (this.log.code(i) === SYN_ACK_SENT) return this.log.ts(i);
    return -1;
  }

  /** The log index of `side`'s FIN as the capture saw it (-1: none). */
  private sentFinEntry(side: Side): number {
    for (let i = 0; i < this.log.length; i++) {
      const code = this.log.code(i);
      if (codeSide(code) === side && codeCause(code) === 'sent FIN') return i;
    }
    return -1;
  }

  /** `e` is about to be taken for CLOSED with no packet of its own to prove it: remember where it was. */
  private closedWithoutProof(e: Endpoint, byRst: boolean): void {
    e.stateBeforeClose = e.state;
    e.closedByRst = byRst;
  }

  /**
   * A side taken for CLOSED without proof sends again, later than it could
   * have before the RST reached it: it never took the RST (Linux answers one
   * in the window but not exact with a challenge ACK), or its silence did
   * not mean it closed.
   */
  private notClosed(from: Side, s: Segment): void {
    const snd = this.endpoint(from);
    if (snd.state !== 'CLOSED') {
      snd.stateBeforeClose = null;
      return;
    }
    if (s.ts - snd.since <= this.reactionTime(from)) return; // sent before the RST reached it
    const before = snd.stateBeforeClose!;
    snd.stateBeforeClose = null;
    this.move(from, before, snd.closedByRst ? 'sent after an RST: did not take it' : 'sent after its silence: had not closed', s.ts, s.frame, true);
  }

  private trackSequence(from: Side, snd: Endpoint, s: Segment, out: SegmentOutcome): void {
    const span = s.len + (s.flags & SYN ? 1 : 0) + (s.flags & FIN ? 1 : 0);
    const end = seqAdd(s.seq, span);
    const fresh = !snd.hasSndNxt || seqDiff(end, snd.sndNxt) > 0;
    if (s.len > 0 && fresh) snd.lastNewDataTs = s.ts;
    if (!snd.hasSndNxt) {
      snd.sndNxt = end;
      snd.hasSndNxt = true;
    } else {
      const below = seqDiff(s.seq, snd.sndNxt);
      // A keepalive or zero-window probe sends at most one byte at sndNxt - 1: not data.
      const probe = below === -1 && s.len <= 1;
      if (probe && !(s.flags & (SYN | FIN))) snd.probesUnanswered++;
      else if (!probe && s.len > 0 && below < 0 && !(s.flags & SYN)) {
        // A segment that begins below sndNxt re-sends bytes, whether or not it also carries new ones.
        snd.dataRetransmits++;
        out.retransmission = true;
        // The first retransmission comes a timeout after the newest data, at the latest.
        this.noteRetransmission(snd, Retransmitted.Data, s.ts, snd.rtxCount > 0 ? snd.rtxLastTs : snd.lastNewDataTs);
      }
      if (fresh) snd.sndNxt = end;
    }
    if (s.len > 0) {
      snd.sentData = true;
      snd.payloadBytes += s.len;
      // Bytes past a FIN we inferred: the byte acknowledged was data after all.
      if (snd.finInferred && seqDiff(end, seqAdd(snd.finSeq, 1)) > 0) this.unsendFin(from, s);
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
    // What the peer acknowledges beyond what it was seen sending happened: the capture missed it (one direction not
    // captured, or packets dropped by the capture). Believed only within our receive window: no forged jump.
    if (rcv.hasSndNxt && !(s.flags & SYN)) {
      const gap = seqDiff(s.ack, rcv.sndNxt);
      if (gap > 0 && gap <= Math.max(snd.window * 2 ** snd.wscale, 65535)) this.acknowledgedUnseen(to, gap, s);
    }
    const acksPeerSyn = rcv.hasIsn && seqGe(s.ack, seqAdd(rcv.isn, 1)) && !(s.flags & SYN);
    // Our ACK of the peer's SYN-ACK proves our move to ESTABLISHED on it.
    if (snd.unconfirmedEstablished >= 0 && acksPeerSyn) {
      this.log.confirm(snd.unconfirmedEstablished);
      snd.unconfirmedEstablished = -1;
    }
    // A listener taken to have kept no request gets its SYN cookie back: the connection is made now.
    if (rcv.state === 'CLOSED' && rcv.stateBeforeClose === 'SYN_RECV' && !rcv.closedByRst && acksPeerSyn) {
      rcv.stateBeforeClose = null;
      this.handshakeAcked = true;
      this.move(to, 'ESTABLISHED', 'received ACK of SYN', s.ts, s.frame);
    }
    // The handshake's last ACK reaches the SYN_RECV side, unless that side showed it drops them.
    if (rcv.state === 'SYN_RECV' && acksPeerSyn) {
      const synAck = !this.handshakeAcked && from === 'client' && this.sawSyn ? this.handshakeTimes() : -1;
      if (synAck >= 0) {
        this.serverRoundTrip = Math.max(0, synAck - this.log.ts(0));
        this.clientRoundTrip = Math.max(0, s.ts - synAck);
        // A pure ACK answers at once; data may have waited on its application (or followed an ACK the capture lost).
        this.cleanHandshake = snd.synRetransmits === 0 && rcv.synRetransmits === 0 && s.len === 0;
      }
      this.handshakeAcked = true;
      if (rcv.silenceProves === Silence.NoRequest) this.setDue(rcv, Infinity);
      if (rcv.handshakeAckDrops === 0) this.move(to, 'ESTABLISHED', 'received ACK of SYN', s.ts, s.frame);
    }
    // An ACK short of our FIN, sent after the FIN could have reached the peer: an ACK of it the capture missed is ruled out.
    if (rcv.sentFin && !rcv.finAcked && rcv.pendingAckTs < 0 && rcv.silenceProves === Silence.AckArrived && rcv.silenceDue !== Infinity
        && seqLt(s.ack, seqAdd(rcv.finSeq, 1)) && s.ts - rcv.lastFinTs > this.reactionTime(from)) {
      this.setDue(rcv, Infinity);
    }
    // Our FIN acknowledged by the peer. Once a retransmission proved that an ACK of it was lost on the way, a later one
    // counts once our silence shows it arrived.
    if (rcv.sentFin && !rcv.finAcked && seqGe(s.ack, seqAdd(rcv.finSeq, 1))) {
      if (rcv.finAckLosses < 2) this.finAcknowledged(to, 'received ACK of FIN', s.ts, s.frame, false);
      else if (rcv.pendingAckTs < 0) {
        rcv.pendingAckTs = s.ts;
        rcv.pendingAckFrame = s.frame;
        this.awaitSilence(rcv, Silence.AckArrived, rcv.rtxLastTs, stoppedBy(rcv.rtxLastTs, Math.max(1, rcv.rtxCount), rcv.rtxInterval) - rcv.rtxLastTs);
      }
    }
    // All we sent acknowledged: a retransmission series is over.
    if (rcv.rtxCount !== 0 && seqGe(s.ack, rcv.sndNxt)) {
      rcv.rtxCount = 0;
      if (rcv.silenceProves !== Silence.AckArrived && rcv.silenceDue !== Infinity) this.setDue(rcv, Infinity);
    }
    // The sender acknowledges the peer's FIN: proof that the FIN arrived.
    if (rcv.sentFin && !snd.peerFinAcked && seqGe(s.ack, seqAdd(rcv.finSeq, 1))) {
      snd.peerFinAcked = true;
      this.receiveFin(from, s.ts, s.frame, 'received FIN', false);
    }
  }

  /**
   * The peer acknowledged `gap` sequence numbers of `side` that the capture
   * never saw. One past the last byte, from a side that sent no FIN, is its
   * FIN; more is data: counted in missedBytes, progress, and proof that the
   * side was open.
   */
  private acknowledgedUnseen(side: Side, gap: number, s: Segment): void {
    const e = this.endpoint(side);
    e.missedSegments++;
    if (gap === 1 && !e.sentFin) {
      e.finInferred = true;
      e.lastFinTs = s.ts;
      e.sndNxt = seqAdd(e.sndNxt, 1);
      // The peer's FIN, sent before, is taken to have reached us first: our FIN acknowledged it, as FINs do.
      const peer = this.endpoint(other(side));
      if (peer.sentFin && !e.peerFinAcked) {
        e.peerFinAcked = true;
        this.receiveFin(side, s.ts, s.frame, 'received FIN: acknowledged, ACK uncaptured', true);
      }
      this.sendFin(side, seqAdd(e.sndNxt, -1), peer.sentFin ? seqAdd(peer.finSeq, 1) : -1, s.ts, s.frame, 'sent FIN: uncaptured, acknowledged by the peer', true);
      return;
    }
    e.missedBytes += gap;
    e.sndNxt = s.ack;
    e.lastNewDataTs = s.ts;
    if (e.state === 'UNKNOWN' || isOpening(e.state)) this.move(side, 'ESTABLISHED', 'sent data: uncaptured, acknowledged by the peer', s.ts, s.frame, true);
  }

  /**
   * `side` sends past a FIN the capture never saw: it sent that FIN. If this ACK is the first to acknowledge the peer's FIN,
   * sent once, and follows it as an answer does, our FIN went first (the peer's found us in FIN_WAIT1, which acknowledges
   * at once); if the peer sent its FIN again, or the ACK comes later than an answer to the one seen could (no sooner than
   * the peer's shortest retransmission timeout), it answers a repeat, and we take the usual order: its FIN reached us,
   * then we closed (LAST_ACK).
   */
  private finPassed(side: Side, s: Segment): void {
    const e = this.endpoint(side);
    const peer = this.endpoint(other(side));
    e.finInferred = true;
    e.lastFinTs = s.ts;
    const finSeq = e.sndNxt;
    e.sndNxt = seqAdd(finSeq, 1);
    const acksPeerFin = peer.sentFin && !e.peerFinAcked && (s.flags & ACK) !== 0 && seqGe(s.ack, seqAdd(peer.finSeq, 1));
    const reaction = this.reactionTime(side);
    if (acksPeerFin && (peer.finRetransmits > 0 || s.ts - peer.lastFinTs > Math.max(reaction, RTO_MIN))) {
      e.peerFinAcked = true;
      this.receiveFin(side, s.ts, s.frame, 'received FIN: acknowledged, ACK uncaptured', true);
    }
    this.sendFin(side, finSeq, e.peerFinAcked ? seqAdd(peer.finSeq, 1) : -1, s.ts, s.frame, 'sent FIN: uncaptured, a later segment past it', true);
    e.finProvedTsVal = s.tsVal;
  }

  /**
   * The FIN `finPassed` inferred comes after all, overtaken on the way by the segment that proved it (its timestamp is no
   * later): it is no retransmission, and its ACK tells the order. If it acknowledges the peer's FIN, it was sent after
   * that FIN arrived: a passive close (LAST_ACK), not crossing FINs.
   */
  private overtakenFin(side: Side, s: Segment): void {
    const e = this.endpoint(side);
    const peer = this.endpoint(other(side));
    e.finInferred = false;
    e.finProvedTsVal = 0;
    e.finCarriedAck = s.flags & ACK ? s.ack : -1;
    if (!peer.sentFin || !(s.flags & ACK) || !seqGe(s.ack, seqAdd(peer.finSeq, 1))) return;
    const cause: Cause = "sent FIN: overtaken, after the peer's FIN arrived";
    if (e.state === 'CLOSING') this.move(side, 'LAST_ACK', cause, s.ts, s.frame, true);
    else if (e.state === 'TIME_WAIT' && e.finAcked) this.move(side, 'CLOSED', cause, s.ts, s.frame, true);
    else return;
    this.bothFinCrossed = false;
    if (this.firstFinBy === side) this.firstFinBy = other(side);
  }

  /** The FIN we inferred was a data byte: `side` sent data past it. Both sides go back to where they would be without it. */
  private unsendFin(side: Side, s: Segment): void {
    const e = this.endpoint(side);
    const peerSide = other(side);
    const peer = this.endpoint(peerSide);
    const cause: Cause = 'sent data after an inferred FIN: it was data';
    e.finInferred = false;
    e.finProvedTsVal = 0;
    e.sentFin = false;
    e.finSeq = -1;
    e.finAcked = false;
    e.finAckLosses = 0;
    e.pendingAckTs = -1;
    this.setDue(e, Infinity);
    e.missedBytes += 1;
    if (this.firstFinBy === side) this.firstFinBy = peer.sentFin ? peerSide : null;
    this.bothFinCrossed = false;
    this.move(side, WITHOUT_OWN_FIN[e.state], cause, s.ts, s.frame, true);
    if (peer.peerFinAcked) {
      peer.peerFinAcked = false;
      this.move(peerSide, WITHOUT_PEER_FIN[peer.state], cause, s.ts, s.frame, true);
    }
  }

  /** `side`'s FIN is acknowledged and it knows it: the wait for that ACK ends. */
  private finAcknowledged(side: Side, cause: Cause, ts: number, frame: number, inferred: boolean): void {
    const e = this.endpoint(side);
    e.finAcked = true;
    e.pendingAckTs = -1;
    e.rtxCount = 0;
    this.setDue(e, Infinity);
    const state = e.state;
    switch (state) {
      case 'FIN_WAIT1': // ACK of our FIN: wait for the peer's
        this.move(side, 'FIN_WAIT2', cause, ts, frame, inferred);
        break;
      case 'CLOSING': // simultaneous close completes
        this.move(side, 'TIME_WAIT', cause, ts, frame, inferred);
        break;
      case 'LAST_ACK': // passive close completes
        this.move(side, 'CLOSED', cause, ts, frame, inferred);
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
        assertNever(state);
    }
  }

  /** The side `side` has received (and acknowledged) its peer's FIN. */
  private receiveFin(side: Side, ts: number, frame: number, cause: Cause, inferred: boolean): void {
    const e = this.endpoint(side);
    const state = e.state;
    switch (state) {
      case 'ESTABLISHED': // passive close begins
      case 'SYN_RECV':
      case 'UNKNOWN':
        this.move(side, 'CLOSE_WAIT', cause, ts, frame, inferred);
        break;
      case 'FIN_WAIT1': {
        // Whoever takes the peer's FIN takes the ACK it carried: if that covered our FIN, both arrived together.
        const peer = this.endpoint(other(side));
        if (!e.finAcked && peer.finCarriedAck >= 0 && seqGe(peer.finCarriedAck, seqAdd(e.finSeq, 1))) this.finAcknowledged(side, 'received ACK of FIN', ts, frame, inferred);
        if (e.finAcked) this.move(side, 'TIME_WAIT', cause, ts, frame, inferred);
        else {
          this.bothFinCrossed = true; // both FINs crossed
          this.move(side, 'CLOSING', cause, ts, frame, inferred);
        }
        break;
      }
      case 'FIN_WAIT2': // active close completes
        this.move(side, 'TIME_WAIT', cause, ts, frame, inferred);
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
      if (snd.finInferred && snd.finProvedTsVal !== 0 && s.tsVal !== 0 && finSeq === snd.finSeq && seqLe(s.tsVal, snd.finProvedTsVal)) {
        this.overtakenFin(from, s);
        return;
      }
      if (seqLe(finSeq, snd.finSeq)) {
        snd.finRetransmits++;
        out.retransmission = true;
        this.noteRetransmission(snd, Retransmitted.Fin, s.ts, snd.lastFinTs);
        snd.lastFinTs = s.ts;
        // A FIN sent again after we saw its ACK, later than the ACK could have reached us: that ACK never did.
        if (snd.finAcked && (snd.state === 'CLOSED' || snd.state === 'FIN_WAIT2' || snd.state === 'TIME_WAIT') && s.ts - snd.since > this.reactionTime(from)) {
          snd.finAcked = false;
          snd.finAckLosses++;
          const back: TcpState = snd.state === 'CLOSED' ? 'LAST_ACK' : snd.state === 'FIN_WAIT2' ? 'FIN_WAIT1' : 'CLOSING';
          this.move(from, back, 'retransmitted FIN: final ACK lost', s.ts, s.frame, true);
        }
        // Sent again with no ACK seen: the FIN or its ACK was lost. Seen near the peer, the FIN arrived.
        const to = other(from);
        const rcv = this.endpoint(to);
        const fin = snd.finRetransmits === 1 && !rcv.peerFinAcked && isNear(this.vantage, to) ? this.sentFinEntry(from) : -1;
        if (fin >= 0) {
          rcv.peerFinAcked = true;
          this.receiveFin(to, this.log.ts(fin), this.log.frame(fin), 'received FIN: seen near it, its ACK lost', true);
        }
        return;
      }
      if (!snd.finInferred) return; // a FIN past our FIN: noise
      this.unsendFin(from, s); // a FIN past the one we inferred: that one was a data byte
    }
    snd.lastFinTs = s.ts;
    this.sendFin(from, finSeq, s.flags & ACK ? s.ack : -1, s.ts, s.frame, 'sent FIN', false);
    // Unacknowledged, our FIN would be sent again: if it never is, its ACK arrived where the capture did not see it.
    if (!snd.finAcked && snd.rtxCount === 0) {
      snd.pendingAckTs = -1;
      this.awaitSilence(snd, Silence.AckArrived, s.ts, Math.max(1, 4 * (Math.max(0, this.clientRoundTrip) + Math.max(0, this.serverRoundTrip))) * 1.25);
    }
  }

  /** `side` sends its FIN at `finSeq`, carrying `carriedAck` (-1: none). */
  private sendFin(side: Side, finSeq: number, carriedAck: number, ts: number, frame: number, cause: Cause, inferred: boolean): void {
    const e = this.endpoint(side);
    e.sentFin = true;
    e.finSeq = finSeq;
    e.finCarriedAck = carriedAck;
    if (this.firstFinBy === null) this.firstFinBy = side;
    const state = e.state;
    switch (state) {
      case 'ESTABLISHED': // active close
      case 'SYN_RECV':
      case 'UNKNOWN':
        this.move(side, e.peerFinAcked ? 'LAST_ACK' : 'FIN_WAIT1', cause, ts, frame, inferred);
        break;
      case 'CLOSE_WAIT': // passive close: our FIN after the peer's
        this.move(side, 'LAST_ACK', cause, ts, frame, inferred);
        break;
      case 'SYN_SENT': // closing before the handshake ends: Linux just closes
        this.move(side, 'FIN_WAIT1', cause, ts, frame, inferred);
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

  /** `e` sent `kind` again at `ts`, its previous transmission at `previous` (-1: unknown): the series goes on, and its silence will prove it stopped. */
  private noteRetransmission(e: Endpoint, kind: Retransmitted, ts: number, previous: number): void {
    e.rtxInterval = previous >= 0 && previous < ts ? ts - previous : RTO_MIN;
    e.rtxKind = kind;
    e.rtxCount++;
    e.rtxLastTs = ts;
    // Whatever ACK we awaited did not arrive: we send again.
    e.pendingAckTs = -1;
    this.awaitSilence(e, Silence.GaveUp, ts, GAVE_UP[kind] !== undefined ? stoppedBy(ts, e.rtxCount, e.rtxInterval) - ts : Infinity);
  }

  /** Once `e` has been silent `span` seconds of capture time seen since `since`, its silence proves `what`. */
  private awaitSilence(e: Endpoint, what: Silence, since: number, span: number): void {
    e.silenceProves = what;
    e.silenceSpan = span;
    this.setDue(e, since + span);
  }

  private setDue(e: Endpoint, due: number): void {
    e.silenceDue = due;
    this.nextDue = Math.min(this.client.silenceDue, this.server.silenceDue);
  }

  /**
   * Capture time reached `now` (with segment `s` from `speaker`; null:
   * nothing): each side whose silence since its last retransmission lasted
   * past its due time proves what it was waiting on, in time order. The
   * speaker's own silence ended with its segment: it did not give up or drop
   * its request, and only a FIN from it undoes the ACK it awaited. A peer's
   * segment that does not acknowledge our FIN rules out an ACK of it the
   * capture missed.
   */
  private proveBySilence(now: number, speaker: Side | null, s: Segment | null): void {
    const first: Side = this.server.silenceDue < this.client.silenceDue ? 'server' : 'client';
    for (let i = 0; i < 2; i++) {
      const side = i === 0 ? first : other(first);
      const e = this.endpoint(side);
      if (e.silenceDue > now) continue;
      // Time the capture did not see (a gap between files) proves nothing: the due time moves past it.
      const since = e.silenceDue - e.silenceSpan;
      const unseen = this.unseen.within(since, now);
      if (unseen > 0 && now - since - unseen < e.silenceSpan) {
        this.setDue(e, e.silenceDue + unseen); // counting from as much later
        continue;
      }
      const what = e.silenceProves;
      const flags = s === null ? 0 : s.flags;
      const denied = s !== null && side !== speaker && what === Silence.AckArrived && e.pendingAckTs < 0 && (flags & ACK) !== 0 && seqLt(s.ack, seqAdd(e.finSeq, 1));
      if (!denied && (side !== speaker || (what === Silence.AckArrived && !(flags & FIN)))) {
        switch (what) {
          case Silence.GaveUp:
            this.giveUp(side);
            break;
          case Silence.AckArrived:
            this.ackArrived(side);
            break;
          case Silence.NoRequest:
            this.keptNoRequest(side);
            break;
          default:
            assertNever(what);
        }
      }
      this.setDue(e, Infinity);
    }
  }

  /**
   * `side` never sent its FIN again: the ACK it awaited arrived, the one
   * seen after its last retransmission, or one the capture missed (and with
   * that ACK, the peer took the FIN).
   */
  private ackArrived(side: Side): void {
    const e = this.endpoint(side);
    if (!e.sentFin || e.finAcked || isOver(e.state)) return;
    const seen = e.pendingAckTs >= 0;
    const ts = seen ? e.pendingAckTs : e.lastFinTs + Math.max(0, this.clientRoundTrip) + Math.max(0, this.serverRoundTrip);
    const frame = seen ? e.pendingAckFrame : 0;
    this.finAcknowledged(side, seen ? 'received ACK of FIN: FIN not sent again' : 'received ACK of FIN: uncaptured, FIN not sent again', ts, frame, true);
    const peerSide = other(side);
    const peer = this.endpoint(peerSide);
    if (!peer.peerFinAcked) {
      peer.peerFinAcked = true;
      this.receiveFin(peerSide, ts, frame, 'received FIN: acknowledged, ACK uncaptured', true);
    }
  }

  /** `side` stopped retransmitting with no answer: its kernel gave up, and the socket is gone. */
  private giveUp(side: Side): void {
    const e = this.endpoint(side);
    const cause = GAVE_UP[e.rtxKind];
    // Only a backoff series counts (a quicker resend is a tail-loss probe or a quirk), and data or a FIN only toward a
    // peer the capture saw: without its direction the capture lacks the ACKs.
    if (cause === undefined || isOver(e.state) || e.rtxInterval < 0.9 * RTO_MIN) return;
    if (e.rtxKind !== Retransmitted.Syn && this.endpoint(other(side)).sentPackets === 0) return;
    const at = gaveUpAt(e.rtxLastTs, e.rtxCount, e.rtxInterval);
    this.closedWithoutProof(e, false);
    this.move(side, 'CLOSED', cause, at, undefined, true);
    e.rtxCount = 0;
  }

  /** A listener that never sent its SYN-ACK again, the handshake's ACK unseen: it sent a SYN cookie and kept no request. */
  private keptNoRequest(side: Side): void {
    const e = this.endpoint(side);
    if (e.state !== 'SYN_RECV' || e.handshakeAckDrops > 0) return;
    const at = e.since + SYNACK_TIMEOUT;
    this.closedWithoutProof(e, false);
    this.move(side, 'CLOSED', 'sent no SYN-ACK again: kept no request (SYN cookie)', at, undefined, true);
  }
}
