/**
 * One captured record as the reader hands it on. The reader reuses a single
 * Frame object and a single buffer window: a Frame is valid only until the
 * next one is delivered, so consumers copy what they keep.
 */
export interface Frame {
  /** Buffer holding the packet bytes; valid until the next frame. */
  buf: Uint8Array;
  /** Offset of the first packet byte in `buf`. */
  offset: number;
  /** Bytes present in the capture (may be less than `origLen` when cut by the snap length). */
  capLen: number;
  /** Length of the packet on the wire. */
  origLen: number;
  /** Timestamp, seconds since the Unix epoch (double; microsecond precision or better). */
  ts: number;
  /** Link type of this frame (pcap header, or the pcapng interface it came from). */
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  /** 1-based frame number across the input, as Wireshark counts. */
  frameNo: number;
  /** Byte offset of this record's header in its file. */
  fileOffset: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * Packet times from 1970 up to the end of year 9999 are possible; pcapng can
 * write others (a corrupted 64-bit timestamp, a huge `if_tsoffset`,
 * `if_tsresol` 0 with large ticks), which a JavaScript Date cannot show or
 * no clock gave. The reader gives such a packet the previous packet's time.
 */
export const LATEST_TIME = 253_402_300_800; // 10000-01-01T00:00:00Z

/** What a reader found wrong with its input. */
export type CaptureErrorKind =
  /** Not a capture at all, or an empty file: nothing usable (exit 2). */
  | 'not-capture'
  /** Damage part-way: frames before `offset` were delivered (exit 3). */
  | 'corrupt'
  /** The last record is cut short, as when tcpdump is killed: a warning (exit 0). */
  | 'truncated';

export class CaptureError extends Error {
  constructor(
    readonly kind: CaptureErrorKind,
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${file}: ${reason} at byte offset ${offset}`);
    this.name = 'CaptureError';
  }
}
