/**
 * One connection lifecycle: a 4-tuple from its opening to its end. Holds the
 * state machine and the counters, and turns them into the contract record.
 */
import { ACK, FIN, PSH, RST, SYN, type PacketView } from '../decode/packet.js';
import { TcpAnalysis } from '../expert/tcp-analysis.js';
import { MAX_LISTED_DUPLICATES, WiresharkFilter } from '../expert/wireshark-filter.js';
import type { ConnectionRecord, ConnectionSummary } from '../records.js';
import { judgeAnomalies, type Judgement } from '../rules/anomalies.js';
import { NO_GAPS, type CaptureGaps } from './capture-gaps.js';
import { ConnectionMachine, type Segment, type SegmentOutcome, type TransitionObserver } from '../state/machine.js';
import { seqDiff } from '../state/seq.js';
import { isOver } from '../state/states.js';
import { transitionsOf, type TransitionLogView } from '../state/transition-log.js';
import { ZeekHistory, zeekConnState } from '../state/zeek.js';
import { formatEndpoint } from './address.js';
import { Link } from './link-list.js';
import { SegmentLog } from './segment-log.js';

const NO_FRAMES: readonly number[] = [];

export interface LifecycleLimits {
  stuckAfter: number;
  /** Stretches the capture did not see, which count as no time stuck (default: none). */
  gaps?: CaptureGaps | undefined;
}

// Reused across all lifecycles: applying a segment allocates nothing.
const segment: Segment = { ts: 0, frame: 0, flags: 0, seq: 0, ack: 0, len: 0, window: 0, wscale: -1, ttl: 0, tsVal: 0 };
const outcome: SegmentOutcome = { retransmission: false, rstAccepted: false, rejectedSyn: false };
/** The gaps of the capture being judged, read by the one judgement every record reuses. */
let gapsNow: CaptureGaps = NO_GAPS;
const judgement: Judgement = { endTs: 0, stuckAfter: 0, oneSided: false, unseen: (since, until) => gapsNow.within(since, until) };

/**
 * Lifecycles are recycled: once its record is out, the tracker hands a
 * lifecycle to the next connection (`begin`), so the objects a connection
 * needs are made once per live connection, not once per connection.
 */
export class Lifecycle {
  /**
   * Client address words then server address words. A plain array of
   * doubles: a Uint32Array this small costs an ArrayBuffer object and a
   * backing store of its own, 120 bytes more per live connection.
   */
  readonly addr: number[] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
  readonly machine = new ConnectionMachine();
  readonly history = new ZeekHistory();
  ipVersion = 0;
  clientPort = 0;
  serverPort = 0;
  clientRule = '';
  /** Its 4-tuple's flow hash, set by the tracker. */
  hash = 0;
  /** Its place in the tracker's list of live lifecycles, least recently active first. */
  readonly idleLink = new Link<Lifecycle>(this);
  /** Its place in the tracker's list of lifecycles that look over. */
  readonly doneLink = new Link<Lifecycle>(this);
  /** Live input: its place in the tracker's list of lifecycles with both sides CLOSED, whose record is due soon. */
  readonly closedLink = new Link<Lifecycle>(this);
  /** Live input: its record went out early; it stays only to take its late packets. */
  emitted = false;
  /** The tracker's watch (merge state) follows its packets: its slot there, -1 when not watched. */
  watch = -1;
  firstTs = 0;
  lastTs = 0;
  firstFrame = 0;
  lastFrame = 0;
  packets = 0;
  /** When the previous lifecycle's TIME_WAIT on this 4-tuple began, if this one took over during it (-1: it did not). */
  timeWaitReuseSince = -1;
  /** The first and last segments, when asked for (ladder diagrams); kept with a recycled lifecycle. */
  segmentLog: SegmentLog | undefined = undefined;
  keepsSegments = false;
  /** Wireshark's view of the lifecycle: Expert Info events, negotiated options, handshake RTT. */
  readonly analysis = new TcpAnalysis();
  /** The files of its first and last packet, and their frame numbers in those files. */
  file: string | undefined = undefined;
  lastFile: string | undefined = undefined;
  firstFrameInFile = 0;
  lastFrameInFile = 0;
  /** IP fragments in its first file up to its last packet there: its Wireshark filter then leaves fragments out. */
  fragmentsInFile = 0;
  /** Second copies of its packets (`tcpdump -i any`), counted once; the first few frame numbers kept for its Wireshark filter. */
  duplicates = 0;
  /** Made at the first second copy: most lifecycles have none. */
  duplicateFrames: number[] | undefined = undefined;

