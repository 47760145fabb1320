/**
 * What an analysis keeps for `merge`, gathered as the tracker runs (its
 * watch): the state of every lifecycle still open at the end of the file,
 * where each lifecycle began with a SYN (frame, time, sequence number: enough
 * to tell, against the previous file's open lifecycles, a new connection
 * from a SYN sent again), and the first packets of the lifecycles that may
 * continue one of the previous file: those that began with anything but a
 * SYN, and those whose first packets are not a plain handshake.
 *
 * A lifecycle that takes its 4-tuple over from one that began with a plain
 * handshake is left out: joining a 4-tuple, the merge replays its records up
 * to the first that began so, and stops there (most lifecycles of a busy
 * client: its ports come round again).
 *
 * Kept per watched lifecycle: its first WATCHED_PACKETS packets, whole (all
 * decoded fields); if it had more, its state after them and at its end. The
 * merge replays them into the previous file's state of the connection.
 */
import { ACK, FIN, RST, SYN, type PacketView } from '../decode/packet.js';
import type { Lifecycle } from '../flow/lifecycle.js';
import type { TrackerWatch } from '../flow/tracker.js';
import { packPacket, PACKET_SLOTS, slotOf } from '../parallel/packed-packets.js';
import { ByteWriter, pack, type PackedBytes } from './bytes.js';
import { capture, writeLifecycle, writeSnapshot } from './snapshot.js';

/** Packets kept of a watched lifecycle: a close, or a handshake with its retransmissions, fits. */
export const WATCHED_PACKETS = 32;
/** Watched lifecycles whose first packets share a block: 384 KiB. */
const FIRST_PACKETS_PER_BLOCK = 1024;
/** A lifecycle that began with a SYN is watched until its third packet shows a plain handshake. */
const HANDSHAKE_PACKETS = 3;

interface Watched {
  /** Room for the packets kept so far, grown by doubling up to WATCHED_PACKETS: a flood's half-open handshakes keep one each. */
  packets: Float64Array;
  count: number;
  /** Began with a SYN: watched only until a plain handshake is seen. */
  probation: boolean;
  atLimit: ReturnType<typeof capture> | undefined;
}

/** The merge state of one tracker (one analysis, or one --jobs shard), packed for the record. */
export interface CollectedState {
  /** Snapshots of the lifecycles open at the end, in the order their records were made. */
  open: PackedBytes;
  openCount: number;
  /** Per lifecycle begun with a SYN: first frame, time, sequence number. */
  heads: PackedBytes;
  /** Per watched lifecycle: first frame, packets kept, packets in all, and if more than kept its state after them and at its end. */
  watched: PackedBytes;
}

export class MergeCollector implements TrackerWatch {
  private readonly openW = new ByteWriter();
  private openCount = 0;
  private readonly headsW = new ByteWriter();
  private lastHeadFrame = 0;
  private readonly watchedW = new ByteWriter();
  /** Watched lifecycles' kept packets, by the slot in `Lifecycle.watch`. */
  private readonly slots: Watched[] = [];
  private readonly freeSlots: number[] = [];
  /** The block the newest slots' first packets go in. */
  private firstPackets = new Float64Array(0);
  /** The index of each input, packed with each kept packet: the file the packet came from. */
  private readonly fileIndex: Map<string, number>;
  private lastFile: string | undefined = undefined;
  private lastFileIndex = 0;

  constructor(files: string[]) {
    this.fileIndex = new Map(files.map((name, i) => [name, i]));
  }

  /** The next record is of a watched or open lifecycle: the merge makes it again, so it is counted apart. */
  private apart = false;

