/**
 * Wireshark's TCP sequence analysis, the events its Expert Info shows
 * (`tcp.analysis.*`), counted per side; and the facts other tools' users look
 * for beside them: the options the handshake settled, the handshake's round
 * trip, and each side's bytes by sequence numbers (Zeek's `orig_bytes`).
 *
 * The rules follow `tcp_analyze_sequence_number()` of Wireshark 4.0
 * (epan/dissectors/packet-tcp.c), in its order, on absolute sequence numbers
 * and raw windows as Wireshark analyses them, so the counts can be checked
 * against tshark's `tcp.analysis.*` flags: one TCP conversation of Wireshark
 * is one lifecycle here. Fed one packet at a time by the lifecycle; numbers
 * only, nothing allocated per packet, and reset for a recycled lifecycle.
 */
import { ACK, FIN, RST, SYN, type PacketView } from '../decode/packet.js';

/** The Expert Info events counted per side, by their `tcp.analysis.*` field names. */
export const ANALYSIS_EVENTS = [
  'retransmission',
  'fast_retransmission',
  'duplicate_ack',
  'out_of_order',
  'lost_segment',
  'zero_window',
  'window_full',
  'keep_alive',
] as const;
export type AnalysisEvent = (typeof ANALYSIS_EVENTS)[number];
/** Per event that happened, how often; an event that did not happen is left out. */
export type AnalysisCounts = Partial<Record<AnalysisEvent, number>>;
/** The counts of a direction without events (most): one object, shared by their records. */
const NO_EVENTS: AnalysisCounts = Object.freeze({});
const [RETRANSMISSION, FAST_RETRANSMISSION, DUPLICATE_ACK, OUT_OF_ORDER, LOST_SEGMENT, ZERO_WINDOW, WINDOW_FULL, KEEP_ALIVE_EVENT] = ANALYSIS_EVENTS.map((_, i) => i) as [
  number, number, number, number, number, number, number, number,
];

// Bits of a direction's state. KEEP_ALIVE and ZERO_WINDOW_PROBE: what Wireshark made of its last segment.
const KEEP_ALIVE = 1;
const ZERO_WINDOW_PROBE = 2;
/** Its last segment was a SYN, whose window is never scaled. */
const LAST_WAS_SYN = 4;
/** A segment of it was seen, and the first was a SYN (whose sequence number counts no byte). */
const SEEN = 8;
const STARTS_WITH_SYN = 16;
const SENT_FIN = 32;
/** Its SYN was seen, and offered SACK and timestamps. */
const SAW_SYN = 64;
const OFFERED_SACK = 128;
const OFFERED_TIMESTAMPS = 256;
const LAST_SEGMENT = KEEP_ALIVE | ZERO_WINDOW_PROBE | LAST_WAS_SYN;

/** Wireshark's window scale states: not known yet (no SYN seen), or known not to be in use. */
const SCALE_UNKNOWN = -1;
const SCALE_NONE = -2;
/** No window seen yet (Wireshark starts at the largest 32-bit value, which no 16-bit window equals). */
const NO_WINDOW = -1;

/** Fast retransmission: within 20 ms of the duplicate ACK. Out of order: within the handshake's RTT, else 3 ms. In microseconds. */
const FAST_RETRANSMISSION_WINDOW = 20_000;
const OUT_OF_ORDER_DEFAULT = 3_000;

// Sequence numbers are kept as signed 32-bit integers (small integers in V8, never boxed); wrap-safe comparison.
const seqGt = (a: number, b: number) => ((a - b) | 0) > 0;
const seqLt = (a: number, b: number) => ((a - b) | 0) < 0;
const seqLe = (a: number, b: number) => ((a - b) | 0) <= 0;

/** One direction of the connection, as Wireshark's `tcp_flow_t` and its `tcp_analyze_seq_flow_info_t`. */
class Direction {
  // Times are microseconds since the connection's first packet: small integers for 35 minutes, never boxed.
  /** Next sequence number expected (0: none yet, as in Wireshark), and when it last advanced. */
  nextSeq = 0;
  nextSeqTime = 0;
  maxSeqToBeAcked = 0;
  lastAck = 0;
  lastAckTime = 0;
  window = NO_WINDOW;
  winScale = SCALE_UNKNOWN;
  dupAcks = 0;
  /** First sequence number sent and the end of the highest byte sent, for the byte count. */
  firstSeq = 0;
  highSeq = 0;
  /** MSS of its SYN (-1: absent). */
  mss = -1;
  bits = 0;
  /** The Expert Info events, as counted by tshark's `tcp.analysis.*` flags, by ANALYSIS_EVENTS; made at the first (most connections have none). */
  private events: Int32Array | undefined = undefined;

  reset(): void {
    this.nextSeq = 0;
    this.nextSeqTime = 0;
    this.maxSeqToBeAcked = 0;
    this.lastAck = 0;
    this.lastAckTime = 0;
    this.window = NO_WINDOW;
    this.winScale = SCALE_UNKNOWN;
    this.dupAcks = 0;
    this.firstSeq = 0;
    this.highSeq = 0;
    this.mss = -1;
    this.bits = 0;
    this.events = undefined;
  }

