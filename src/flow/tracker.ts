/**
 * Splits TCP packets into connection lifecycles and emits each lifecycle's
 * record as soon as it is over, so memory is set by live connections.
 *
 * Lookup: a numeric hash, the same in both directions, into a Map with a
 * collision chain that compares the real addresses; nothing is allocated per
 * packet except when a lifecycle begins.
 *
 * Who is the client: the side that sent the first SYN (rule `syn`). For a
 * connection picked up mid-stream: the receiver of a SYN-ACK (`synack`); else
 * the side whose peer uses a well-known port below 1024 while it does not
 * (`service_port`); else the side using an ephemeral port (32768 and up)
 * toward a lower port (`ephemeral_port`); else the sender of the first packet
 * seen (`first_sender`).
 */
import { ACK, SYN, type PacketView } from '../decode/packet.js';
import type { ConnectionRecord } from '../records.js';
import { Lifecycle } from './lifecycle.js';

/** Ten seconds: far beyond any retransmission timeout of a healthy path, short enough to catch a leak in a brief capture. */
export const DEFAULT_STUCK_AFTER = 10;

export interface TrackerOptions {
  stuckAfter: number;
  timeWait: number;
  maxLive: number;
  keepSegments: number;
  /** Track only the 4-tuples whose hash falls in this shard (see AnalyzeOptions.shard). */
  shard?: { index: number; count: number } | undefined;
}

export class FlowTracker {
  private readonly table = new Map<number, Lifecycle>();
  private liveCount = 0;
  private evictedCount = 0;
  private emittedCount = 0;
  private now = -Infinity;
  /**
   * Lifecycles that look over, oldest last packet first, linked through the
   * lifecycles themselves; each is emitted once TIME_WAIT (or a grace as
   * long) has passed without a packet. A late packet moves it to the tail.
   */
  private doneHead: Lifecycle | undefined;
  private doneTail: Lifecycle | undefined;

  constructor(
    private readonly options: TrackerOptions,
    private readonly emit: (record: ConnectionRecord) => void,
  ) {}

  get live(): number {
    return this.liveCount;
  }
  get evicted(): number {
    return this.evictedCount;
  }
  get emitted(): number {
    return this.emittedCount;
  }

  onPacket(pkt: PacketView, file?: string): void {
    if (pkt.ts > this.now) {
      this.now = pkt.ts;
      this.sweep();
    }
    const hash = flowHash(pkt);
    const shard = this.options.shard;
    if (shard && shardOf(hash, shard.count) !== shard.index) return;
    let lifecycle = this.find(hash, pkt);
    if (lifecycle && pkt.flags & SYN && !(pkt.flags & ACK) && this.startsNewLifecycle(lifecycle, pkt)) {
      const old = lifecycle;
      lifecycle = this.begin(hash, pkt, file);
      const timeWait = [old.machine.client, old.machine.server].find((e) => e.state === 'TIME_WAIT');
      if (timeWait && pkt.ts < timeWait.since + this.options.timeWait) {
        lifecycle.timeWaitReuse = { since: timeWait.since, frame: old.lastFrame };
        // The new connection takes over the 4-tuple: the old TIME_WAIT socket is gone.
        for (const side of ['client', 'server'] as const) {
          if (old.machine.endpoint(side).state === 'TIME_WAIT') old.machine.move(side, 'CLOSED', 'TIME_WAIT ended by a new SYN', pkt.ts, pkt.frameNo, true);
        }
      }
      this.retire(old, pkt.ts, false);
    } else if (!lifecycle) {
      lifecycle = this.begin(hash, pkt, file);
    }
    lifecycle.apply(pkt, this.options);
    if (lifecycle.inDone) this.unlinkDone(lifecycle);
    if (lifecycle.finished) this.linkDone(lifecycle);
  }

  /** End of capture: every live lifecycle is emitted with its end-of-capture states. */
  finish(endTs?: number): void {
    const end = endTs ?? this.now;
    for (const head of [...this.table.values()]) {
      for (let l: Lifecycle | undefined = head; l; l = l.next) {
        l.machine.ageTimeWait(end, this.options.timeWait);
        this.emitRecord(l, end, !l.finished);
      }
    }
    this.table.clear();
    this.liveCount = 0;
    this.doneHead = this.doneTail = undefined;
  }

  private startsNewLifecycle(l: Lifecycle, pkt: PacketView): boolean {
    if (l.finished) {
      const sender = l.fromClient(pkt) ? l.machine.client : l.machine.server;
      return !(sender.hasIsn && sender.isn === pkt.seq); // same ISN: a retransmitted SYN
    }
    const sender = l.fromClient(pkt) ? l.machine.client : l.machine.server;
    return sender.hasIsn && sender.isn !== pkt.seq && (sender.state === 'SYN_SENT' || sender.state === 'CLOSED');
  }