  begin(l: Lifecycle, pkt: PacketView, afterHandshake: boolean): void {
    if (afterHandshake) return;
    const syn = (pkt.flags & (SYN | ACK | RST)) === SYN;
    if (syn) {
      this.headsW.uint(pkt.frameNo - this.lastHeadFrame);
      this.lastHeadFrame = pkt.frameNo;
      this.headsW.number(pkt.ts);
      this.headsW.uint(pkt.seq);
    }
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      slot = this.slots.length;
      this.slots.push({ packets: this.firstPacketRoom(slot), count: 0, probation: false, atLimit: undefined });
    }
    const w = this.slots[slot]!;
    w.count = 0;
    w.probation = syn;
    w.atLimit = undefined;
    l.watch = slot;
  }

  packet(l: Lifecycle, pkt: PacketView): void {
    const w = this.slots[l.watch]!;
    // Most connections: the handshake's last packet completes a plain handshake, and need not be kept.
    if (w.probation && w.count === HANDSHAKE_PACKETS - 1 && plainHandshake(w.packets, pkt)) {
      this.release(l);
      return;
    }
    if (w.count < WATCHED_PACKETS) {
      if ((w.count + 1) * PACKET_SLOTS > w.packets.length) w.packets = grown(w.packets);
      packPacket(pkt, 0, this.indexOf(l.lastFile), w.packets, w.count);
    }
    w.count++;
    if (w.count === WATCHED_PACKETS) {
      w.atLimit = capture(l);
    }
  }

  /**
   * Room for a new watched lifecycle's first packet: a view of a block shared
   * by many, as a buffer of its own each cost a flood of half-open
   * handshakes a third of its time (300,000 SYNs: 0.8 s of 7.5).
   */
  private firstPacketRoom(slot: number): Float64Array {
    const cell = slot % FIRST_PACKETS_PER_BLOCK;
    if (cell === 0) this.firstPackets = new Float64Array(FIRST_PACKETS_PER_BLOCK * PACKET_SLOTS);
    return this.firstPackets.subarray(cell * PACKET_SLOTS, (cell + 1) * PACKET_SLOTS);
  }

  /** The index of a packet's file: the last one asked, mostly. */
  private indexOf(file: string | undefined): number {
    if (file === this.lastFile) return this.lastFileIndex;
    this.lastFile = file;
    this.lastFileIndex = this.fileIndex.get(file ?? '') ?? 0;
    return this.lastFileIndex;
  }

  ended(l: Lifecycle): void {
    this.ship(l, true);
    this.apart = true;
  }

  open(l: Lifecycle): void {
    this.apart = true;
    writeLifecycle(this.openW, l);
    this.openCount++;
    if (l.watch >= 0) this.ship(l, false);
  }

  /** Whether the record being made is of a watched or open lifecycle (asked once per record). */
  takeApart(): boolean {
    const apart = this.apart;
    this.apart = false;
    return apart;
  }

  /** Writes what was kept of a watched lifecycle; `ended`: it ends now (else it stays open, and its open snapshot has its state). */
  private ship(l: Lifecycle, ended: boolean): void {
    const w = this.slots[l.watch]!;
    const out = this.watchedW;
    out.uint(l.firstFrame);
    out.uint(w.count);
    const kept = Math.min(w.count, WATCHED_PACKETS);
    out.nums(w.packets, 0, kept * PACKET_SLOTS);
    if (w.count > WATCHED_PACKETS) {
      writeSnapshot(out, w.atLimit!);
      out.value(ended);
      if (ended) writeLifecycle(out, l);
    }
    this.release(l);
  }

  private release(l: Lifecycle): void {
    this.freeSlots.push(l.watch);
    l.watch = -1;
  }

  state(): CollectedState {
    return { open: pack(this.openW), openCount: this.openCount, heads: pack(this.headsW), watched: pack(this.watchedW) };
  }
}

const FLAGS = slotOf('flags');
const SEQ = slotOf('seq');
const ACK_NO = slotOf('ack');
const SRC_PORT = slotOf('srcPort');
const DST_PORT = slotOf('dstPort');

/** The two packets kept and `third` are a SYN, its SYN-ACK and the ACK of that, each once: a connection that began here. */
function plainHandshake(f: Float64Array, third: PacketView): boolean {
  return (
    (at(f, 0, FLAGS) & (SYN | ACK | RST | FIN)) === SYN &&
    (at(f, 1, FLAGS) & (SYN | ACK | RST)) === (SYN | ACK) && fromPeer(f, 1) && at(f, 1, ACK_NO) === ((at(f, 0, SEQ) + 1) >>> 0) &&
    (third.flags & (SYN | ACK | RST)) === ACK && !(third.srcPort === at(f, 0, DST_PORT) && third.dstPort === at(f, 0, SRC_PORT)) && third.ack === ((at(f, 1, SEQ) + 1) >>> 0)
  );
}

/** Twice the room, up to WATCHED_PACKETS packets, the packets kept copied over. */
function grown(packets: Float64Array): Float64Array {
  const more = new Float64Array(Math.min(packets.length * 2, WATCHED_PACKETS * PACKET_SLOTS));
  more.set(packets);
  return more;
}

// At module level, not closures made per call: this runs for every connection that begins with a SYN.
const at = (f: Float64Array, i: number, slot: number): number => f[i * PACKET_SLOTS + slot]!;
const fromPeer = (f: Float64Array, i: number): boolean => at(f, i, SRC_PORT) === at(f, 0, DST_PORT) && at(f, i, DST_PORT) === at(f, 0, SRC_PORT);
