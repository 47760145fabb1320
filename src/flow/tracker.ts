/**
 * Splits TCP packets into connection lifecycles and emits each lifecycle's
 * record as soon as it is over, so memory is set by live connections.
 *
 * Lookup: a numeric hash, the same in both directions, into a FlowTable
 * that compares the real addresses. Nothing is allocated per packet, and a
 * lifecycle whose record went out is recycled for the next connection.
 *
 * Who is the client: the side that sent the first SYN (rule `syn`). For a
 * connection picked up mid-stream: the receiver of a SYN-ACK (`synack`); else
 * the side whose peer uses a well-known port below 1024 while it does not
 * (`service_port`); else the side using an ephemeral port (32768 and up)
 * toward a lower port (`ephemeral_port`); else the sender of the first packet
 * seen (`first_sender`).
 */
import { ACK, PacketKind, SYN, type PacketView } from '../decode/packet.js';
import type { ConnectionSummary } from '../records.js';
import type { TransitionObserver } from '../state/machine.js';
import type { TransitionLogView } from '../state/transition-log.js';
import type { CaptureGaps } from './capture-gaps.js';
import { FlowTable } from './flow-table.js';
import { Lifecycle } from './lifecycle.js';
import { LinkList } from './link-list.js';

/** Ten seconds: far beyond any retransmission timeout of a healthy path, short enough to catch a leak in a brief capture. */
export const DEFAULT_STUCK_AFTER = 10;

/**
 * Live input: seconds of capture time a lifecycle whose both sides are
 * CLOSED (refused, reset) waits for packets still in flight before its record
 * goes out.
 */
export const CLOSED_GRACE = 0.5;

/** Lifecycles kept for reuse: enough to absorb the churn of short connections, few enough to give memory back when traffic drops. */
const RECYCLE_LIMIT = 4096;

export interface TrackerOptions {
  stuckAfter: number;
  timeWait: number;
  maxLive: number;
  keepSegments: number;
  /** Most ended lifecycles kept for reuse (default RECYCLE_LIMIT; 0: none, every lifecycle is new). */
  recycleLimit?: number;
  /** Where ended lifecycles are kept for reuse, when it outlives the tracker (the merge restores the next file's into them); else the tracker's own. */
  recycled?: Lifecycle[];
  /**
   * Live input (standard input): a lifecycle whose both sides are CLOSED goes
   * out after CLOSED_GRACE instead of waiting TIME_WAIT's length, and stays
   * in the table until then, emitted, so that its late packets are counted
   * (`latePackets`) instead of starting a lifecycle of their own.
   */
  live?: boolean;
  /** Told of every state change as it is made (see TransitionObserver). */
  transitions?: TransitionObserver | undefined;
  /** Stretches the capture did not see (between files), not counted as time stuck. */
  gaps?: CaptureGaps | undefined;
  /** Sees lifecycles begin, end and stay open at the end of the capture (the merge state of an analysis). */
  watch?: TrackerWatch | undefined;
}

/**
 * What the merge state of an analysis needs from the tracker: each
 * lifecycle's first packet, the packets of those it marks (`watch`), and the
 * state of each lifecycle as it ends or stays open, before its last record
 * is made.
 */
export interface TrackerWatch {
  /**
   * A lifecycle begins with `pkt`; `afterHandshake`: it takes its 4-tuple
   * over from a lifecycle that began with a plain handshake, whose watch
   * ended there.
   */
  begin(l: Lifecycle, pkt: PacketView, afterHandshake: boolean): void;
  /** A packet of a watched lifecycle, after it was applied. */
  packet(l: Lifecycle, pkt: PacketView): void;
  /** A watched lifecycle ends (its record is made next). */
  ended(l: Lifecycle): void;
  /** A lifecycle still live at the end of the capture (its record is made next). */
  open(l: Lifecycle): void;
}

/**
 * Receives each ended lifecycle: its record but for the transitions, and the
 * transitions as numbers. The log is valid only during the call: the
 * lifecycle is recycled afterwards.
 */
