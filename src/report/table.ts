/**
 * The default `analyze` output: one readable row per connection, streamed as
 * lifecycles end, then the findings and a summary block. Rows are written in
 * batches: a write per row would be a system call per connection.
 */
import type { ConnectionSummary, FindingRecord, SummaryRecord } from '../records.js';

const BATCH_CHARS = 64 * 1024;

const COLUMNS = [
  ['id', 8],
  ['client', 24],
  ['server', 24],
  ['open', 10],
  ['close', 5],
  ['client state', 12],
  ['server state', 12],
  ['pkts', 6],
  ['dur s', 8],
  ['frames', 13],
] as const;

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function row(cells: string[]): string {
  return cells.map((cell, i) => pad(cell, COLUMNS[i]?.[1] ?? 0)).join(' ').trimEnd() + '\n';
}

export class TableWriter {
  private rows = 0;
  private pending = '';

  constructor(private readonly out: { write(text: string): unknown }) {}

  connection(c: ConnectionSummary): void {
    if (this.rows++ === 0) this.pending += row(COLUMNS.map(([name]) => name));
    const anomalies = c.anomalies.length ? '  ' + c.anomalies.map((a) => `${a.code}(${a.side})`).join(' ') : '';
    this.pending +=
      row([
        c.id,
        c.client,
        c.server,
        c.opening,
        c.closing,
        c.client_state,
        c.server_state,
        String(c.packets),
        (c.last_ts - c.first_ts).toFixed(3),
        `${c.first_frame}-${c.last_frame}`,
      ]).trimEnd() + anomalies + '\n';
    if (this.pending.length >= BATCH_CHARS) this.flush();
  }

  finding(f: FindingRecord): void {
    this.pending += `\n[${f.severity}] ${f.code} ${f.endpoint}: ${f.summary}\n`;
    for (const step of f.advice) this.pending += `  - ${step}\n`;
  }

  summary(s: SummaryRecord): void {
    const states = Object.entries(s.states_at_end)
      .map(([state, n]) => `${state} ${n}`)
      .join(', ');
    this.pending +=
      `\n${s.packets} packets, ${s.tcp_packets} TCP, ${s.connections} connections, ${s.findings} findings` +
      (states ? `\nendpoint states at end: ${states}` : '') +
      '\n';
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.out.write(this.pending);
    this.pending = '';
  }
}
