/**
 * Tells a capture format from the first four bytes of a file, and names what
 * a file is when it is no capture we read, so the error says what to do.
 */
import type { CaptureFormat } from './frame.js';

/** Bytes needed to recognise a format. */
export const SNIFF_BYTES = 4;

/** pcap magics as read big-endian from the first four bytes. */
export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
/** pcapng section header block type; a palindrome, so byte order does not matter here. */
export const PCAPNG_SHB = 0x0a0d0d0a;
/** pcapng's byte-order magic, as read big-endian in a big- and a little-endian section. */
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BYTE_ORDER_MAGIC_SWAPPED = 0x4d3c2b1a;

function magicOf(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

function byteSwap(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** The format of a file starting with `b` (at least SNIFF_BYTES long), or undefined. */
export function sniffFormat(b: Uint8Array): CaptureFormat | undefined {
  const magic = magicOf(b);
  if (magic === PCAPNG_SHB) return 'pcapng';
  if (magic === PCAP_MAGIC_MICRO || magic === PCAP_MAGIC_NANO) return 'pcap';
  const swapped = byteSwap(magic);
  if (swapped === PCAP_MAGIC_MICRO || swapped === PCAP_MAGIC_NANO) return 'pcap';
  return undefined;
}

/**
 * True when a capture's file header starts at `b[off]` (at least 12 bytes
 * present): a pcap magic followed by version 2, or a pcapng section header
 * with its byte-order magic. Where a record was due, this is the next capture
 * of a concatenation (`cat a.pcap b.pcap`); a record's header matches it only
 * if its time is one of four seconds (2011, 2055, 2083) and its fraction or
 * length is the version's, exactly.
 */
export function startsCapture(b: Uint8Array, off: number): boolean {
  const magic = ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
  if (magic === PCAPNG_SHB) {
    const bom = ((b[off + 8]! << 24) | (b[off + 9]! << 16) | (b[off + 10]! << 8) | b[off + 11]!) >>> 0;
    return bom === BYTE_ORDER_MAGIC || bom === BYTE_ORDER_MAGIC_SWAPPED;
  }
  if (magic === PCAP_MAGIC_MICRO || magic === PCAP_MAGIC_NANO) return b[off + 4] === 0 && b[off + 5] === 2;
  const swapped = byteSwap(magic);
  if (swapped === PCAP_MAGIC_MICRO || swapped === PCAP_MAGIC_NANO) return b[off + 4] === 2 && b[off + 5] === 0;
  return false;
}

/** A reason for a file whose first bytes are no capture we read. */
export function describeUnknownStart(b: Uint8Array): string {
  const magic = magicOf(b);
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip-compressed file (decompress it first, e.g. with gunzip)';
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return 'zstd-compressed file (decompress it first)';
  // Kuznetsov's patched libpcap and the Nokia variant use these magics with longer record headers.
  if (magic === 0xa1b2cd34 || byteSwap(magic) === 0xa1b2cd34) return `modified pcap format (magic ${hex}) is not supported; convert it with editcap -F pcap`;
  return `not a pcap or pcapng file (starts with ${hex})`;
}