  /** Starts the lifecycle at its first packet; every field is set, so a recycled lifecycle is as good as new. */
  begin(pkt: PacketView, fromSrc: boolean, clientRule: string, file: string | undefined, keepSegments = 0, observer?: TransitionObserver): this {
    this.ipVersion = pkt.ipVersion;
    const c = fromSrc ? pkt.src : pkt.dst;
    const s = fromSrc ? pkt.dst : pkt.src;
    for (let i = 0; i < 4; i++) {
      this.addr[i] = c[i]!;
      this.addr[4 + i] = s[i]!;
    }
    this.clientPort = fromSrc ? pkt.srcPort : pkt.dstPort;
    this.serverPort = fromSrc ? pkt.dstPort : pkt.srcPort;
    this.clientRule = clientRule;
    this.machine.reset(!(pkt.flags & SYN));
    this.machine.observer = observer;
    this.analysis.reset(pkt.ts);
    this.history.reset();
    this.hash = 0;
    this.idleLink.reset();
    this.doneLink.reset();
    this.closedLink.reset();
    this.emitted = false;
    this.watch = -1;
    this.firstTs = pkt.ts;
    this.lastTs = 0;
    this.firstFrame = pkt.frameNo;
    this.lastFrame = 0;
    this.packets = 0;
    this.timeWaitReuseSince = -1;
    this.keepsSegments = keepSegments > 0;
    if (this.keepsSegments) (this.segmentLog ??= new SegmentLog()).reset(keepSegments);
    this.file = file;
    this.lastFile = file;
    this.firstFrameInFile = pkt.fileFrameNo;
    this.lastFrameInFile = 0;
    this.fragmentsInFile = 0;
    this.duplicates = 0;
    this.duplicateFrames = undefined;
    if (pkt.flags & SYN && pkt.flags & ACK) this.machine.startAtSynAck(pkt.ack, pkt.ts);
    return this;
  }

  /** Is the packet's source this lifecycle's client? (the caller knows the 4-tuple matches) */
  fromClient(pkt: PacketView): boolean {
    if (pkt.srcPort !== this.clientPort || pkt.dstPort !== this.serverPort) return false;
    const a = this.addr;
    const src = pkt.src;
    return src[0] === a[0] && src[1] === a[1] && src[2] === a[2] && src[3] === a[3];
  }

  /** Both sides are done: nothing more can happen but a new lifecycle. */
  get finished(): boolean {
    const m = this.machine;
    return isOver(m.client.state) && isOver(m.server.state) && m.client.sentPackets + m.server.sentPackets > 0;
  }

  /** Both sides CLOSED: no TIME_WAIT to wait out (refused, reset). */
  get bothClosed(): boolean {
    return this.machine.client.state === 'CLOSED' && this.machine.server.state === 'CLOSED' && this.finished;
  }

  apply(pkt: PacketView, file?: string): void {
    const fromClient = this.fromClient(pkt);
    segment.ts = pkt.ts;
    segment.frame = pkt.frameNo;
    segment.flags = pkt.flags;
    segment.seq = pkt.seq;
    segment.ack = pkt.ack;
    segment.len = pkt.payloadLen;
    segment.window = pkt.window;
    segment.wscale = pkt.wscale;
    segment.ttl = pkt.ipTtl;
    segment.tsVal = pkt.tsVal;
    this.machine.apply(fromClient ? 'client' : 'server', segment, outcome);
    this.analysis.packet(pkt, fromClient);
    this.packets++;
    this.lastTs = pkt.ts;
    this.lastFrame = pkt.frameNo;
    this.lastFile = file;
    this.lastFrameInFile = pkt.fileFrameNo;
    if (file === this.file) this.fragmentsInFile = pkt.fileFragments;
    const f = pkt.flags;
    if (f & SYN) this.history.add(f & ACK ? 'H' : 'S', fromClient);
    else if (f & RST) this.history.add('R', fromClient);
    else if (pkt.payloadLen > 0) this.history.add('D', fromClient);
    else if (f & ACK && !(f & FIN)) this.history.add('A', fromClient);
    if (f & FIN) this.history.add('F', fromClient);
    if (outcome.retransmission) this.history.add('T', fromClient);
    if (pkt.window === 0 && !(f & (SYN | RST))) this.history.add('W', fromClient);
    if (this.keepsSegments) this.keepSegment(pkt, fromClient);
  }

  /** A second copy of one of its packets, dropped by the decoder; only those in its first file go into its filter. */
  noteDuplicate(frameNo: number, file: string | undefined): void {
    if (this.duplicates++ < MAX_LISTED_DUPLICATES && file === this.file) (this.duplicateFrames ??= []).push(frameNo);
  }

  /** Sequence numbers relative to each side's ISN, as Wireshark shows them. */
  private keepSegment(pkt: PacketView, fromClient: boolean): void {
    const own = fromClient ? this.machine.client : this.machine.server;
    const peer = fromClient ? this.machine.server : this.machine.client;
    this.segmentLog!.add(
      pkt.frameNo,
      pkt.ts,
      own.hasIsn ? seqDiff(pkt.seq, own.isn) >>> 0 : pkt.seq,
      pkt.flags & ACK ? (peer.hasIsn ? seqDiff(pkt.ack, peer.isn) >>> 0 : pkt.ack) : 0,
      pkt.payloadLen,
      pkt.window,
      pkt.flags,
      fromClient,
      outcome.retransmission,
    );
  }

