/**
 * The packed parts of a merge state, read into what the merge uses and
 * written back for a merged output: the snapshots of the open lifecycles,
 * where each lifecycle began with a SYN, and the watched lifecycles' first
 * packets. Heads and watched lifecycles are keyed by the frame their record's
 * id names, which counts frames across the files of the analysis.
 */
import { ByteWriter, pack, unpack, type PackedBytes } from './bytes.js';
import type { Lifecycle } from '../flow/lifecycle.js';
import { readLifecycle, readSnapshot, writeLifecycle, writeSnapshot, type Value } from './snapshot.js';
import { FILE_SLOT, PACKET_SLOTS } from '../parallel/packed-packets.js';

export interface Head {
  ts: number;
  seq: number;
}

export interface WatchedEntry {
  /** Packets seen in all; the first min(total, kept) are in `packets`. */
  total: number;
  packets: Float64Array;
  /** With more packets than kept: the state after the kept ones, and at the end (undefined: still open). */
  atLimit: Value[] | undefined;
  end: Value[] | undefined;
}

export interface Part {
  open: PackedBytes;
  openCount: number;
  heads: PackedBytes;
  watched: PackedBytes;
}

export function readOpen(part: Part, spare: Lifecycle[] = []): Lifecycle[] {
  const r = unpack(part.open);
  const out: Lifecycle[] = [];
  for (let i = 0; i < part.openCount; i++) out.push(readLifecycle(r, takeSpare(spare)));
  return out;
}

/**
 * A lifecycle an earlier join ended, to restore a state into (undefined:
 * none left, make one): out of the lists and the watch it was in, which a
 * state does not hold.
 */
export function takeSpare(spare: Lifecycle[]): Lifecycle | undefined {
  const l = spare.pop();
  if (!l) return undefined;
  l.watch = -1;
  l.machine.observer = undefined;
  l.idleLink.reset();
  l.doneLink.reset();
  l.closedLink.reset();
  return l;
}

/** Heads by frame, each frame moved by `base`. */
export function readHeads(part: Part, base: number, into: Map<number, Head>): void {
  const r = unpack(part.heads);
  let frame = 0;
  while (!r.done) {
    frame += r.uint();
    into.set(base + frame, { ts: r.number(), seq: r.uint() });
  }
}

/** Watched lifecycles by frame, each frame moved by `base`, and the file index of each kept packet by `fileBase`. */
export function readWatched(part: Part, base: number, fileBase: number, kept: number, into: Map<number, WatchedEntry>): void {
  const r = unpack(part.watched);
  while (!r.done) {
    const frame = r.uint();
    const total = r.uint();
    const n = Math.min(total, kept) * PACKET_SLOTS;
    const packets = new Float64Array(n);
    for (let i = 0; i < n; i++) packets[i] = r.num();
    for (let at = FILE_SLOT; at < n; at += PACKET_SLOTS) packets[at] = packets[at]! + fileBase;
    let atLimit: Value[] | undefined;
    let end: Value[] | undefined;
    if (total > kept) {
      atLimit = readSnapshot(r);
      if (r.value() === true) end = readSnapshot(r);
    }
    into.set(base + frame, { total, packets, atLimit, end });
  }
}

export function writeParts(open: Lifecycle[], heads: Map<number, Head>, watched: Map<number, WatchedEntry>, kept: number): Part {
  const o = new ByteWriter();
  for (const l of open) writeLifecycle(o, l);
  const h = new ByteWriter();
  let last = 0;
  for (const frame of [...heads.keys()].sort((a, b) => a - b)) {
    const head = heads.get(frame)!;
    h.uint(frame - last);
    last = frame;
    h.number(head.ts);
    h.uint(head.seq);
  }
  const w = new ByteWriter();
  for (const [frame, entry] of watched) {
    w.uint(frame);
    w.uint(entry.total);
    w.nums(entry.packets, 0, entry.packets.length);
    if (entry.total > kept) {
      writeSnapshot(w, entry.atLimit!);
      w.value(entry.end !== undefined);
      if (entry.end) writeSnapshot(w, entry.end);
    }
  }
  return { open: pack(o), openCount: open.length, heads: pack(h), watched: pack(w) };
}