export type ConnectionSink = (summary: ConnectionSummary, log: TransitionLogView) => void;

export class FlowTracker {
  private readonly table = new FlowTable();
  private evictedCount = 0;
  private backwardCount = 0;
  private emittedCount = 0;
  private now = -Infinity;
  private readonly recycled: Lifecycle[];
  /** Every live lifecycle, least recently active first. */
  private readonly idle = new LinkList<Lifecycle>();
  /**
   * Lifecycles that look over, oldest last packet first; each is emitted
   * once TIME_WAIT (or a grace as long) has passed without a packet. A late
   * packet moves it to the tail.
   */
  private readonly done = new LinkList<Lifecycle>();
  /** Live input: lifecycles whose both sides are CLOSED and whose record is not out yet, oldest last packet first. */
  private readonly closed = new LinkList<Lifecycle>();
  private latePacketCount = 0;
  /**
   * Lifecycles evicted in a wait that the rest of the capture may judge
   * stuck, by 4-tuple and oldest first: out of the live table, judged at
   * the end of the capture as they were left, or taken back in when they send
   * again. At most maxLive; beyond it the oldest is judged then and there.
   */
  private readonly parked = new FlowTable();
  private readonly parkedOrder = new LinkList<Lifecycle>();
  private judgedEarlyCount = 0;

  constructor(
    private readonly options: TrackerOptions,
    private readonly emit: ConnectionSink,
  ) {
    this.recycled = options.recycled ?? [];
  }

  get live(): number {
    return this.table.size;
  }
  get evicted(): number {
    return this.evictedCount;
  }
  /** Evicted lifecycles judged when evicted rather than at the end of the capture: more than maxLive waited at once. */
  get judgedEarly(): number {
    return this.judgedEarlyCount;
  }
  /** Packets earlier than the packet before them in their connection, given that packet's time. */
  get backward(): number {
    return this.backwardCount;
  }
  get emitted(): number {
    return this.emittedCount;
  }
  /** Live input: packets that came after their lifecycle's record went out. */
  get latePackets(): number {
    return this.latePacketCount;
  }

  /**
   * Applies a TCP packet to its lifecycle; returns that lifecycle's first
   * frame (its id), or 0 when no lifecycle took it: a second copy of a packet
   * (`tcpdump -i any`), which the decoder counts once and its lifecycle only
   * notes for its Wireshark filter, or a late packet of live input.
   */
  onPacket(pkt: PacketView, file?: string): number {
    const hash = flowHash(pkt);
    if (pkt.kind === PacketKind.Duplicate) {
      this.table.find(hash, pkt)?.noteDuplicate(pkt.fileFrameNo, file);
      return 0;
    }
    this.advance(pkt.ts);
    let lifecycle = this.table.find(hash, pkt) ?? (this.parked.size > 0 ? this.unpark(hash, pkt) : undefined);
    if (lifecycle && pkt.flags & SYN && !(pkt.flags & ACK)) warm(lifecycle);
    // Time that steps back within a connection (a clock stepped, captures of several hosts) keeps the connection's last time.
    if (lifecycle && pkt.ts < lifecycle.lastTs) {
      pkt.ts = lifecycle.lastTs;
      this.backwardCount++;
    }
    if (lifecycle && pkt.flags & SYN && !(pkt.flags & ACK) && startsNewLifecycle(lifecycle, pkt)) {
      const timeWaitSince = lifecycle.machine.endTimeWait(pkt.ts, pkt.frameNo, this.options.timeWait);
      const afterHandshake = lifecycle.watch < 0 && lifecycle.clientRule === 'syn';
      this.retire(lifecycle, pkt.ts, false);
      lifecycle = this.begin(hash, pkt, file, afterHandshake);
      lifecycle.timeWaitReuseSince = timeWaitSince;
    } else if (!lifecycle) {
      lifecycle = this.begin(hash, pkt, file);
    } else if (lifecycle.emitted) {
      this.latePacketCount++;
      return 0;
    }
    lifecycle.apply(pkt, file);
    if (lifecycle.watch >= 0) this.options.watch!.packet(lifecycle, pkt);
    this.idle.moveToEnd(lifecycle.idleLink);
    this.done.remove(lifecycle.doneLink);
    if (lifecycle.finished) this.done.push(lifecycle.doneLink);
    if (this.options.live) {
      this.closed.remove(lifecycle.closedLink);
      if (lifecycle.bothClosed) this.closed.push(lifecycle.closedLink);
    }
    return lifecycle.firstFrame;
  }

