/**
 * Classic pcap (libpcap's savefile): a 24-byte file header, then records of
 * a 16-byte header (seconds, micro- or nanoseconds, captured length, length
 * on the wire) and the captured bytes.
 *
 * Accepted as libpcap and tshark accept them:
 * - both byte orders, microsecond (0xa1b2c3d4) and nanosecond (0xa1b23c4d) magic;
 * - major version 2 only (libpcap and tshark reject 1.x);
 * - the link-type field's low 16 bits are the link type; bits 0x03FF0000 are
 *   reserved and must be zero (both reject the file otherwise), the upper bits
 *   carry an FCS length (0xF0000000, present when 0x04000000 is set) and are
 *   read, not refused: tshark reads tcpdump's beep-oobr.pcap (0x300000e5);
 * - a captured length above the header's snaplen is tolerated (libpcap
 *   and tshark read such records) but never above `maxRecord`, so a damaged
 *   length cannot make the reader buffer gigabytes: such a record is corrupt
 *   at its offset, as in tshark ("bigger than maximum of 262144");
 * - a captured length above the wire length, or microseconds >= 1e6, are passed on as they are.
 */
import { readU16, readU32 } from './byte-order.js';
import { CaptureError, type Frame } from './frame.js';
import { NEXT_CAPTURE, type RecordParser } from './record-parser.js';
import { PCAP_MAGIC_MICRO, PCAP_MAGIC_NANO, startsCapture } from './sniff.js';

export const PCAP_FILE_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
/** libpcap's and Wireshark's largest record for ordinary link types (256 KiB). */
export const DEFAULT_MAX_PCAP_RECORD = 262_144;

const LINKTYPE_MASK = 0x0000ffff;
const LINKTYPE_RESERVED_MASK = 0x03ff0000;
const FCS_LENGTH_PRESENT = 0x04000000;

export class PcapParser implements RecordParser {
  readonly format = 'pcap' as const;
  /** The pcap format records no drops. */
  readonly droppedPackets = 0;
  headerBytes = PCAP_FILE_HEADER_BYTES;
  started = false;
  readonly maxRecordBytes: number;
  littleEndian = true;
  nanosecond = false;
  versionMajor = 0;
  versionMinor = 0;
  snaplen = 0;
  linkType = 0;
  /** Bytes of frame check sequence at the end of each packet, when the header says so (else 0). */
  fcsBytes = 0;
  private fracPerSecond = 1e6;

  constructor(
    readonly file: string,
    readonly maxRecord: number = DEFAULT_MAX_PCAP_RECORD,
  ) {
    this.maxRecordBytes = PCAP_RECORD_HEADER_BYTES + maxRecord;
  }

  recordLength(buf: Uint8Array, off: number, fileOffset: number): number {
    if (!this.started) return PCAP_FILE_HEADER_BYTES;
    const capLen = readU32(buf, off + 8, this.littleEndian);
    // A file header read as a record has the time zone (0) or a pcapng byte-order magic for its length.
    if ((capLen === 0 || capLen > this.maxRecord) && startsCapture(buf, off)) return NEXT_CAPTURE;
    if (capLen > this.maxRecord) {
      throw new CaptureError('corrupt', this.file, fileOffset,
        `pcap record claims ${capLen} captured bytes, more than the ${this.maxRecord}-byte limit`);
    }
    return PCAP_RECORD_HEADER_BYTES + capLen;
  }

  parse(buf: Uint8Array, off: number, _len: number, fileOffset: number, frame: Frame): boolean {
    if (!this.started) {
      this.parseFileHeader(buf, off, fileOffset);
      return false;
    }
    const le = this.littleEndian;
    frame.buf = buf;
    frame.offset = off + PCAP_RECORD_HEADER_BYTES;
    frame.capLen = readU32(buf, off + 8, le);
    frame.origLen = readU32(buf, off + 12, le);
    frame.ts = readU32(buf, off, le) + readU32(buf, off + 4, le) / this.fracPerSecond;
    frame.linkType = this.linkType;
    frame.interfaceId = 0;
    return true;
  }

  private parseFileHeader(b: Uint8Array, off: number, fileOffset: number): void {
    const bigEndianMagic = readU32(b, off, false);
    this.littleEndian = bigEndianMagic !== PCAP_MAGIC_MICRO && bigEndianMagic !== PCAP_MAGIC_NANO;
    const le = this.littleEndian;
    this.nanosecond = readU32(b, off, le) === PCAP_MAGIC_NANO;
    this.fracPerSecond = this.nanosecond ? 1e9 : 1e6;
    this.versionMajor = readU16(b, off + 4, le);
    this.versionMinor = readU16(b, off + 6, le);
    if (this.versionMajor !== 2) {
      throw new CaptureError('not-capture', this.file, fileOffset + 4,
        `unsupported pcap version ${this.versionMajor}.${this.versionMinor} (only 2.x exists)`);
    }
    this.snaplen = readU32(b, off + 16, le);
    const linkField = readU32(b, off + 20, le);
    if ((linkField & LINKTYPE_RESERVED_MASK) !== 0) {
      throw new CaptureError('not-capture', this.file, fileOffset + 20,
        `pcap link-type field 0x${linkField.toString(16).padStart(8, '0')} has reserved bits set`);
    }
    this.linkType = linkField & LINKTYPE_MASK;
    this.fcsBytes = (linkField & FCS_LENGTH_PRESENT) !== 0 ? (linkField >>> 28) * 2 : 0;
    this.started = true;
    this.headerBytes = PCAP_RECORD_HEADER_BYTES;
  }
}
