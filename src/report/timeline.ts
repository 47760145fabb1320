/**
 * Endpoints per state over the capture, for the report's chart: in each
 * interval, the most endpoints each state held at any moment of it, exactly
 * as the records' transitions say, in memory that does not grow with the
 * capture.
 *
 * A peak needs the changes in time order, but records leave when their
 * lifecycle ends, long after its first changes. So the timeline follows the
 * changes as they are made (`observe`, the pipeline's transition observer).
 * They come in the order the capture is read, but for TIME_WAIT's expiry,
 * which the tracker logs at its time once the lifecycle goes, after packets
 * read since. Changes wait in a short buffer and are applied in time order
 * once nothing earlier can come: up to the latest packet time less LAG
 * (capture time may step back a little between connections), and before the
 * expiry of any TIME_WAIT still open.
 *
 * Applied changes set the peaks of fine buckets of equal width from the
 * first change on. When the capture outgrows them, the width doubles and
 * neighbours merge (a peak of two buckets is the larger of theirs): the
 * chart's intervals, chosen at the end, are whole numbers of buckets, so
 * their peaks are exact whatever the capture's length. A moment's counts are
 * those after every change of its microsecond: a state held for no time is
 * not held.
 */
import { TCP_STATES, type TcpState } from '../state/states.js';
import { CAUSES } from '../state/transition-log.js';

const STATES = TCP_STATES.length;
const TIME_WAIT = TCP_STATES.indexOf('TIME_WAIT');
const EXPIRED = CAUSES.indexOf('TIME_WAIT expired');
/** States the chart draws: an endpoint's life, not its absence. */
export const CHARTED_STATES: readonly TcpState[] = TCP_STATES.filter((s) => s !== 'CLOSED' && s !== 'UNKNOWN');

/** Fine buckets kept; the chart's intervals are made of them. */
const BUCKETS = 1024;
/** Capture time that may step back before a change comes too late: one second, in microseconds. */
const LAG = 1_000_000;
/** Changes buffered before the timeline tries to apply some. */
const APPLY_EVERY = 4096;

const micros = (ts: number) => Math.round(ts * 1e6);

/** The chart: intervals from `start`, each `width` long, and per state the most endpoints it held in each. */
export interface Grid {
  /** Microseconds since the epoch of the first change, and the interval width in microseconds. */
  start: number;
  width: number;
  /** Interval start times, in seconds. */
  times: number[];
  /** Per state that held an endpoint, its peak in each interval. */
  peaks: Partial<Record<TcpState, number[]>>;
  /** States entered only for no measurable time (left within the same microsecond): nothing to draw. */
  fleeting: TcpState[];
  /** Changes that came after their interval was drawn (capture time stepped back more than a second): peaks from `lateFrom` on may be off by up to this many. */
  late: number;
  lateFrom: number | null;
}

/** A min-heap of numbers: the TIME_WAITs still open, by the microsecond they began (deleted lazily). */
class MinHeap {
  private readonly items: number[] = [];

  push(x: number): void {
    const a = this.items;
    let i = a.push(x) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= x) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = x;
  }

  peek(): number | undefined {
    return this.items[0];
  }

  pop(): void {
    const a = this.items;
    const last = a.pop()!;
    if (a.length === 0) return;
    let i = 0;
    while (true) {
      const l = 2 * i + 1;
      if (l >= a.length) break;
      const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
      if (a[c]! >= last) break;
      a[i] = a[c]!;
      i = c;
    }
    a[i] = last;
  }
}

export class StateTimeline {
  /** Microseconds since the epoch where bucket 0 starts: the first change applied. */
  private origin = NaN;
  private width = 1;
  private readonly peak = new Int32Array(BUCKETS * STATES).fill(-1);
  private readonly counts = new Int32Array(STATES);
  /** The bucket of the last change applied, and the time (microseconds) changes were applied up to. */
  private bucket = -1;
  private appliedUpTo = -Infinity;
  // Changes waiting, as parallel arrays: time in microseconds, and the states left and entered.
  private times = new Float64Array(APPLY_EVERY * 2);
  private codes = new Uint16Array(APPLY_EVERY * 2);
  private waiting = 0;
  /** The latest time of a change a packet made: none made later comes much earlier. */
  private now = -Infinity;
  /** TIME_WAITs still open (their expiry may still come, dated back), counted by the microsecond they began. */
  private readonly openTimeWaits = new Map<number, number>();
  private readonly timeWaitStarts = new MinHeap();
  private readonly timeWaitLength: number;
  private entered = 0;
  private late = 0;
  private lateFrom = Infinity;

  constructor(timeWait: number) {
    this.timeWaitLength = Math.round(timeWait * 1e6);
  }

  /** The capture's first packet: the chart starts there (else at the first change). */
  readonly start = (ts: number): void => {
    if (Number.isNaN(this.origin)) this.origin = micros(ts);
  };

