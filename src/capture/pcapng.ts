/**
 * pcapng: a sequence of blocks, each `type, total length, body, total
 * length`. Read here:
 * - section header block (SHB): sets the byte order from its byte-order
 *   magic; each new section forgets the previous section's interfaces;
 * - interface description block (IDB): link type, snaplen, `if_tsresol`
 *   (10^-n, or 2^-n when the top bit is set) and `if_tsoffset` (seconds);
 * - enhanced (EPB), simple (SPB) and obsolete packet blocks (type 2);
 * - every other block type is skipped whole.
 *
 * Checked before a byte is buffered: total length >= 12, a multiple of 4 and
 * at most `maxBlock` (16 MiB, libpcap's starting ceiling). Checked on the whole
 * block: the trailing length equals the leading one, the fixed fields and
 * options fit, a packet names an interface the section described, a packet's
 * captured length fits its block and `maxRecord`. Damage in the first section
 * header means the input is no usable capture (not-capture); damage later is
 * corrupt at the block's offset.
 *
 * A simple packet block carries no timestamp: it gets the previous packet's
 * (0 before any), which keeps time monotonic for the lifecycle logic.
 */
import { readU16, readU32, readU64 } from './byte-order.js';
import { CaptureError, type Frame } from './frame.js';
import { NEXT_CAPTURE, type RecordParser } from './record-parser.js';
import { PCAPNG_SHB, startsCapture } from './sniff.js';
import { DEFAULT_MAX_PCAP_RECORD } from './pcap.js';

/** Largest block accepted (16 MiB, libpcap's starting ceiling): bounds the carry buffer. */
export const DEFAULT_MAX_PCAPNG_BLOCK = 16 * 1024 * 1024;
export const PCAPNG_BLOCK_HEADER_BYTES = 12;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_IDB = 0x00000001;
const BLOCK_OPB = 0x00000002;
const BLOCK_SPB = 0x00000003;
const BLOCK_EPB = 0x00000006;
const BLOCK_ISB = 0x00000005;
/** An interface statistics block: interface id, timestamp, then options. */
const MIN_ISB = 24;

const MIN_SHB = 28;
const MIN_IDB = 20;
const MIN_EPB = 32;
const MIN_OPB = 32;
const MIN_SPB = 16;

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
/** Interface statistics: packets the interface dropped, and the operating system, since the capture began. */
const OPT_ISB_IFDROP = 5;
const OPT_ISB_OSDROP = 7;
/** Enhanced packet: packets lost between this packet and the one before it. */
const OPT_EPB_DROPCOUNT = 4;

const TWO_32 = 4294967296;

/**
 * Seconds in the 64-bit count `hi:lo` of units of 1/`perSecond` s. Long
 * division in 16-bit steps keeps the whole seconds exact (a nanosecond count
 * is beyond 2^53), so the only rounding is the final addition.
 */
export function unitsToSeconds(hi: number, lo: number, perSecond: number): number {
  // Below 2^53 the count itself is exact (microseconds until year 2255): one rounding.
  if (hi < 0x200000 || !Number.isInteger(perSecond) || perSecond > TWO_32 || perSecond < 1) {
    return (hi * TWO_32 + lo) / perSecond;
  }
  const qHi = Math.floor(hi / perSecond);
  let r = hi - qHi * perSecond;
  let t = r * 65536 + (lo >>> 16);
  const q1 = Math.floor(t / perSecond);
  r = t - q1 * perSecond;
  t = r * 65536 + (lo & 0xffff);
  const q2 = Math.floor(t / perSecond);
  r = t - q2 * perSecond;
  return qHi * TWO_32 + q1 * 65536 + q2 + r / perSecond;
}

