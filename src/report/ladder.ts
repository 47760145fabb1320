/** A ladder diagram in text: the two endpoints as columns, each segment an arrow, state changes where they happen. */
import type { ConnectionRecord } from '../records.js';

const WIDTH = 44;

export function ladderText(c: ConnectionRecord): string {
  const lines: string[] = [];
  const left = `client ${c.client}`;
  const right = `server ${c.server}`;
  lines.push(`${left.padEnd(WIDTH + 12)}${right}`);
  const segments = c.segments ?? [];
  const t0 = c.first_ts;
  for (const s of segments) {
    const label = `${s.flags} seq=${s.seq}${s.flags.includes('.') ? ` ack=${s.ack}` : ''}${s.len ? ` len=${s.len}` : ''}${s.retransmission ? ' (retx)' : ''}`;
    const body = label.length > WIDTH - 4 ? label.slice(0, WIDTH - 4) : label;
    const dash = '-'.repeat(Math.max(1, WIDTH - body.length - 2));
    const arrow = s.from === 'client' ? ` ${body} ${dash}>` : `<${dash} ${body} `;
    const changes = c.transitions.filter((t) => t.frame === s.frame);
    const leftState = changes.find((t) => t.side === 'client')?.to ?? '';
    const rightState = changes.find((t) => t.side === 'server')?.to ?? '';
    lines.push(`${`+${(s.ts - t0).toFixed(3)}`.padStart(9)} ${leftState.padEnd(11)}|${arrow}| ${rightState}   #${s.frame}`);
  }
  if ((c.segments?.length ?? 0) < c.packets) lines.push(`          ... ${c.packets - (c.segments?.length ?? 0)} more segment(s)`);
  for (const t of c.transitions.filter((t) => t.frame === undefined)) {
    lines.push(`${`+${(t.ts - t0).toFixed(3)}`.padStart(9)} ${t.side} ${t.from} -> ${t.to} (${t.cause})`);
  }
  return lines.join('\n');
}