  /** The pipeline's transition observer (see TransitionObserver). */
  readonly observe = (ts: number, code: number, since: number): void => {
    const t = micros(ts);
    const from = (code >> 1) & 15;
    const to = (code >> 5) & 15;
    this.entered |= 1 << to;
    if (to === TIME_WAIT) {
      this.openTimeWaits.set(t, (this.openTimeWaits.get(t) ?? 0) + 1);
      this.timeWaitStarts.push(t);
    }
    if (from === TIME_WAIT) {
      const began = micros(since);
      const n = this.openTimeWaits.get(began) ?? 0;
      if (n <= 1) this.openTimeWaits.delete(began);
      else this.openTimeWaits.set(began, n - 1);
    }
    if (((code >> 9) & 31) !== EXPIRED && t > this.now) this.now = t;
    if (t < this.appliedUpTo || t < this.origin) {
      // Drawn already: the counts are right from here on, the intervals since its time may be off by one.
      this.late++;
      this.lateFrom = Math.min(this.lateFrom, t);
      this.counts[from]!--;
      this.counts[to]!++;
      return;
    }
    if (this.waiting === this.times.length) this.grow();
    this.times[this.waiting] = t;
    this.codes[this.waiting++] = (from << 4) | to;
    if (this.waiting % APPLY_EVERY === 0) this.applyUntil(this.safeUntil());
  };

  /** Changes before this time can no longer come. */
  private safeUntil(): number {
    const heap = this.timeWaitStarts;
    for (let first = heap.peek(); first !== undefined && !this.openTimeWaits.has(first); first = heap.peek()) heap.pop();
    const first = heap.peek();
    // A TIME_WAIT's expiry is dated its length after it began (a microsecond of margin for rounding).
    return Math.min(this.now - LAG, first === undefined ? Infinity : first + this.timeWaitLength - 1);
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    times.set(this.times);
    this.times = times;
    const codes = new Uint16Array(this.codes.length * 2);
    codes.set(this.codes);
    this.codes = codes;
  }

  /** Applies, in time order, the waiting changes before `until`; the rest wait on. */
  private applyUntil(until: number): void {
    const n = this.waiting;
    const times = this.times;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => times[a]! - times[b]!);
    let i = 0;
    while (i < n && times[order[i]!]! < until) {
      const t = times[order[i]!]!;
      if (Number.isNaN(this.origin)) this.origin = t;
      this.enterBucketAt(t - this.origin);
      // Every change of one microsecond, then the peaks.
      for (; i < n && times[order[i]!] === t; i++) {
        const code = this.codes[order[i]!]!;
        this.counts[code >> 4]!--;
        this.counts[code & 15]!++;
      }
      this.raisePeaks(this.bucket);
      this.appliedUpTo = t + 1;
    }
    const keepTimes = order.slice(i).map((k) => times[k]!);
    const keepCodes = order.slice(i).map((k) => this.codes[k]!);
    this.times.set(keepTimes);
    this.codes.set(keepCodes);
    this.waiting = keepTimes.length;
  }

  /** Moves to the bucket holding `t` (microseconds from origin): buckets passed over held the counts throughout, and so did the new one until `t`. */
  private enterBucketAt(t: number): void {
    while (Math.floor(t / this.width) >= BUCKETS) this.coarsen();
    const b = Math.floor(t / this.width);
    if (b <= this.bucket) return;
    for (let k = this.bucket + 1; k < b; k++) this.raisePeaks(k);
    if (t > b * this.width) this.raisePeaks(b);
    this.bucket = b;
  }

  private raisePeaks(b: number): void {
    const at = b * STATES;
    for (let s = 0; s < STATES; s++) if (this.counts[s]! > this.peak[at + s]!) this.peak[at + s] = this.counts[s]!;
  }

  /** Doubles the bucket width: each pair of buckets becomes one, its peak the larger. */
  private coarsen(): void {
    const p = this.peak;
    for (let b = 0; b < BUCKETS / 2; b++) {
      for (let s = 0; s < STATES; s++) p[b * STATES + s] = Math.max(p[2 * b * STATES + s]!, p[(2 * b + 1) * STATES + s]!);
    }
    p.fill(-1, (BUCKETS / 2) * STATES);
    this.width *= 2;
    this.bucket = this.bucket < 0 ? -1 : Math.floor(this.bucket / 2);
  }

  /**
   * The chart in at most `maxIntervals` intervals from the first change to
   * `endTs`, the capture's end, up to which the states as they stood at the
   * end were held. Call it once every change was observed.
   */
  grid(endTs: number | null, maxIntervals: number): Grid {
    this.applyUntil(Infinity);
    if (Number.isNaN(this.origin)) return { start: 0, width: 0, times: [], peaks: {}, fleeting: [], late: this.late, lateFrom: null };
    const end = Math.max(endTs === null ? 0 : micros(endTs), this.appliedUpTo - 1) - this.origin;
    this.enterBucketAt(end);
    this.raisePeaks(this.bucket);
    const buckets = this.bucket + 1;
    const per = Math.ceil(buckets / maxIntervals);
    const intervals = Math.ceil(buckets / per);
    const peaks: Partial<Record<TcpState, number[]>> = {};
    const fleeting: TcpState[] = [];
    for (const state of CHARTED_STATES) {
      const s = TCP_STATES.indexOf(state);
      const values: number[] = [];
      for (let i = 0; i < intervals; i++) {
        let most = 0;
        for (let b = i * per; b < Math.min((i + 1) * per, buckets); b++) most = Math.max(most, this.peak[b * STATES + s]!);
        values.push(most);
      }
      if (values.some((v) => v > 0)) peaks[state] = values;
      else if (this.entered & (1 << s)) fleeting.push(state);
    }
    const width = per * this.width;
    return {
      start: this.origin,
      width,
      times: Array.from({ length: intervals }, (_, i) => (this.origin + i * width) / 1e6),
      peaks,
      fleeting,
      late: this.late,
      lateFrom: this.late > 0 ? this.lateFrom / 1e6 : null,
    };
  }
}