  /**
   * The lifecycle's record but for its transitions, which stay numbers in
   * `machine.log` (see `toConnectionRecord` and the NDJSON encoder). The
   * fields are in output order; the encoder writes them in the same order.
   */
  summarize(endTs: number, limits: LifecycleLimits, openAtEnd: boolean): ConnectionSummary {
    const m = this.machine;
    const x = this.analysis;
    const client = formatEndpoint(this.ipVersion, this.addr, 0, this.clientPort);
    const server = formatEndpoint(this.ipVersion, this.addr, 4, this.serverPort);
    const firstTs = round6(this.firstTs);
    const lastTs = round6(this.lastTs);
    const scaling = x.windowScaling;
    const summary: ConnectionSummary = {
      type: 'connection',
      // Named after its first frame: unique in the run, the same however the work is split, and a place to look in Wireshark.
      id: `C${this.firstFrame}`,
      client,
      server,
      first_ts: firstTs,
      last_ts: lastTs,
      duration: round6(lastTs - firstTs),
      handshake_rtt: x.handshakeRtt < 0 ? null : round6(x.handshakeRtt),
      first_frame: this.firstFrame,
      last_frame: this.lastFrame,
      packets: this.packets,
      client_packets: m.client.sentPackets,
      server_packets: m.server.sentPackets,
      client_bytes: m.client.payloadBytes,
      server_bytes: m.server.payloadBytes,
      orig_bytes: x.client.bytes,
      resp_bytes: x.server.bytes,
      missed_bytes: m.client.missedBytes + m.server.missedBytes,
      missed_segments: m.client.missedSegments + m.server.missedSegments,
      opening: this.opening(),
      closing: this.closing(),
      active_closer: m.bothFinCrossed ? 'both' : m.firstFinBy,
      client_state: m.client.state,
      server_state: m.server.state,
      conn_state: zeekConnState(m),
      history: this.history.toString(),
      client_rule: this.clientRule,
      client_mss: x.client.mss < 0 ? null : x.client.mss,
      server_mss: x.server.mss < 0 ? null : x.server.mss,
      client_wscale: scaling ? x.client.winScale : null,
      server_wscale: scaling ? x.server.winScale : null,
      sack: x.negotiated('sack'),
      timestamps: x.negotiated('timestamps'),
      client_analysis: x.client.counts(),
      server_analysis: x.server.counts(),
      vantage: m.vantage,
      file: this.file,
      first_frame_in_file: this.firstFrameInFile,
      last_file: this.lastFile === this.file ? undefined : this.lastFile,
      last_frame_in_file: this.lastFrameInFile,
      // A lifecycle that goes on into the next file runs to the end of its first.
      wireshark_filter: new WiresharkFilter(client, this.clientPort, server, this.serverPort, this.ipVersion === 6, this.firstFrameInFile, this.lastFile === this.file ? this.lastFrameInFile : -1, this.fragmentsInFile > 0, this.duplicateFrames ?? NO_FRAMES),
      open_at_start: this.clientRule !== 'syn',
      open_at_end: openAtEnd,
      anomalies: [],
    };
    gapsNow = limits.gaps ?? NO_GAPS;
    judgement.endTs = endTs;
    judgement.stuckAfter = limits.stuckAfter;
    judgement.oneSided = isOneSided(summary);
    judgeAnomalies(this, judgement, summary.anomalies);
    if (this.keepsSegments) summary.segments = this.segmentLog!.toSummaries(flagText);
    return summary;
  }

  private opening(): ConnectionRecord['opening'] {
    const m = this.machine;
    if (m.midstream && !m.sawSyn) return 'midstream';
    if (m.rejected) return 'rejected';
    if (m.sawSyn && m.sawSynAck && m.handshakeAcked) return 'handshake';
    if (m.sawSynAck) return 'syn_synack';
    return m.sawSyn ? 'syn_only' : 'midstream';
  }

  private closing(): ConnectionRecord['closing'] {
    const m = this.machine;
    if (m.rstBy !== null) return 'rst';
    const fins = (m.client.sentFin ? 1 : 0) + (m.server.sentFin ? 1 : 0);
    return fins === 2 ? 'fin' : fins === 1 ? 'half' : 'none';
  }
}

/** Seen in one direction only: one side sent no packet the capture holds, yet its bytes were acknowledged. */
export function isOneSided(c: Pick<ConnectionSummary, 'client_packets' | 'server_packets' | 'missed_bytes'>): boolean {
  return (c.client_packets === 0 || c.server_packets === 0) && c.missed_bytes > 0;
}

/** The whole record, for consumers of objects: the summary with the transitions made objects, last. */
export function toConnectionRecord(summary: ConnectionSummary, log: TransitionLogView): ConnectionRecord {
  return { ...summary, wireshark_filter: String(summary.wireshark_filter), transitions: transitionsOf(log) };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** Flags as tcpdump writes them. */
export function flagText(flags: number): string {
  let t = '';
  if (flags & SYN) t += 'S';
  if (flags & FIN) t += 'F';
  if (flags & RST) t += 'R';
  if (flags & PSH) t += 'P';
  if (flags & ACK) t += '.';
  return t || 'none';
}