  private find(hash: number, pkt: PacketView): Lifecycle | undefined {
    for (let l = this.table.get(hash); l; l = l.next) if (l.matches(pkt)) return l;
    return undefined;
  }

  private begin(hash: number, pkt: PacketView, file: string | undefined): Lifecycle {
    const [fromSrc, rule] = judgeClient(pkt);
    // Named after its first frame: unique in the run, the same however the work is split, and a place to look in Wireshark.
    const l = new Lifecycle(pkt, fromSrc, rule, `C${pkt.frameNo}`);
    if (file !== undefined) l.file = file;
    l.next = this.table.get(hash);
    this.table.set(hash, l);
    this.liveCount++;
    if (this.liveCount > this.options.maxLive) this.evictOldest(l);
    return l;
  }

  /** Beyond maxLive: the lifecycle created longest ago goes out early, counted. */
  private evictOldest(keep: Lifecycle): void {
    for (const head of this.table.values()) {
      let victim: Lifecycle | undefined = head;
      while (victim && victim === keep) victim = victim.next;
      if (!victim) continue;
      this.evictedCount++;
      this.retire(victim, this.now, true);
      return;
    }
  }

  /** Removes a lifecycle from the table and emits its record. */
  private retire(l: Lifecycle, at: number, openAtEnd: boolean): void {
    const hash = flowHashOf(l);
    let head = this.table.get(hash);
    if (head === l) {
      if (l.next) this.table.set(hash, l.next);
      else this.table.delete(hash);
    } else {
      while (head && head.next !== l) head = head.next;
      if (head) head.next = l.next;
      else return; // already gone
    }
    l.next = undefined;
    if (l.inDone) this.unlinkDone(l);
    this.liveCount--;
    l.machine.ageTimeWait(at, this.options.timeWait);
    this.emitRecord(l, at, openAtEnd);
  }

  private emitRecord(l: Lifecycle, endTs: number, openAtEnd: boolean): void {
    this.emittedCount++;
    this.emit(l.toRecord(endTs, this.options, openAtEnd));
  }

  /** Emits lifecycles that have been over for TIME_WAIT's length of capture time. */
  private sweep(): void {
    const wait = this.options.timeWait;
    while (this.doneHead && this.doneHead.lastTs + wait <= this.now) this.retire(this.doneHead, this.now, false);
  }

  private linkDone(l: Lifecycle): void {
    l.inDone = true;
    l.donePrev = this.doneTail;
    l.doneNext = undefined;
    if (this.doneTail) this.doneTail.doneNext = l;
    else this.doneHead = l;
    this.doneTail = l;
  }

  private unlinkDone(l: Lifecycle): void {
    if (l.donePrev) l.donePrev.doneNext = l.doneNext;
    else this.doneHead = l.doneNext;
    if (l.doneNext) l.doneNext.donePrev = l.donePrev;
    else this.doneTail = l.donePrev;
    l.donePrev = l.doneNext = undefined;
    l.inDone = false;
  }
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

/** The same for both directions of a 4-tuple. */
function flowHash(pkt: PacketView): number {
  const s = pkt.src;
  const d = pkt.dst;
  return (mix(s[0]!, s[1]!, s[2]!, s[3]!, pkt.srcPort) + mix(d[0]!, d[1]!, d[2]!, d[3]!, pkt.dstPort)) | 0;
}

function flowHashOf(l: Lifecycle): number {
  const a = l.addr;
  return (mix(a[0]!, a[1]!, a[2]!, a[3]!, l.clientPort) + mix(a[4]!, a[5]!, a[6]!, a[7]!, l.serverPort)) | 0;
}

/** Is the packet's source the client, and by which rule (see the header comment). */
function judgeClient(pkt: PacketView): [boolean, string] {
  if (pkt.flags & SYN) return pkt.flags & ACK ? [false, 'synack'] : [true, 'syn'];
  const sp = pkt.srcPort;
  const dp = pkt.dstPort;
  if (dp < 1024 && sp >= 1024) return [true, 'service_port'];
  if (sp < 1024 && dp >= 1024) return [false, 'service_port'];
  if (sp >= 32768 && dp < 32768) return [true, 'ephemeral_port'];
  if (dp >= 32768 && sp < 32768) return [false, 'ephemeral_port'];
  return [true, 'first_sender'];
}
