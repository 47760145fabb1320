/**
 * Decoded packets in shared memory: `--jobs` decodes each frame once, on the
 * reading thread, and the shards read the packets of their flows from a
 * SharedArrayBuffer that every worker maps, instead of each reading and
 * decoding the whole input.
 *
 * A packet is every field of a PacketView, one float64 slot each (numbers,
 * booleans as 0/1, typed arrays element by element), after two slots of our
 * own: the shard that tracks it and the index of its file. The layout is
 * read off a fresh PacketView when the module loads, and the copy functions
 * are generated from it, so a field added to PacketView travels to the
 * shards with no change here, at the speed of hand-written stores.
 */
import { PacketView } from '../decode/packet.js';

type Copy = (p: PacketView, f: Float64Array, at: number) => void;

interface Layout {
  /** Slots per packet, ours included. */
  stride: number;
  /** Where each scalar field of a PacketView is. */
  slots: Map<string, number>;
  pack: Copy;
  unpack: Copy;
  /** Where the capture time is. */
  ts: number;
}

export const SHARD_SLOT = 0;
export const FILE_SLOT = 1;
const OWN_SLOTS = 2;

function layout(): Layout {
  const template = new PacketView() as unknown as Record<string, unknown>;
  const pack: string[] = [];
  const unpack: string[] = [];
  let slot = OWN_SLOTS;
  let ts = -1;
  const slots = new Map<string, number>();
  for (const key of Object.keys(template)) {
    const value = template[key];
    if (key === 'ts') ts = slot;
    slots.set(key, slot);
    const field = `p[${JSON.stringify(key)}]`;
    if (typeof value === 'number') {
      pack.push(`f[at + ${slot}] = ${field};`);
      unpack.push(`${field} = f[at + ${slot}];`);
      slot++;
    } else if (typeof value === 'boolean') {
      pack.push(`f[at + ${slot}] = ${field} ? 1 : 0;`);
      unpack.push(`${field} = f[at + ${slot}] !== 0;`);
      slot++;
    } else if (ArrayBuffer.isView(value) && 'length' in value && typeof value.length === 'number') {
      for (let i = 0; i < value.length; i++) {
        pack.push(`f[at + ${slot}] = ${field}[${i}];`);
        unpack.push(`${field}[${i}] = f[at + ${slot}];`);
        slot++;
      }
    } else {
      throw new Error(`PacketView.${key} is neither a number, a boolean nor a typed array: teach packed-packets.ts to carry it`);
    }
  }
  // Generated once per thread from the class's own fields: straight-line stores, no per-packet property lookup by name.
  return {
    stride: slot,
    slots,
    ts,
    pack: new Function('p', 'f', 'at', pack.join('\n')) as Copy,
    unpack: new Function('p', 'f', 'at', unpack.join('\n')) as Copy,
  };
}

const LAYOUT = layout();

/** Slots one packet takes. */
export const PACKET_SLOTS = LAYOUT.stride;

/** The slot of a PacketView field (its first element, for a typed array) within a packet. */
export function slotOf(field: keyof PacketView): number {
  const slot = LAYOUT.slots.get(field);
  if (slot === undefined) throw new Error(`PacketView has no field ${String(field)}`);
  return slot;
}

/** Writes the packet at `index` of the batch `f`. */
export function packPacket(p: PacketView, shard: number, file: number, f: Float64Array, index: number): void {
  const at = index * PACKET_SLOTS;
  f[at + SHARD_SLOT] = shard;
  f[at + FILE_SLOT] = file;
  LAYOUT.pack(p, f, at);
}

/** The capture time of the packet at `index`: every shard's clock follows every packet. */
export function packetTs(f: Float64Array, index: number): number {
  return f[index * PACKET_SLOTS + LAYOUT.ts]!;
}

/** Fills `p` with the packet at `index` of the batch `f`. */
export function unpackPacket(f: Float64Array, index: number, p: PacketView): void {
  LAYOUT.unpack(p, f, index * PACKET_SLOTS);
}