export class PcapngParser implements RecordParser {
  readonly format = 'pcapng' as const;
  readonly headerBytes = PCAPNG_BLOCK_HEADER_BYTES;
  readonly maxRecordBytes: number;
  started = false;
  littleEndian = true;
  /** Sections seen so far. */
  sections = 0;
  // Interfaces of the current section, as parallel arrays of numbers.
  readonly linkTypes: number[] = [];
  readonly snaplens: number[] = [];
  private readonly unitsPerSecond: number[] = [];
  private readonly offsetSeconds: number[] = [];
  private lastTs = 0;
  /** Packets each interface of the current section dropped, by its latest statistics block. */
  private readonly interfaceDrops: number[] = [];
  /** Drops of earlier sections, and drops counted on packets (epb_dropcount). */
  private earlierDrops = 0;
  private packetDrops = 0;

  constructor(
    readonly file: string,
    readonly maxRecord: number = DEFAULT_MAX_PCAP_RECORD,
    readonly maxBlock: number = DEFAULT_MAX_PCAPNG_BLOCK,
  ) {
    this.maxRecordBytes = maxBlock;
  }

  get interfaceCount(): number {
    return this.linkTypes.length;
  }

  /** Packets the capture itself dropped, as its statistics and packet blocks count them. */
  get droppedPackets(): number {
    let drops = this.earlierDrops + this.packetDrops;
    for (const d of this.interfaceDrops) drops += d;
    return drops;
  }

  recordLength(buf: Uint8Array, off: number, fileOffset: number): number {
    let le = this.littleEndian;
    const type = readU32(buf, off, le);
    if (type === PCAPNG_SHB) le = this.sectionByteOrder(buf, off, fileOffset);
    else if (type !== BLOCK_EPB && startsCapture(buf, off)) return NEXT_CAPTURE; // a pcap file follows
    const len = readU32(buf, off + 4, le);
    if (len < PCAPNG_BLOCK_HEADER_BYTES || len % 4 !== 0) {
      throw this.damage(fileOffset, `pcapng block total length ${len} is ${len < PCAPNG_BLOCK_HEADER_BYTES ? 'below 12' : 'not a multiple of 4'}`);
    }
    if (len > this.maxBlock) {
      throw this.damage(fileOffset, `pcapng block claims ${len} bytes, more than the ${this.maxBlock}-byte limit`);
    }
    return len;
  }

  parse(buf: Uint8Array, off: number, len: number, fileOffset: number, frame: Frame): boolean {
    const type = readU32(buf, off, this.littleEndian);
    if (type === PCAPNG_SHB) this.littleEndian = this.sectionByteOrder(buf, off, fileOffset);
    const le = this.littleEndian;
    const trailing = readU32(buf, off + len - 4, le);
    if (trailing !== len) {
      throw this.damage(fileOffset, `pcapng block total length ${len} disagrees with its trailing copy ${trailing}`);
    }
    switch (type) {
      case BLOCK_EPB:
        return this.enhancedPacket(buf, off, len, fileOffset, frame);
      case BLOCK_SPB:
        return this.simplePacket(buf, off, len, fileOffset, frame);
      case BLOCK_OPB:
        return this.obsoletePacket(buf, off, len, fileOffset, frame);
      case BLOCK_IDB:
        this.interfaceDescription(buf, off, len, fileOffset);
        return false;
      case PCAPNG_SHB:
        this.sectionHeader(buf, off, len, fileOffset);
        return false;
      case BLOCK_ISB:
        this.interfaceStatistics(buf, off, len);
        return false;
      default:
        return false; // name resolution, secrets, custom: not needed here
    }
  }

  /** Byte order of the section whose header starts at `off`, from its byte-order magic. */
  private sectionByteOrder(buf: Uint8Array, off: number, fileOffset: number): boolean {
    if (readU32(buf, off + 8, true) === BYTE_ORDER_MAGIC) return true;
    if (readU32(buf, off + 8, false) === BYTE_ORDER_MAGIC) return false;
    throw this.damage(fileOffset + 8, 'pcapng section header has no valid byte-order magic');
  }

