/**
 * Live lifecycles by 4-tuple. Open addressing with linear probing over typed
 * arrays that hold each entry's hash and 4-tuple, so finding a packet's
 * lifecycle compares numbers in one array, where a Map would lead through its
 * buckets to the lifecycle and on to its address array. A 4-tuple has at most
 * one live lifecycle: a new one on the same 4-tuple replaces the old.
 *
 * Removal leaves a tombstone; the table is rebuilt (larger when it is more
 * than a quarter full) once entries and tombstones fill half of it, so a
 * probe stays short.
 */
import type { PacketView } from '../decode/packet.js';
import type { Lifecycle } from './lifecycle.js';

const EMPTY = -1;
const REMOVED = -2;
/** Per slot: client address words, server address words, client port << 16 | server port, IP version. */
const TUPLE = 10;
const INITIAL_SLOTS = 1024;

export class FlowTable {
  private hashes = new Int32Array(INITIAL_SLOTS).fill(EMPTY);
  private tuples = new Uint32Array(INITIAL_SLOTS * TUPLE);
  private entries: (Lifecycle | undefined)[] = new Array<undefined>(INITIAL_SLOTS).fill(undefined);
  private mask = INITIAL_SLOTS - 1;
  private used = 0;
  private removed = 0;

  get size(): number {
    return this.used;
  }

  /** The live lifecycle of the packet's 4-tuple, in either direction. `hash` is non-negative and the same both ways. */
  find(hash: number, pkt: PacketView): Lifecycle | undefined {
    const hashes = this.hashes;
    const t = this.tuples;
    const s = pkt.src;
    const d = pkt.dst;
    const forward = ((pkt.srcPort << 16) | pkt.dstPort) >>> 0;
    const backward = ((pkt.dstPort << 16) | pkt.srcPort) >>> 0;
    for (let i = hash & this.mask; ; i = (i + 1) & this.mask) {
      const h = hashes[i]!;
      if (h === EMPTY) return undefined;
      if (h !== hash) continue;
      const o = i * TUPLE;
      if (t[o + 9] !== pkt.ipVersion) continue;
      const ports = t[o + 8];
      if (ports === forward &&
          t[o] === s[0] && t[o + 1] === s[1] && t[o + 2] === s[2] && t[o + 3] === s[3] &&
          t[o + 4] === d[0] && t[o + 5] === d[1] && t[o + 6] === d[2] && t[o + 7] === d[3]) return this.entries[i];
      if (ports === backward &&
          t[o] === d[0] && t[o + 1] === d[1] && t[o + 2] === d[2] && t[o + 3] === d[3] &&
          t[o + 4] === s[0] && t[o + 5] === s[1] && t[o + 6] === s[2] && t[o + 7] === s[3]) return this.entries[i];
    }
  }

  /** Adds a lifecycle whose 4-tuple has none live. */
  insert(hash: number, l: Lifecycle): void {
    if ((this.used + this.removed + 1) * 2 > this.hashes.length) this.rebuild();
    let i = hash & this.mask;
    while (this.hashes[i]! >= 0) i = (i + 1) & this.mask;
    if (this.hashes[i] === REMOVED) this.removed--;
    this.place(i, hash, l);
    this.used++;
  }

  remove(hash: number, l: Lifecycle): boolean {
    for (let i = hash & this.mask; this.hashes[i] !== EMPTY; i = (i + 1) & this.mask) {
      if (this.entries[i] !== l) continue;
      this.hashes[i] = REMOVED;
      this.entries[i] = undefined;
      this.used--;
      this.removed++;
      return true;
    }
    return false;
  }

  *values(): IterableIterator<Lifecycle> {
    for (const l of this.entries) if (l) yield l;
  }

  clear(): void {
    this.hashes.fill(EMPTY);
    this.entries.fill(undefined);
    this.used = 0;
    this.removed = 0;
  }

  private place(i: number, hash: number, l: Lifecycle): void {
    this.hashes[i] = hash;
    this.entries[i] = l;
    const o = i * TUPLE;
    const a = l.addr;
    for (let k = 0; k < 8; k++) this.tuples[o + k] = a[k]!;
    this.tuples[o + 8] = ((l.clientPort << 16) | l.serverPort) >>> 0;
    this.tuples[o + 9] = l.ipVersion;
  }

  /** Drops the tombstones, doubling the slots when more than a quarter hold lifecycles. */
  private rebuild(): void {
    const oldHashes = this.hashes;
    const oldTuples = this.tuples;
    const oldEntries = this.entries;
    const slots = this.used * 4 > oldHashes.length ? oldHashes.length * 2 : oldHashes.length;
    const hashes = new Int32Array(slots).fill(EMPTY);
    const tuples = new Uint32Array(slots * TUPLE);
    const entries = new Array<Lifecycle | undefined>(slots).fill(undefined);
    const mask = slots - 1;
    for (let j = 0; j < oldHashes.length; j++) {
      const h = oldHashes[j]!;
      if (h < 0) continue;
      let i = h & mask;
      while (hashes[i] !== EMPTY) i = (i + 1) & mask;
      // The 4-tuple from the old slot, not from the lifecycle: a table of many is mostly out of the cache.
      hashes[i] = h;
      entries[i] = oldEntries[j];
      const from = j * TUPLE;
      const to = i * TUPLE;
      for (let k = 0; k < TUPLE; k++) tuples[to + k] = oldTuples[from + k]!;
    }
    this.hashes = hashes;
    this.tuples = tuples;
    this.entries = entries;
    this.mask = mask;
    this.removed = 0;
  }
}
