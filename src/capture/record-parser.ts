/**
 * What the chunk-driven reader needs from a capture format: how many bytes
 * tell a record's length, that length (checked against the caps before any
 * byte is buffered), and the handling of a whole record. The reader owns the
 * bytes, the carry-over between chunks and the frame numbering; a format owns
 * only the meaning of its records.
 */
import type { CaptureFormat, Frame } from './frame.js';

/** What `recordLength` returns where the next capture's file header starts instead of a record (`cat a.pcap b.pcap`). */
export const NEXT_CAPTURE = -1;

export interface RecordParser {
  readonly format: CaptureFormat;
  /** Bytes of a record needed before `recordLength` can answer; may change after the file header. */
  readonly headerBytes: number;
  /** Largest record `recordLength` accepts: the bound on the reader's carry buffer. */
  readonly maxRecordBytes: number;
  /** True once the file header (pcap header, first section header block) was accepted. */
  readonly started: boolean;
  /** Packets the capture itself dropped, as far as the format records it (pcapng statistics; pcap: none). */
  readonly droppedPackets: number;
  /**
   * Total length of the record at `buf[off]` (at least `headerBytes` present),
   * never more than `maxRecordBytes`, or NEXT_CAPTURE where another capture's
   * file header begins. Throws CaptureError for a length that cannot be right.
   */
  recordLength(buf: Uint8Array, off: number, fileOffset: number): number;
  /**
   * Handles the complete record `buf[off, off + len)`. Returns true when it
   * filled `frame` with a packet to deliver; false for header and metadata
   * records. Throws CaptureError on damage.
   */
  parse(buf: Uint8Array, off: number, len: number, fileOffset: number, frame: Frame): boolean;
}
