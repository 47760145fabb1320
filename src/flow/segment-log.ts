/**
 * The segments a ladder diagram draws: the first half of the kept number, the
 * handshake and what follows, and the last half, the close, with the count of
 * those left out between them. Numbers only, made into objects for the
 * record; the storage grows with the segments kept and stays with a recycled
 * lifecycle, so keeping segments allocates little per connection.
 */
import type { SegmentSummary } from '../records.js';

/** frame, ts, seq, ack, len, window, and flags | from client << 8 | retransmission << 9. */
const FIELDS = 7;
const FROM_CLIENT = 1 << 8;
const RETRANSMISSION = 1 << 9;

export class SegmentLog {
  private data: number[] = [];
  private headMax = 0;
  private tailMax = 0;
  /** Segments seen; the first headMax are kept in order, the last tailMax in a ring. */
  private seen = 0;
  /** The ring's oldest slot and how many it holds. */
  private ringStart = 0;
  private ringCount = 0;

  /** Empties the log for at most `max` segments (half from the start, half from the end). */
  reset(max: number): void {
    this.headMax = Math.ceil(max / 2);
    this.tailMax = max - this.headMax;
    this.seen = 0;
    this.ringStart = 0;
    this.ringCount = 0;
  }

  get length(): number {
    return this.seen;
  }

  add(frame: number, ts: number, seq: number, ack: number, len: number, window: number, flags: number, fromClient: boolean, retransmission: boolean): void {
    this.seen++;
    let slot: number;
    if (this.seen <= this.headMax) {
      slot = this.seen - 1;
    } else if (this.tailMax === 0) {
      return;
    } else if (this.ringCount < this.tailMax) {
      slot = this.headMax + ((this.ringStart + this.ringCount++) % this.tailMax);
    } else {
      slot = this.headMax + this.ringStart; // the oldest of the tail makes room
      this.ringStart = (this.ringStart + 1) % this.tailMax;
    }
    const d = this.data;
    let at = slot * FIELDS;
    // Slots fill in order, so the storage grows as segments come: a SYN left alone costs one, not the whole ladder.
    if (at === d.length) d.push(0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5);
    d[at++] = frame;
    d[at++] = ts;
    d[at++] = seq;
    d[at++] = ack;
    d[at++] = len;
    d[at++] = window;
    d[at] = flags | (fromClient ? FROM_CLIENT : 0) | (retransmission ? RETRANSMISSION : 0);
  }

  /** The kept segments in order; the first of the tail says how many were left out before it. */
  toSummaries(flagText: (flags: number) => string): SegmentSummary[] {
    const out: SegmentSummary[] = [];
    const head = Math.min(this.seen, this.headMax);
    for (let i = 0; i < head; i++) out.push(this.summary(i, flagText));
    for (let k = 0; k < this.ringCount; k++) {
      const s = this.summary(this.headMax + ((this.ringStart + k) % this.tailMax), flagText);
      if (k === 0 && this.seen > head + this.ringCount) s.skipped_before = this.seen - head - this.ringCount;
      out.push(s);
    }
    return out;
  }

  private summary(slot: number, flagText: (flags: number) => string): SegmentSummary {
    const d = this.data;
    const at = slot * FIELDS;
    const bits = d[at + 6]!;
    const s: SegmentSummary = {
      frame: d[at]!,
      ts: d[at + 1]!,
      from: bits & FROM_CLIENT ? 'client' : 'server',
      flags: flagText(bits & 255),
      seq: d[at + 2]!,
      ack: d[at + 3]!,
      len: d[at + 4]!,
      win: d[at + 5]!,
    };
    if (bits & RETRANSMISSION) s.retransmission = true;
    return s;
  }
}
