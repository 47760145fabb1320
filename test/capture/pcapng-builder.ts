/**
 * Builds pcapng blocks byte by byte, in either byte order, for the cases no
 * capture tool of ours writes: simple and obsolete packet blocks, power-of-2
 * timestamp resolution, timestamp offsets, big-endian sections, damage.
 */
export interface Order { le: boolean }

function u16(v: number, { le }: Order): number[] {
  return le ? [v & 0xff, (v >>> 8) & 0xff] : [(v >>> 8) & 0xff, v & 0xff];
}
function u32(v: number, { le }: Order): number[] {
  const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return le ? b.reverse() : b;
}
function pad4(bytes: number[]): number[] {
  while (bytes.length % 4) bytes.push(0);
  return bytes;
}

export function option(code: number, value: number[], o: Order): number[] {
  return pad4([...u16(code, o), ...u16(value.length, o), ...value]);
}
export function endOfOptions(o: Order): number[] {
  return [...u16(0, o), ...u16(0, o)];
}

/** A block with a correct total length on both ends (or `trailing` instead of it). */
export function block(type: number, body: number[], o: Order, trailing?: number): number[] {
  const len = 12 + pad4([...body]).length;
  return [...u32(type, o), ...u32(len, o), ...pad4([...body]), ...u32(trailing ?? len, o)];
}

export function shb(o: Order, options: number[] = []): number[] {
  return block(0x0a0d0d0a, [...u32(0x1a2b3c4d, o), ...u16(1, o), ...u16(0, o), ...u32(0xffffffff, o), ...u32(0xffffffff, o), ...options], o);
}

export function idb(linkType: number, snaplen: number, o: Order, options: number[] = []): number[] {
  return block(1, [...u16(linkType, o), ...u16(0, o), ...u32(snaplen, o), ...options], o);
}

/** Timestamp as a 64-bit count of units, given as high and low 32-bit words; options after the padded data. */
export function epb(interfaceId: number, tsHigh: number, tsLow: number, data: number[], o: Order, origLen = data.length, options: number[] = []): number[] {
  return block(6, [...u32(interfaceId, o), ...u32(tsHigh, o), ...u32(tsLow, o), ...u32(data.length, o), ...u32(origLen, o), ...pad4([...data]), ...options], o);
}

/** An interface statistics block: interface id, timestamp, options. */
export function isb(interfaceId: number, tsHigh: number, tsLow: number, o: Order, options: number[] = []): number[] {
  return block(5, [...u32(interfaceId, o), ...u32(tsHigh, o), ...u32(tsLow, o), ...options], o);
}

/** A 64-bit count as an option value. */
export function u64(v: number, o: Order): number[] {
  const high = Math.floor(v / 2 ** 32);
  const low = v >>> 0;
  return o.le ? [...u32(low, o), ...u32(high, o)] : [...u32(high, o), ...u32(low, o)];
}

export function opb(interfaceId: number, tsHigh: number, tsLow: number, data: number[], o: Order): number[] {
  return block(2, [...u16(interfaceId, o), ...u16(0, o), ...u32(tsHigh, o), ...u32(tsLow, o), ...u32(data.length, o), ...u32(data.length, o), ...data], o);
}

export function spb(origLen: number, data: number[], o: Order): number[] {
  return block(3, [...u32(origLen, o), ...data], o);
}

export function bytesOf(...blocks: number[][]): Uint8Array {
  return Uint8Array.from(blocks.flat());
}

export const LE: Order = { le: true };
export const BE: Order = { le: false };
