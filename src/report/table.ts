/**
 * The default `analyze` output: one readable row per connection, in the
 * order of their first frames, then the findings and a summary block.
 *
 * Records leave as lifecycles end, not in the order they began, so rows wait
 * until every connection that began earlier has ended: the table follows
 * which lifecycles are live (`seen`, told of each packet and its
 * lifecycle), and writes the rows before the oldest one still open. A
 * connection open while more than MAX_WAITING later ones end is written
 * when it ends, and the rows behind it go out without it: memory stays
 * bounded. Columns are as wide as their widest cell so far; when a row needs
 * more (an IPv6 endpoint after IPv4 ones), the header is written again.
 */
import type { Frame } from '../capture/frame.js';
import type { ConnectionSummary, FindingRecord, SummaryRecord } from '../records.js';
import { bytes, expertEvents, handshakeOptions, seconds } from './format.js';
import { captureLoss, capturePoint } from './capture-point.js';

/** Each side's Expert Info events: "retx 2 | dup ack 1", "-" when none. */
function events(c: ConnectionSummary): string {
  const client = expertEvents(c.client_analysis);
  const server = expertEvents(c.server_analysis);
  return client || server ? `${client || '-'} | ${server || '-'}` : '-';
}

const BATCH_CHARS = 64 * 1024;
/** Rows held back for an older connection still open, at most. */
const MAX_WAITING = 100_000;

const HEADER = ['id', 'client', 'server', 'open', 'close', 'conn_state', 'client state', 'server state', 'pkts c/s', 'bytes c/s', 'duration', 'handshake', 'options', 'frames', 'events c | s', 'anomalies'];
/** Room from the start for what most captures hold: ids and frames of millions, IPv4 endpoints, states, sizes. */
const MIN_WIDTHS = [8, 21, 21, 10, 5, 10, 12, 12, 9, 15, 9, 9, 22, 15, 12, 0];

interface Row {
  frame: number;
  cells: string[];
}

/** A min-heap of rows by first frame. */
class RowHeap {
  private readonly rows: Row[] = [];

  get size(): number {
    return this.rows.length;
  }

  peek(): Row | undefined {
    return this.rows[0];
  }

  push(row: Row): void {
    const a = this.rows;
    let i = a.push(row) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.frame <= row.frame) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = row;
  }

  pop(): Row {
    const a = this.rows;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1]!.frame < a[l]!.frame ? l + 1 : l;
        if (a[c]!.frame >= last.frame) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

export class TableWriter {
  private readonly widths = HEADER.map((h, i) => Math.max(h.length, MIN_WIDTHS[i]!));
  private headerWritten = false;
  private pending = '';
  private readonly waiting = new RowHeap();
  /** Lifecycles by first frame, in the order they began; those ended are dropped from the front. */
  private readonly begun: number[] = [];
  private head = 0;
  private readonly ended = new Set<number>();

  constructor(private readonly out: { write(text: string): unknown }) {}

  /** The pipeline's packet hook: a lifecycle's first packet makes it live. */
  readonly seen = (frame: Frame, lifecycleId: number): void => {
    if (lifecycleId === frame.frameNo) this.begun.push(lifecycleId);
  };

  connection(c: ConnectionSummary): void {
    this.ended.add(c.first_frame);
    const anomalies = [...new Set(c.anomalies.map((a) => `${a.code}(${a.side})`))].join(' ');
    this.waiting.push({
      frame: c.first_frame,
      cells: [
        c.id,
        c.client,
        c.server,
        c.opening,
        c.closing,
        c.conn_state,
        c.client_state,
        c.server_state,
        `${c.client_packets}/${c.server_packets}`,
        `${bytes(c.orig_bytes)}/${bytes(c.resp_bytes)}`,
        seconds(c.duration),
        c.handshake_rtt === null ? '-' : seconds(c.handshake_rtt),
        handshakeOptions(c),
        `${c.first_frame}-${c.last_frame}`,
        events(c),
        anomalies,
      ],
    });
    this.release(false);
  }

  /** Writes the rows no open connection comes before (all of them at the end). */
  private release(all: boolean): void {
    const begun = this.begun;
    for (;;) {
      while (this.head < begun.length && this.ended.has(begun[this.head]!)) this.ended.delete(begun[this.head++]!);
      // Too many rows behind the oldest open connection: it will be written when it ends, out of order.
      if (this.waiting.size > MAX_WAITING && this.head < begun.length) this.head++;
      else break;
    }
    if (this.head > 4096 && this.head * 2 > begun.length) {
      begun.splice(0, this.head);
      this.head = 0;
    }
    const oldestOpen = all ? Infinity : (begun[this.head] ?? Infinity);
    const rows: Row[] = [];
    while (this.waiting.size > 0 && this.waiting.peek()!.frame < oldestOpen) rows.push(this.waiting.pop());
    if (rows.length > 0) this.write(rows);
  }

  private write(rows: Row[]): void {
    let wider = !this.headerWritten;
    for (const row of rows) {
      row.cells.forEach((cell, i) => {
        if (i < HEADER.length - 1 && cell.length > this.widths[i]!) {
          this.widths[i] = cell.length;
          wider = true;
        }
      });
    }
    if (wider) {
      this.pending += (this.headerWritten ? '\n' : '') + this.line(HEADER);
      this.headerWritten = true;
    }
    for (const row of rows) {
      this.pending += this.line(row.cells);
      if (this.pending.length >= BATCH_CHARS) this.flushPending();
    }
  }

  private line(cells: string[]): string {
    return cells.map((cell, i) => (i < HEADER.length - 1 ? cell.padEnd(this.widths[i]!) : cell)).join('  ').trimEnd() + '\n';
  }

  finding(f: FindingRecord): void {
    this.release(true);
    this.pending += `\n[${f.severity}] ${f.code} ${f.endpoint}: ${f.summary}\n`;
    for (const step of f.advice) this.pending += `  - ${step}\n`;
  }

  summary(s: SummaryRecord): void {
    this.release(true);
    const states = Object.entries(s.states_at_end)
      .map(([state, n]) => `${state} ${n}`)
      .join(', ');
    this.pending +=
      `\n${s.packets} packets, ${s.tcp_packets} TCP, ${s.connections} connections, ${s.findings} findings` +
      (states ? `\nendpoint states at end: ${states}` : '') +
      `\ncapture point: ${capturePoint(s)}\nloss in the capture: ${captureLoss(s)}` +
      '\n';
  }

  /** Writes what is ready: on live input every quarter second, the rows no open connection comes before. */
  flush(): void {
    this.flushPending();
  }

  private flushPending(): void {
    if (this.pending.length === 0) return;
    this.out.write(this.pending);
    this.pending = '';
  }
}
