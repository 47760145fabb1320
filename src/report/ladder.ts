/** A ladder diagram in text: the two endpoints as columns, each segment an arrow, state changes where they happen. */
import type { ConnectionRecord } from '../records.js';

const WIDTH = 44;

/** State changes at frames after `after` and before `before`: those of segments a ladder leaves out. */
export function changesBetween(c: ConnectionRecord, after: number, before: number): string {
  return c.transitions
    .filter((t) => t.frame !== undefined && t.frame > after && t.frame < before)
    .map((t) => `${t.side} ${t.to} at #${t.frame}`)
    .join(', ');
}

export function ladderText(c: ConnectionRecord): string {
  const lines: string[] = [];
  const left = `client ${c.client}`;
  const right = `server ${c.server}`;
  lines.push(`${left.padEnd(WIDTH + 12)}${right}`);
  const segments = c.segments ?? [];
  const t0 = c.first_ts;
  // Changes no segment caused (timers, inferred moves) stand where they happened in time.
  const timed = c.transitions.filter((t) => t.frame === undefined);
  const timedLine = (t: (typeof timed)[number]) => `${`+${(t.ts - t0).toFixed(3)}`.padStart(9)} ${t.side} ${t.from} -> ${t.to} (${t.cause}${t.inferred ? ', inferred' : ''})`;
  segments.forEach((s, i) => {
    while (timed.length > 0 && timed[0]!.ts <= s.ts) lines.push(timedLine(timed.shift()!));
    if (s.skipped_before) {
      const changes = changesBetween(c, segments[i - 1]?.frame ?? 0, s.frame);
      lines.push(`          ... ${s.skipped_before} segment(s)${changes ? `; ${changes}` : ''} ...`);
    }
    const label = `${s.flags} seq=${s.seq}${s.flags.includes('.') ? ` ack=${s.ack}` : ''}${s.len ? ` len=${s.len}` : ''}${s.retransmission ? ' (retx)' : ''}`;
    const body = label.length > WIDTH - 4 ? label.slice(0, WIDTH - 4) : label;
    const dash = '-'.repeat(Math.max(1, WIDTH - body.length - 2));
    const arrow = s.from === 'client' ? ` ${body} ${dash}>` : `<${dash} ${body} `;
    const changes = c.transitions.filter((t) => t.frame === s.frame);
    const leftState = changes.findLast((t) => t.side === 'client')?.to ?? '';
    const rightState = changes.findLast((t) => t.side === 'server')?.to ?? '';
    lines.push(`${`+${(s.ts - t0).toFixed(3)}`.padStart(9)} ${leftState.padEnd(11)}|${arrow}| ${rightState}   #${s.frame}`);
  });
  for (const t of timed) lines.push(timedLine(t));
  return lines.join('\n');
}
