/**
 * CaptureReader: a push parser for pcap and pcapng. Feed it chunks of any
 * size with `push`, then call `end`; it sniffs the format from the first
 * bytes and hands every packet to `onFrame` as one reused Frame.
 *
 * Memory is constant whatever the input: records that lie whole in a chunk
 * are read in place; only a record split across chunks is copied, into one
 * carry buffer that grows to fit it. A record's length is checked against
 * the format's cap (pcap: `maxRecord`, default 256 KiB, plus its 16-byte
 * header; pcapng: `maxBlock`, default 16 MiB) before any of it is buffered,
 * so a length field claiming gigabytes is `corrupt` at that record's offset
 * and the carry buffer never grows past the cap.
 *
 * Errors (CaptureError): `push` throws `not-capture` (empty file, unknown
 * magic, bad file header) or `corrupt` (damage part-way; every frame before
 * it was delivered); after that the reader only rethrows. `end` returns a
 * `truncated` warning when the input stops inside a record, as when tcpdump
 * is killed, and throws `not-capture` when it stops inside the file header.
 */
import { CaptureError, LATEST_TIME, type CaptureFormat, type Frame } from './frame.js';
import { DEFAULT_MAX_PCAP_RECORD, PcapParser } from './pcap.js';
import { DEFAULT_MAX_PCAPNG_BLOCK, PcapngParser } from './pcapng.js';
import { NEXT_CAPTURE, type RecordParser } from './record-parser.js';
import { describeUnknownStart, SNIFF_BYTES, sniffFormat } from './sniff.js';

export interface CaptureReaderOptions {
  /** Largest captured length of one packet, in bytes (default 262144, as libpcap and Wireshark). */
  maxRecord?: number;
  /** Largest pcapng block, in bytes (default 16 MiB). */
  maxBlock?: number;
  /** Number given to the first frame (default 1); lets numbering continue across files. */
  firstFrameNo?: number;
  /**
   * Called with every record as it is in the input, file headers and blocks
   * that carry no packet included (`packet` false), after a packet's frame
   * was handed on: `extract` copies the records it wants, bytes untouched.
   * The bytes are valid only during the call.
   */
  onRecord?: ((bytes: Uint8Array, packet: boolean) => void) | undefined;
}

/** The carry buffer starts small and doubles up to the cap, only for split records that need it. */
const INITIAL_CARRY_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);

export class CaptureReader {
  /** The one Frame handed to `onFrame`, refilled for every packet. */
  readonly frame: Frame = {
    buf: EMPTY, offset: 0, capLen: 0, origLen: 0, ts: 0, linkType: 0, interfaceId: 0, frameNo: 0, fileOffset: 0,
  };
  private parser: RecordParser | undefined;
  private carry = new Uint8Array(INITIAL_CARRY_BYTES);
  /** Bytes of the pending split record held in `carry`. */
  private carryLen = 0;
  /** File offset of `carry[0]`. */
  private carryStart = 0;
  /** Total length of the pending record once its header is in, else 0. */
  private carryNeed = 0;
  private received = 0;
  private nextFrameNo: number;
  private delivered = 0;
  /** Time of the last packet whose time was possible. */
  private lastTime = 0;
  /** Packets with impossible times (see LATEST_TIME), and the frame number of the first. */
  readonly impossible = { count: 0, firstFrame: 0 };
  /** Captures read before the current one: a concatenation (`cat a.pcap b.pcap`) is read as one input. */
  private previousCaptures = 0;
  /** Packets the captures before the current one dropped. */
  private previousDrops = 0;
  private failure: CaptureError | undefined;
  private readonly maxRecord: number;
  private readonly maxBlock: number;
  private readonly onRecord: CaptureReaderOptions['onRecord'];

  constructor(
    readonly name: string,
    private readonly onFrame: (frame: Frame) => void,
    options: CaptureReaderOptions = {},
  ) {
    this.maxRecord = options.maxRecord ?? DEFAULT_MAX_PCAP_RECORD;
    this.onRecord = options.onRecord;
    this.maxBlock = options.maxBlock ?? DEFAULT_MAX_PCAPNG_BLOCK;
    this.nextFrameNo = options.firstFrameNo ?? 1;
  }

