/**
 * Unsigned integer reads from a byte array in either byte order. Plain byte
 * arithmetic instead of a DataView: no view to allocate per chunk, and V8
 * compiles these to a handful of loads.
 */

export function readU32(b: Uint8Array, o: number, littleEndian: boolean): number {
  return littleEndian
    ? (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function readU16(b: Uint8Array, o: number, littleEndian: boolean): number {
  return littleEndian ? b[o]! | (b[o + 1]! << 8) : (b[o]! << 8) | b[o + 1]!;
}

/** An unsigned 64-bit count as a double (exact below 2^53, which any real count is). */
export function readU64(b: Uint8Array, o: number, littleEndian: boolean): number {
  const first = readU32(b, o, littleEndian);
  const second = readU32(b, o + 4, littleEndian);
  return littleEndian ? second * 2 ** 32 + first : first * 2 ** 32 + second;
}
