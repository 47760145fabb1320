/**
 * A connection's ladder: its kept segments in time order, each with the
 * state changes it caused, the changes no segment caused (timers, inferred
 * moves) where they happened in time, and what each side was left in after
 * the last packet and for how long. The text ladder is drawn here; the HTML
 * one (svg.ts) walks the same rows.
 */
import type { ConnectionRecord, SegmentSummary, Transition } from '../records.js';
import { seconds } from './format.js';

const WIDTH = 44;

/** A row of a ladder: a segment, a gap of segments left out, or a change no segment caused. */
export type LadderRow =
  | { kind: 'segment'; at: number; segment: SegmentSummary; label: string; client: string; server: string }
  | { kind: 'gap'; skipped: number; changes: string }
  | { kind: 'change'; at: number; transition: Transition };

/** State changes at frames after `after` and before `before`: those of segments a ladder leaves out. */
export function changesBetween(c: ConnectionRecord, after: number, before: number): string {
  return c.transitions
    .filter((t) => t.frame !== undefined && t.frame > after && t.frame < before)
    .map((t) => `${t.side} ${t.to} at #${t.frame}`)
    .join(', ');
}

/** A segment as tcpdump writes it, relative sequence numbers. */
export function segmentLabel(s: SegmentSummary): string {
  return `${s.flags} seq=${s.seq}${s.flags.includes('.') ? ` ack=${s.ack}` : ''}${s.len ? ` len=${s.len}` : ''} win=${s.win}${s.retransmission ? ' (retx)' : ''}`;
}

export function ladderRows(c: ConnectionRecord): LadderRow[] {
  const rows: LadderRow[] = [];
  const segments = c.segments ?? [];
  const timed = c.transitions.filter((t) => t.frame === undefined);
  let next = 0;
  segments.forEach((s, i) => {
    while (next < timed.length && timed[next]!.ts <= s.ts) rows.push({ kind: 'change', at: timed[next]!.ts, transition: timed[next++]! });
    if (s.skipped_before) rows.push({ kind: 'gap', skipped: s.skipped_before, changes: changesBetween(c, segments[i - 1]?.frame ?? 0, s.frame) });
    const changes = c.transitions.filter((t) => t.frame === s.frame);
    rows.push({
      kind: 'segment',
      at: s.ts,
      segment: s,
      label: segmentLabel(s),
      client: changes.findLast((t) => t.side === 'client')?.to ?? '',
      server: changes.findLast((t) => t.side === 'server')?.to ?? '',
    });
  });
  for (; next < timed.length; next++) rows.push({ kind: 'change', at: timed[next]!.ts, transition: timed[next]! });
  return rows;
}

/** The states each side was left in, how long each lasted to the end of the capture, and how long the capture ran on after the last packet. */
export function afterLastPacket(c: ConnectionRecord, captureEnd: number | null): string {
  const end = Math.max(captureEnd ?? c.last_ts, c.last_ts);
  const held = (side: 'client' | 'server') => {
    const since = c.transitions.findLast((t) => t.side === side)?.ts ?? c.first_ts;
    return `${side} ${side === 'client' ? c.client_state : c.server_state} for ${seconds(Math.max(0, end - since))}`;
  };
  return `the capture ends ${seconds(end - c.last_ts)} after the last packet: ${held('client')}, ${held('server')}`;
}

const offset = (t: number, t0: number) => `+${(t - t0).toFixed(6)}`.padStart(13);

export function ladderText(c: ConnectionRecord, captureEnd: number | null = null): string {
  const lines: string[] = [];
  lines.push(`${' '.repeat(14)}${`client ${c.client}`.padEnd(WIDTH + 14)}server ${c.server}`);
  const t0 = c.first_ts;
  for (const row of ladderRows(c)) {
    if (row.kind === 'gap') {
      lines.push(`${' '.repeat(14)}... ${row.skipped} segment(s)${row.changes ? `; ${row.changes}` : ''} ...`);
    } else if (row.kind === 'change') {
      const t = row.transition;
      lines.push(`${offset(row.at, t0)} ${t.side} ${t.from} -> ${t.to} (${t.cause}${t.inferred ? ', inferred' : ''})`);
    } else {
      const label = row.label.length > WIDTH - 4 ? row.label.slice(0, WIDTH - 4) : row.label;
      const dash = '-'.repeat(Math.max(1, WIDTH - label.length - 2));
      const arrow = row.segment.from === 'client' ? ` ${label} ${dash}>` : `<${dash} ${label} `;
      lines.push(`${offset(row.at, t0)} ${row.client.padEnd(11)}|${arrow}| ${row.server.padEnd(11)} #${row.segment.frame}`);
    }
  }
  lines.push(`${' '.repeat(14)}${afterLastPacket(c, captureEnd)}`);
  return lines.join('\n');
}