  /**
   * Capture time reached `ts` (a packet of this or another --jobs shard, or
   * live input paused that long), so records that are final by then go out.
   */
  advance(ts: number): void {
    if (ts <= this.now) return;
    this.now = ts;
    this.sweep();
  }

  /** End of capture: every live lifecycle is emitted with its end-of-capture states. */
  finish(endTs?: number): void {
    for (const _ of this.finishing(endTs));
  }

  /**
   * `finish` a record at a time: it yields after each, so that a caller can
   * let the output drain (the records of the lifecycles still open may be
   * many: a busy server's TIME_WAITs, a flood's half-open handshakes).
   */
  *finishing(endTs?: number): Generator<void, void, undefined> {
    const end = endTs ?? this.now;
    // Least recently active first: the order they were last touched, which is near the order they lie in
    // memory, so that reading them one after another misses the cache less than the table's hash order.
    const open: Lifecycle[] = [];
    for (const list of [this.idle, this.parkedOrder]) {
      for (let link = list.head; link; link = link.next) open.push(link.owner);
    }
    for (let i = 0; i < open.length; i++) {
      const l = open[i]!;
      // The next one's misses overlap this one's work: most have been idle long enough to be out of the cache.
      if (i + 1 < open.length) warm(open[i + 1]!);
      if (l.emitted) continue;
      this.options.watch?.open(l);
      l.machine.settle(end, this.options.timeWait);
      this.emitRecord(l, end, !l.finished);
      yield;
    }
    this.table.clear();
    this.parked.clear();
    this.parkedOrder.clear();
    this.idle.clear();
    this.done.clear();
    this.closed.clear();
    if (!this.options.recycled) this.recycled.length = 0;
  }

  private begin(hash: number, pkt: PacketView, file: string | undefined, afterHandshake = false): Lifecycle {
    const [fromSrc, rule] = judgeClient(pkt);
    const l = (this.recycled.pop() ?? new Lifecycle()).begin(pkt, fromSrc, rule, file, this.options.keepSegments, this.options.transitions);
    if (this.options.gaps) l.machine.unseen = this.options.gaps;
    l.hash = hash;
    this.table.insert(hash, l);
    this.idle.push(l.idleLink);
    this.options.watch?.begin(l, pkt, afterHandshake);
    if (this.table.size > this.options.maxLive) this.evictOne(l);
    return l;
  }

  /** The live lifecycle of a packet's 4-tuple, if any (parked ones aside). */
  liveFor(pkt: PacketView): Lifecycle | undefined {
    return this.table.find(flowHash(pkt), pkt);
  }

  /** Takes a lifecycle out with no record made, for reuse (the merge's stand-ins, whose records their files made). */
  drop(l: Lifecycle): void {
    if (!this.table.remove(l.hash, l)) return;
    this.idle.remove(l.idleLink);
    this.done.remove(l.doneLink);
    this.closed.remove(l.closedLink);
    if (this.recycled.length < (this.options.recycleLimit ?? RECYCLE_LIMIT)) this.recycled.push(l);
  }

  /** Takes in a lifecycle restored from the merge state of an earlier file, live as it was when that file ended. */
  adopt(l: Lifecycle): void {
    // Time the capture did not see (a gap between files) proves no silence, in a restored lifecycle too.
    if (this.options.gaps) l.machine.unseen = this.options.gaps;
    this.table.insert(l.hash, l);
    this.idle.push(l.idleLink);
    if (l.finished) this.done.push(l.doneLink);
  }