  private sectionHeader(b: Uint8Array, off: number, len: number, fileOffset: number): void {
    const le = this.littleEndian;
    if (len < MIN_SHB) throw this.damage(fileOffset, `pcapng section header block of ${len} bytes is below the minimum ${MIN_SHB}`);
    const major = readU16(b, off + 12, le);
    if (major !== 1) throw this.damage(fileOffset + 12, `unsupported pcapng version ${major}.${readU16(b, off + 14, le)}`);
    this.walkOptions(b, off, off + 24, len, fileOffset, -1);
    for (const d of this.interfaceDrops) this.earlierDrops += d;
    this.interfaceDrops.length = 0;
    this.linkTypes.length = 0;
    this.snaplens.length = 0;
    this.unitsPerSecond.length = 0;
    this.offsetSeconds.length = 0;
    this.sections++;
    this.started = true;
  }

  private interfaceDescription(b: Uint8Array, off: number, len: number, fileOffset: number): void {
    const le = this.littleEndian;
    if (len < MIN_IDB) throw this.damage(fileOffset, `pcapng interface description block of ${len} bytes is below the minimum ${MIN_IDB}`);
    const id = this.linkTypes.length;
    this.linkTypes.push(readU16(b, off + 8, le));
    this.snaplens.push(readU32(b, off + 12, le));
    this.unitsPerSecond.push(1e6);
    this.offsetSeconds.push(0);
    this.interfaceDrops.push(0);
    this.walkOptions(b, off, off + 16, len, fileOffset, id);
  }

  /**
   * An interface's counters since the capture began: its drops are those of
   * its latest statistics block (isb_ifdrop plus isb_osdrop). Statistics are
   * advisory: a block that does not add up is skipped, never damage.
   */
  private interfaceStatistics(b: Uint8Array, off: number, len: number): void {
    const le = this.littleEndian;
    const id = len >= MIN_ISB ? readU32(b, off + 8, le) : -1;
    if (id < 0 || id >= this.interfaceDrops.length) return;
    let drops = 0;
    for (let p = off + 20; p + 4 <= off + len - 4;) {
      const code = readU16(b, p, le);
      const optLen = readU16(b, p + 2, le);
      if (code === OPT_END || p + 4 + optLen > off + len - 4) break;
      if ((code === OPT_ISB_IFDROP || code === OPT_ISB_OSDROP) && optLen === 8) drops += readU64(b, p + 4, le);
      p += 4 + ((optLen + 3) & ~3);
    }
    this.interfaceDrops[id] = Math.max(this.interfaceDrops[id]!, drops);
  }

  /** Options after an enhanced packet's data, walked only when there are any: the drops counted since the packet before. */
  private packetOptions(b: Uint8Array, start: number, end: number): void {
    const le = this.littleEndian;
    for (let p = start; p + 4 <= end;) {
      const code = readU16(b, p, le);
      const optLen = readU16(b, p + 2, le);
      if (code === OPT_END || p + 4 + optLen > end) return;
      if (code === OPT_EPB_DROPCOUNT && optLen === 8) this.packetDrops += readU64(b, p + 4, le);
      p += 4 + ((optLen + 3) & ~3);
    }
  }

  /**
   * Walks the options of the block at `off` from `start`, failing on an
   * option that overruns the block; for an interface (`id` >= 0) keeps its
   * timestamp resolution and offset.
   */
  private walkOptions(b: Uint8Array, off: number, start: number, len: number, fileOffset: number, id: number): void {
    const le = this.littleEndian;
    const end = off + len - 4;
    let p = start;
    while (p + 4 <= end) {
      const code = readU16(b, p, le);
      const optLen = readU16(b, p + 2, le);
      if (code === OPT_END) break;
      if (p + 4 + optLen > end) {
        throw this.damage(fileOffset + (p - off), `pcapng option ${code} of ${optLen} bytes overruns its block`);
      }
      if (id >= 0 && code === OPT_IF_TSRESOL && optLen >= 1) {
        const v = b[p + 4]!;
        const perSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        this.unitsPerSecond[id] = perSecond;
      } else if (id >= 0 && code === OPT_IF_TSOFFSET && optLen >= 8) {
        const hi = readU32(b, p + (le ? 8 : 4), le) | 0;
        const lo = readU32(b, p + (le ? 4 : 8), le);
        this.offsetSeconds[id] = hi * TWO_32 + lo;
      }
      p += 4 + ((optLen + 3) & ~3);
    }
  }