  get sawSyn(): boolean {
    return (this.bits & SAW_SYN) !== 0;
  }

  /** Payload bytes by sequence numbers, SYN and FIN left out: Zeek's `orig_bytes` / `resp_bytes`. */
  get bytes(): number {
    if (!(this.bits & SEEN)) return 0;
    const span = (this.highSeq - this.firstSeq) >>> 0;
    return Math.max(0, span - (this.bits & STARTS_WITH_SYN ? 1 : 0) - (this.bits & SENT_FIN ? 1 : 0));
  }

  count(event: number): void {
    (this.events ??= new Int32Array(ANALYSIS_EVENTS.length))[event]!++;
  }

  /** The counts as the record's object: the events that happened (most connections: none), in ANALYSIS_EVENTS order. */
  counts(): AnalysisCounts {
    const e = this.events;
    if (!e) return NO_EVENTS;
    const counts: AnalysisCounts = {};
    for (let i = 0; i < e.length; i++) if (e[i]! > 0) counts[ANALYSIS_EVENTS[i]!] = e[i]!;
    return counts;
  }
}

export class TcpAnalysis {
  readonly client = new Direction();
  readonly server = new Direction();
  /** The connection's first packet: times below are microseconds since. */
  private base = 0;
  /** Time of the most recent SYN (without ACK), and Wireshark's initial RTT (0 until known). */
  private lastSynTs = 0;
  private hasSyn = false;
  private firstRtt = 0;
  /** SYN to the ACK that completed the handshake, at the capture point, in microseconds (-1: not completed). */
  private handshakeMicros = -1;
  private serverSynAckSeen = false;

  reset(firstTs: number): void {
    this.client.reset();
    this.server.reset();
    this.base = firstTs;
    this.lastSynTs = 0;
    this.hasSyn = false;
    this.firstRtt = 0;
    this.handshakeMicros = -1;
    this.serverSynAckSeen = false;
  }

  /** SYN to the ACK that completed the handshake, at the capture point, in seconds (-1: not completed). */
  get handshakeRtt(): number {
    return this.handshakeMicros < 0 ? -1 : this.handshakeMicros / 1e6;
  }

  /** Window scaling in use for the connection: both SYNs seen and both carried the option. */
  get windowScaling(): boolean {
    return this.client.winScale >= 0 && this.server.winScale >= 0;
  }

  /** An option both SYNs carried: true, false, or null when either SYN went unseen. */
  negotiated(option: 'sack' | 'timestamps'): boolean | null {
    const bit = option === 'sack' ? OFFERED_SACK : OFFERED_TIMESTAMPS;
    if (!this.client.sawSyn || !this.server.sawSyn) return null;
    return (this.client.bits & this.server.bits & bit) !== 0;
  }

  packet(pkt: PacketView, fromClient: boolean): void {
    const fwd = fromClient ? this.client : this.server;
    const rev = fromClient ? this.server : this.client;
    const flags = pkt.flags;
    const seq = pkt.seq | 0;
    const ack = pkt.ack | 0;
    const len = pkt.payloadLen;
    const ts = Math.round((pkt.ts - this.base) * 1e6);
    this.analyse(fwd, rev, flags, seq, ack, len, pkt.window, ts);

    // Byte counts by sequence numbers, from the first segment seen; an RST's sequence number proves nothing sent.
    if (!(flags & RST)) {
      const end = (seq + len + (flags & (SYN | FIN) ? 1 : 0)) | 0;
      if (!(fwd.bits & SEEN)) {
        fwd.bits |= SEEN | (flags & SYN ? STARTS_WITH_SYN : 0);
        fwd.firstSeq = seq;
        fwd.highSeq = end;
      } else if (seqGt(end, fwd.highSeq)) fwd.highSeq = end;
      if (flags & FIN) fwd.bits |= SENT_FIN;
    }

    if (flags & SYN) {
      if (!(fwd.bits & SAW_SYN)) {
        fwd.bits |= SAW_SYN | (pkt.sackPermitted ? OFFERED_SACK : 0) | (pkt.hasTimestamps ? OFFERED_TIMESTAMPS : 0);
        fwd.mss = pkt.mss;
      }
      // Window scaling as Wireshark settles it: a SYN without the option turns it off both ways.
      if (pkt.wscale < 0) {
        fwd.winScale = SCALE_NONE;
        rev.winScale = SCALE_NONE;
      } else fwd.winScale = flags & ACK && rev.winScale === SCALE_NONE ? SCALE_NONE : Math.min(pkt.wscale, 14);
      if (!(flags & ACK)) {
        this.lastSynTs = ts;
        this.hasSyn = true;
      } else if (!fromClient) this.serverSynAckSeen = true;
    } else if (flags & ACK && this.hasSyn) {
      // Wireshark's iRTT: the first segment with ACK and without SYN after a SYN, in either direction.
      if (this.firstRtt === 0) this.firstRtt = ts - this.lastSynTs;
      // The handshake's own: the client's ACK of the server's SYN-ACK.
      if (this.handshakeMicros < 0 && fromClient && !(flags & RST) && this.serverSynAckSeen && this.server.sawSyn && ack === ((this.server.firstSeq + 1) | 0)) {
        this.handshakeMicros = ts - this.lastSynTs;
      }
    }
  }