  /**
   * Beyond maxLive, one lifecycle leaves the live table, counted: the one
   * over for longest (waiting out TIME_WAIT), whose record goes out, else the
   * one idle for longest. That one's record goes out too, open, unless a wait
   * of its may still be judged stuck: then it is parked, to be judged by what
   * it is at the end of the capture, since it stayed silent.
   */
  private evictOne(keep: Lifecycle): void {
    const oldest = this.idle.head;
    const victim = this.done.head?.owner ?? (oldest?.owner !== keep ? oldest?.owner : oldest.next?.owner);
    if (!victim) return;
    if (!victim.emitted) this.evictedCount++;
    if (victim.finished || victim.emitted || !victim.machine.mayYetBeJudged) this.retire(victim, this.now, !victim.finished);
    else this.park(victim);
  }

  private park(l: Lifecycle): void {
    this.table.remove(l.hash, l);
    this.idle.remove(l.idleLink);
    this.done.remove(l.doneLink);
    this.closed.remove(l.closedLink);
    this.parked.insert(l.hash, l);
    this.parkedOrder.push(l.idleLink);
    if (this.parked.size <= this.options.maxLive) return;
    const oldest = this.parkedOrder.head!.owner;
    this.parked.remove(oldest.hash, oldest);
    this.parkedOrder.remove(oldest.idleLink);
    this.judgedEarlyCount++;
    this.table.insert(oldest.hash, oldest); // for retire to take it out again
    this.retire(oldest, this.now, true);
  }

  /** A parked lifecycle sends again: back in the live table (another goes out in its place). */
  private unpark(hash: number, pkt: PacketView): Lifecycle | undefined {
    const l = this.parked.find(hash, pkt);
    if (!l) return undefined;
    this.parked.remove(hash, l);
    this.parkedOrder.remove(l.idleLink);
    this.table.insert(hash, l);
    this.idle.push(l.idleLink);
    if (this.table.size > this.options.maxLive) this.evictOne(l);
    return l;
  }

  /** Removes a lifecycle from the table, emits its record and keeps the lifecycle for reuse. */
  private retire(l: Lifecycle, at: number, openAtEnd: boolean): void {
    if (!this.table.remove(l.hash, l)) return; // already gone
    this.idle.remove(l.idleLink);
    this.done.remove(l.doneLink);
    this.closed.remove(l.closedLink);
    if (!l.emitted) {
      if (l.watch >= 0) this.options.watch!.ended(l);
      l.machine.settle(at, this.options.timeWait);
      this.emitRecord(l, at, openAtEnd);
    }
    if (this.recycled.length < (this.options.recycleLimit ?? RECYCLE_LIMIT)) this.recycled.push(l);
  }

  private emitRecord(l: Lifecycle, endTs: number, openAtEnd: boolean): void {
    this.emittedCount++;
    this.emit(l.summarize(endTs, this.options, openAtEnd), l.machine.log);
  }

  /**
   * Emits lifecycles that have been over for TIME_WAIT's length of capture
   * time; on live input, also those with both sides CLOSED for CLOSED_GRACE.
   */
  private sweep(): void {
    const wait = this.options.timeWait;
    for (let head = this.closed.head; head && head.owner.lastTs + CLOSED_GRACE <= this.now; head = this.closed.head) {
      const l = head.owner;
      this.closed.remove(head);
      this.emitRecord(l, this.now, false);
      l.emitted = true;
    }
    for (let head = this.done.head; head && head.owner.lastTs + wait <= this.now; head = this.done.head) this.retire(head.owner, this.now, false);
  }
}

let warmed = 0;
/**
 * Reads fields across a lifecycle's parts, and its neighbours' links, before
 * its SYN is judged: a port used again finds its old lifecycle out of the
 * cache, and these reads, none waiting on another's value but its parent's,
 * take their misses together instead of one at a time as the judgement, its
 * record and the new lifecycle's reset go on to need them.
 */