  private enhancedPacket(b: Uint8Array, off: number, len: number, fileOffset: number, frame: Frame): boolean {
    const le = this.littleEndian;
    if (len < MIN_EPB) throw this.damage(fileOffset, `pcapng enhanced packet block of ${len} bytes is below the minimum ${MIN_EPB}`);
    if (!this.packet(b, off, len, fileOffset, frame, readU32(b, off + 8, le))) return false;
    const options = off + 28 + ((frame.capLen + 3) & ~3);
    if (options + 4 <= off + len - 4) this.packetOptions(b, options, off + len - 4);
    return true;
  }

  private obsoletePacket(b: Uint8Array, off: number, len: number, fileOffset: number, frame: Frame): boolean {
    if (len < MIN_OPB) throw this.damage(fileOffset, `pcapng packet block of ${len} bytes is below the minimum ${MIN_OPB}`);
    return this.packet(b, off, len, fileOffset, frame, readU16(b, off + 8, this.littleEndian));
  }

  /** EPB and the obsolete packet block share the layout after the interface id. */
  private packet(b: Uint8Array, off: number, len: number, fileOffset: number, frame: Frame, id: number): boolean {
    const le = this.littleEndian;
    if (id >= this.linkTypes.length) {
      throw this.damage(fileOffset, `pcapng packet block names interface ${id}, but its section has ${this.linkTypes.length} interface(s)`);
    }
    const capLen = readU32(b, off + 20, le);
    if (capLen > len - 32) throw this.damage(fileOffset, `pcapng packet of ${capLen} captured bytes overruns its ${len}-byte block`);
    if (capLen > this.maxRecord) throw this.damage(fileOffset, `pcapng packet of ${capLen} captured bytes exceeds the ${this.maxRecord}-byte limit`);
    frame.buf = b;
    frame.offset = off + 28;
    frame.capLen = capLen;
    frame.origLen = readU32(b, off + 24, le);
    const ts = unitsToSeconds(readU32(b, off + 12, le), readU32(b, off + 16, le), this.unitsPerSecond[id]!) + this.offsetSeconds[id]!;
    frame.ts = ts;
    this.lastTs = ts;
    frame.linkType = this.linkTypes[id]!;
    frame.interfaceId = id;
    return true;
  }

  private simplePacket(b: Uint8Array, off: number, len: number, fileOffset: number, frame: Frame): boolean {
    if (len < MIN_SPB) throw this.damage(fileOffset, `pcapng simple packet block of ${len} bytes is below the minimum ${MIN_SPB}`);
    if (this.linkTypes.length === 0) throw this.damage(fileOffset, 'pcapng simple packet block before any interface description');
    const origLen = readU32(b, off + 8, this.littleEndian);
    const snaplen = this.snaplens[0]!;
    let capLen = Math.min(origLen, len - MIN_SPB);
    if (snaplen > 0 && snaplen < capLen) capLen = snaplen;
    if (capLen > this.maxRecord) throw this.damage(fileOffset, `pcapng packet of ${capLen} captured bytes exceeds the ${this.maxRecord}-byte limit`);
    frame.buf = b;
    frame.offset = off + 12;
    frame.capLen = capLen;
    frame.origLen = origLen;
    frame.ts = this.lastTs;
    frame.linkType = this.linkTypes[0]!;
    frame.interfaceId = 0;
    return true;
  }

  /** Damage before the first section header was accepted leaves nothing usable. */
  private damage(offset: number, reason: string): CaptureError {
    return new CaptureError(this.started ? 'corrupt' : 'not-capture', this.file, offset, reason);
  }
}