  /** `tcp_analyze_sequence_number()`: marks the segment and updates the direction's state. */
  private analyse(fwd: Direction, rev: Direction, flags: number, seq: number, ack: number, len: number, window: number, ts: number): void {
    let marks = 0;
    checks: {
      // Zero window probe: one byte at the next sequence number into a zero window.
      if (len === 1 && seq === fwd.nextSeq && rev.window === 0) {
        marks = ZERO_WINDOW_PROBE;
        break checks;
      }
      if (window === 0 && !(flags & (RST | FIN | SYN))) fwd.count(ZERO_WINDOW);
      // Previous segment not captured: this one begins beyond what was seen.
      if (fwd.nextSeq !== 0 && seqGt(seq, fwd.nextSeq) && !(flags & RST)) fwd.count(LOST_SEGMENT);
      // Keep-alive: at most one byte, one before the next sequence number.
      if (len <= 1 && seq === ((fwd.nextSeq - 1) | 0) && !(flags & (SYN | FIN | RST))) {
        marks = KEEP_ALIVE;
        fwd.count(KEEP_ALIVE_EVENT);
      }
      // Window full: the data reaches the edge of the peer's advertised window.
      if (len > 0 && rev.winScale !== SCALE_UNKNOWN && !(flags & (SYN | FIN | RST))) {
        const shift = rev.bits & LAST_WAS_SYN || rev.winScale === SCALE_NONE ? 0 : rev.winScale;
        // A 16-bit window shifted at most 14 bits stays below 2^30: an integer shift, not a power of two in doubles.
        if (((seq + len) | 0) === ((rev.lastAck + (rev.window << shift)) | 0)) fwd.count(WINDOW_FULL);
      }
      const repeats = len === 0 && window === fwd.window && seq === fwd.nextSeq && ack === fwd.lastAck && !(flags & (SYN | FIN | RST));
      // The ACK of a keep-alive or of a zero window probe repeats itself without being a duplicate.
      if (repeats && window !== 0 && rev.bits & KEEP_ALIVE) break checks;
      if (repeats && window === 0 && rev.bits & ZERO_WINDOW_PROBE) break checks;
      if (repeats && window !== 0) {
        fwd.dupAcks = fwd.dupAcks === -1 ? 1 : fwd.dupAcks + 1;
        fwd.count(DUPLICATE_ACK);
      }
    }
    if (ack !== fwd.lastAck) fwd.dupAcks = 0;
    // The other direction acknowledged past what was seen of it: ends its run of duplicate ACKs.
    if (rev.maxSeqToBeAcked !== 0 && seqGt(ack, rev.maxSeqToBeAcked) && flags & ACK) {
      if (rev.maxSeqToBeAcked >>> 0 > rev.nextSeq >>> 0) rev.maxSeqToBeAcked = rev.nextSeq;
      else rev.dupAcks = -1;
    }

    const end = (seq + len + (flags & (SYN | FIN) ? 1 : 0)) | 0;
    if ((len > 0 || flags & (SYN | FIN)) && marks !== KEEP_ALIVE) {
      let notAdvanced = fwd.nextSeq !== 0 && seqLt(seq, fwd.nextSeq);
      // More than one byte starting one before the next sequence number follows a zero window probe: new data.
      if (len > 1 && ((fwd.nextSeq - 1) | 0) === seq) notAdvanced = false;
      // Wireshark marks fast and spurious retransmissions as retransmissions too (`tcp.analysis.retransmission` selects them).
      if (len > 0 && rev.lastAck !== 0 && seqLe((seq + len) | 0, rev.lastAck)) fwd.count(RETRANSMISSION); // spurious: already acknowledged
      else if (notAdvanced) {
        if (rev.dupAcks >= 2 && rev.lastAck === seq && ts - rev.lastAckTime < FAST_RETRANSMISSION_WINDOW) {
          fwd.count(FAST_RETRANSMISSION);
          fwd.count(RETRANSMISSION);
        } else if (ts - fwd.nextSeqTime < (this.firstRtt > 0 ? this.firstRtt : OUT_OF_ORDER_DEFAULT) && fwd.nextSeq !== end) fwd.count(OUT_OF_ORDER);
        else fwd.count(RETRANSMISSION);
      }
    }

    if ((seqGt(end, fwd.nextSeq) || fwd.nextSeq === 0) && marks !== ZERO_WINDOW_PROBE) {
      fwd.nextSeq = end;
      fwd.nextSeqTime = ts;
    }
    if ((seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) && marks !== ZERO_WINDOW_PROBE) fwd.maxSeqToBeAcked = fwd.nextSeq;
    fwd.window = window;
    fwd.lastAck = ack;
    fwd.lastAckTime = ts;
    fwd.bits = (fwd.bits & ~LAST_SEGMENT) | marks | (flags & SYN ? LAST_WAS_SYN : 0);
  }
}