  /** Format, once the first bytes told it. */
  get format(): CaptureFormat | undefined {
    return this.parser?.format;
  }

  /** True once the file header was accepted: the input is a capture. */
  get started(): boolean {
    return this.previousCaptures > 0 || (this.parser?.started ?? false);
  }

  /** Frames delivered so far. */
  get frames(): number {
    return this.delivered;
  }

  /** Bytes pushed so far. */
  get bytes(): number {
    return this.received;
  }

  /** Current size of the carry buffer, in bytes (for memory checks). */
  get carryCapacity(): number {
    return this.carry.length;
  }

  /** The format parser, for header facts (pcap snaplen, pcapng interfaces). */
  get formatParser(): RecordParser | undefined {
    return this.parser;
  }

  /** Parses `chunk`; frames in it are delivered before this returns. `chunk` may be reused afterwards. */
  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    const base = this.received;
    this.received += chunk.length;
    try {
      let pos = 0;
      do {
        if (this.carryLen > 0 || this.parser === undefined) {
          pos = this.fillCarry(chunk, pos, base);
          if (this.carryLen > 0 || this.parser === undefined) return;
        }
        pos = this.readInPlace(chunk, pos, base);
      } while (pos >= 0);
    } catch (error) {
      if (!(error instanceof CaptureError)) throw error;
      this.failure = this.previousCaptures > 0 && error.kind === 'not-capture' ? asDamage(error) : error;
      throw this.failure;
    }
  }

  /**
   * The hot loop: records lying whole in the chunk are read in place, and the
   * tail of a record cut by the chunk's end is carried. Returns -1 when the
   * chunk is used up, or where the next capture of a concatenation begins.
   */
  private readInPlace(chunk: Uint8Array, pos: number, base: number): number {
    const parser = this.parser!;
    const end = chunk.length;
    while (end - pos >= parser.headerBytes) {
      const len = parser.recordLength(chunk, pos, base + pos);
      if (len === NEXT_CAPTURE) {
        this.nextCapture();
        return pos;
      }
      if (end - pos < len) {
        this.startCarry(chunk, pos, base, len);
        return -1;
      }
      this.deliver(chunk, pos, len, base + pos);
      pos += len;
    }
    if (pos < end) this.startCarry(chunk, pos, base, 0);
    return -1;
  }

  /** Packets the capture itself dropped, as its format records them (pcapng interface statistics). */
  get droppedPackets(): number {
    return this.previousDrops + (this.parser?.droppedPackets ?? 0);
  }

  /** Another capture's file header follows the last record: it is read as the input's continuation. */
  private nextCapture(): void {
    this.previousDrops += this.parser?.droppedPackets ?? 0;
    this.parser = undefined;
    this.previousCaptures++;
  }

  /**
   * Ends the input. Returns a `truncated` warning when it stopped inside a
   * record; throws `not-capture` when nothing usable came (empty input, cut
   * file header), and the earlier failure if there was one.
   */
  end(): CaptureError | undefined {
    if (this.failure) throw this.failure;
    const parser = this.parser;
    if (this.previousCaptures > 0 && !parser?.started) {
      return new CaptureError('truncated', this.name, this.carryStart, `next capture's file header cut short (${this.carryLen} bytes present)`);
    }
    if (parser === undefined) {
      this.failure = new CaptureError('not-capture', this.name, 0,
        this.received === 0 ? 'empty file' : `only ${this.received} bytes, too short for a capture file header`);
      throw this.failure;
    }
    if (!parser.started) {
      this.failure = new CaptureError('not-capture', this.name, 0,
        `${parser.format} file header cut short (${this.carryLen} of ${this.carryNeed || parser.headerBytes} bytes)`);
      throw this.failure;
    }
    if (this.carryLen === 0) return undefined;
    const reason = this.carryNeed > 0
      ? `last record cut short (${this.carryLen} of ${this.carryNeed} bytes present)`
      : `last record header cut short (${this.carryLen} of ${parser.headerBytes} bytes present)`;
    return new CaptureError('truncated', this.name, this.carryStart, reason);
  }

  private deliver(buf: Uint8Array, off: number, len: number, fileOffset: number): void {
    const frame = this.frame;
    if (this.parser!.parse(buf, off, len, fileOffset, frame)) {
      if (frame.ts >= 0 && frame.ts < LATEST_TIME) this.lastTime = frame.ts;
      else this.impossibleTime(frame);
      frame.fileOffset = fileOffset;
      frame.frameNo = this.nextFrameNo++;
      this.delivered++;
      this.onFrame(frame);
      this.onRecord?.(buf.subarray(off, off + len), true);
    } else this.onRecord?.(buf.subarray(off, off + len), false);
  }

  /** A packet whose time no clock gave takes the previous packet's (0 before any), counted. */
  private impossibleTime(frame: Frame): void {
    if (this.impossible.count++ === 0) this.impossible.firstFrame = this.nextFrameNo;
    frame.ts = this.lastTime;
  }

  /** Keeps the tail of a chunk, a record's beginning, for the next chunk; `len` is its length if known. */
  private startCarry(chunk: Uint8Array, pos: number, base: number, len: number): void {
    const rest = chunk.length - pos;
    this.ensureCarry(Math.max(len, rest));
    this.carry.set(chunk.subarray(pos), 0);
    this.carryLen = rest;
    this.carryStart = base + pos;
    this.carryNeed = len;
  }

  /**
   * Completes the pending record from the front of `chunk`: first the bytes
   * that tell the format or the record's length, then the rest. Returns how
   * much of the chunk it used; `carryLen` stays > 0 when the chunk ran out.
   */
  private fillCarry(chunk: Uint8Array, start: number, base: number): number {
    let pos = start;
    if (this.carryLen === 0) this.carryStart = base + start;
    while (true) {
      const need = this.parser === undefined ? SNIFF_BYTES : this.carryNeed || this.parser.headerBytes;
      const take = Math.min(need - this.carryLen, chunk.length - pos);
      if (take > 0) {
        this.carry.set(chunk.subarray(pos, pos + take), this.carryLen);
        this.carryLen += take;
        pos += take;
      }
      if (this.carryLen < need) return pos;
      if (this.parser === undefined) {
        this.parser = this.createParser(this.carry);
      } else if (this.carryNeed === 0) {
        const len = this.parser.recordLength(this.carry, 0, this.carryStart);
        if (len === NEXT_CAPTURE) this.nextCapture(); // the carry holds the start of its header
        else this.ensureCarry((this.carryNeed = len));
      } else {
        const len = this.carryNeed;
        this.carryLen = 0;
        this.carryNeed = 0;
        this.deliver(this.carry, 0, len, this.carryStart);
        return pos;
      }
    }
  }

  private createParser(start: Uint8Array): RecordParser {
    switch (sniffFormat(start)) {
      case 'pcap':
        return new PcapParser(this.name, this.maxRecord);
      case 'pcapng':
        return new PcapngParser(this.name, this.maxRecord, this.maxBlock);
      default:
        throw new CaptureError('not-capture', this.name, 0, describeUnknownStart(start));
    }
  }

  /** Grows the carry buffer to hold `bytes`, keeping what it holds; `bytes` was checked against the cap. */
  private ensureCarry(bytes: number): void {
    if (bytes <= this.carry.length) return;
    let size = this.carry.length * 2;
    while (size < bytes) size *= 2;
    const cap = this.parser?.maxRecordBytes ?? bytes;
    const grown = new Uint8Array(Math.max(bytes, Math.min(size, cap)));
    grown.set(this.carry.subarray(0, this.carryLen));
    this.carry = grown;
  }
}

/** A bad file header after a capture was read is damage part-way, not an unusable input. */
function asDamage(error: CaptureError): CaptureError {
  return new CaptureError('corrupt', error.file, error.offset, error.reason);
}