function warm(l: Lifecycle): void {
  const m = l.machine;
  const x = l.analysis;
  const c = m.client;
  const s = m.server;
  const xc = x.client;
  const xs = x.server;
  const log = m.log;
  // Its neighbours in the two lists it leaves, as idle as it is.
  const idle = l.idleLink;
  const done = l.doneLink;
  const neighbours = (idle.prev?.linked ? 1 : 0) + (idle.next?.linked ? 1 : 0) + (done.prev?.linked ? 1 : 0) + (done.next?.linked ? 1 : 0);
  warmed =
    (warmed + neighbours + l.lastTs + l.addr[0]! + l.packets + l.lastFrameInFile + c.since + s.since + c.isn + s.isn + c.sentPackets + s.sentPackets + c.ttl + s.ttl +
      c.zeroWindowTotal + s.zeroWindowTotal + c.handshakeAckDropEntry + s.handshakeAckDropEntry + c.lastNewDataTs + s.lastNewDataTs +
      xc.nextSeq + xs.nextSeq + xc.bits + xs.bits + log.ts(0) + m.clientRoundTrip + m.nextDue) % 1024;
}

/** Does a SYN (no ACK) on a live lifecycle's 4-tuple begin a new lifecycle, rather than go on in this one? */
export function startsNewLifecycle(l: Lifecycle, pkt: PacketView): boolean {
  const sender = l.fromClient(pkt) ? l.machine.client : l.machine.server;
  if (l.finished) return !(sender.hasIsn && sender.isn === pkt.seq); // same ISN: a retransmitted SYN
  return sender.hasIsn && sender.isn !== pkt.seq && (sender.state === 'SYN_SENT' || sender.state === 'CLOSED');
}

function mix(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(w0 ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ w1 ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ w2 ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ w3 ^ (h >>> 13), 0xc2b2ae35);
  return Math.imul(h ^ port ^ (h >>> 16), 0x27d4eb2d);
}

/** The shard of a flow hash: murmur3's finalizer first, since the low bits of a sum of two mixes are far from uniform. */
export function shardOf(hash: number, count: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % count;
}

/** Thirty bits: non-negative, as the flow table marks empty slots with negative numbers, and unboxed (Smi) in V8. */
const HASH_MASK = 0x3fffffff;

/** The same for both directions of a 4-tuple. */
export function flowHash(pkt: PacketView): number {
  const s = pkt.src;
  const d = pkt.dst;
  return (mix(s[0]!, s[1]!, s[2]!, s[3]!, pkt.srcPort) + mix(d[0]!, d[1]!, d[2]!, d[3]!, pkt.dstPort)) & HASH_MASK;
}

type ClientJudgement = readonly [fromSrc: boolean, rule: string];
// Made once: a judgement per new lifecycle allocates nothing.
const SENDS_SYN: ClientJudgement = [true, 'syn'];
const SENDS_SYN_ACK: ClientJudgement = [false, 'synack'];
const SOURCE_ON_SERVICE_PORT: ClientJudgement = [false, 'service_port'];
const DESTINATION_ON_SERVICE_PORT: ClientJudgement = [true, 'service_port'];
const SOURCE_ON_EPHEMERAL_PORT: ClientJudgement = [true, 'ephemeral_port'];
const DESTINATION_ON_EPHEMERAL_PORT: ClientJudgement = [false, 'ephemeral_port'];
const FIRST_SENDER: ClientJudgement = [true, 'first_sender'];

/** Is the packet's source the client, and by which rule (see the header comment). */
function judgeClient(pkt: PacketView): ClientJudgement {
  if (pkt.flags & SYN) return pkt.flags & ACK ? SENDS_SYN_ACK : SENDS_SYN;
  const sp = pkt.srcPort;
  const dp = pkt.dstPort;
  if (dp < 1024 && sp >= 1024) return DESTINATION_ON_SERVICE_PORT;
  if (sp < 1024 && dp >= 1024) return SOURCE_ON_SERVICE_PORT;
  if (sp >= 32768 && dp < 32768) return SOURCE_ON_EPHEMERAL_PORT;
  if (dp >= 32768 && sp < 32768) return DESTINATION_ON_EPHEMERAL_PORT;
  return FIRST_SENDER;
}
