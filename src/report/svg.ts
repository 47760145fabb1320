/**
 * The HTML report's drawings, as inline SVG at their natural size (a phone
 * scrolls them sideways instead of shrinking their text): the state chart,
 * each state a line told apart by its dash and marker as well as its colour
 * (the Okabe-Ito palette, safe for colour-blind readers), with ticks on both
 * axes; and a connection's ladder, with a time column and its labels above
 * the arrows.
 */
import type { ConnectionRecord } from '../records.js';
import type { TcpState } from '../state/states.js';
import { clockTime, esc, seconds } from './format.js';
import { afterLastPacket, ladderRows } from './ladder.js';
import type { Grid } from './timeline.js';

type Marker = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'plus' | 'ring' | 'down' | 'bar';

/** Each state's line, the same in every report. */
export const LINE_STYLE: Record<Exclude<TcpState, 'CLOSED' | 'UNKNOWN'>, { color: string; dash: string; marker: Marker }> = {
  ESTABLISHED: { color: '#009E73', dash: '', marker: 'circle' },
  SYN_SENT: { color: '#0072B2', dash: '7 3', marker: 'square' },
  SYN_RECV: { color: '#56B4E9', dash: '2 3', marker: 'triangle' },
  FIN_WAIT1: { color: '#E69F00', dash: '9 3 2 3', marker: 'diamond' },
  FIN_WAIT2: { color: '#D55E00', dash: '4 4', marker: 'cross' },
  CLOSING: { color: '#000000', dash: '1 3', marker: 'plus' },
  TIME_WAIT: { color: '#7f7f7f', dash: '12 3', marker: 'ring' },
  CLOSE_WAIT: { color: '#CC79A7', dash: '', marker: 'down' },
  LAST_ACK: { color: '#882255', dash: '3 2 1 2', marker: 'bar' },
};

function marker(shape: Marker, x: number, y: number, color: string): string {
  const p = (d: string) => `<path d="${d}" fill="${color}" stroke="${color}"/>`;
  const open = (d: string) => `<path d="${d}" fill="#fff" stroke="${color}" stroke-width="1.5"/>`;
  const r = 3.5;
  switch (shape) {
    case 'circle': return `<circle cx="${x}" cy="${y}" r="${r}" fill="${color}"/>`;
    case 'ring': return `<circle cx="${x}" cy="${y}" r="${r}" fill="#fff" stroke="${color}" stroke-width="1.5"/>`;
    case 'square': return p(`M${x - r},${y - r}h${2 * r}v${2 * r}h${-2 * r}z`);
    case 'triangle': return p(`M${x},${y - r - 1}L${x + r + 1},${y + r}L${x - r - 1},${y + r}z`);
    case 'down': return open(`M${x},${y + r + 1}L${x + r + 1},${y - r}L${x - r - 1},${y - r}z`);
    case 'diamond': return p(`M${x},${y - r - 1}L${x + r + 1},${y}L${x},${y + r + 1}L${x - r - 1},${y}z`);
    case 'cross': return `<path d="M${x - r},${y - r}L${x + r},${y + r}M${x - r},${y + r}L${x + r},${y - r}" stroke="${color}" stroke-width="2"/>`;
    case 'plus': return `<path d="M${x - r - 1},${y}h${2 * r + 2}M${x},${y - r - 1}v${2 * r + 2}" stroke="${color}" stroke-width="2"/>`;
    case 'bar': return open(`M${x - r},${y - r}h${2 * r}v${2 * r}h${-2 * r}z`);
  }
}

/** The line of a state as the legend shows it: a short stretch of it with its marker. */
export function legendSample(state: keyof typeof LINE_STYLE): string {
  const s = LINE_STYLE[state];
  return `<svg width="36" height="12" aria-hidden="true"><line x1="0" y1="6" x2="36" y2="6" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>${marker(s.marker, 18, 6, s.color)}</svg>`;
}

/** 0 and round steps up to at least `max`: 1, 2 or 5 times a power of ten. */
function ticks(max: number): number[] {
  const rough = Math.max(max, 1) / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!);
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(v);
  return out;
}

export function chartSvg(grid: Grid): string {
  const n = grid.times.length;
  const states = Object.keys(grid.peaks) as (keyof typeof LINE_STYLE)[];
  if (n === 0 || states.length === 0) return '<p>No endpoint held a state.</p>';
  const w = 760, h = 270, left = 50, right = 16, top = 12, bottom = 40;
  const yTicks = ticks(Math.max(...states.flatMap((s) => grid.peaks[s]!)));
  const ceiling = yTicks.at(-1)!;
  // Each interval's peak stands at the interval's middle.
  const x = (i: number) => left + ((w - left - right) * (i + 0.5)) / n;
  const y = (v: number) => h - bottom - ((h - top - bottom) * v) / ceiling;
  const out: string[] = [];
  for (const v of yTicks) {
    out.push(`<line x1="${left}" y1="${y(v)}" x2="${w - right}" y2="${y(v)}" stroke="#e9ecef"/><line x1="${left - 5}" y1="${y(v)}" x2="${left}" y2="${y(v)}" stroke="#495057"/><text x="${left - 8}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
  }
  const span = (grid.width * n) / 1e6;
  const xTicks = Math.min(n, 6);
  for (let k = 0; k < xTicks; k++) {
    const i = Math.round((k * (n - 1)) / Math.max(1, xTicks - 1));
    const at = left + ((w - left - right) * i) / n;
    out.push(`<line x1="${at}" y1="${h - bottom}" x2="${at}" y2="${h - bottom + 5}" stroke="#495057"/><text x="${at}" y="${h - bottom + 18}" text-anchor="${k === 0 ? 'start' : k === xTicks - 1 ? 'end' : 'middle'}">${esc(clockTime(grid.times[i]!, span))}</text>`);
  }
  out.push(`<line x1="${left}" y1="${h - bottom}" x2="${w - right}" y2="${h - bottom}" stroke="#495057"/><line x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}" stroke="#495057"/>`);
  out.push(`<text x="${w - right}" y="${h - 4}" text-anchor="end">UTC, intervals of ${esc(seconds(grid.width / 1e6))}</text>`);
  const every = Math.max(1, Math.ceil(n / 12));
  for (const [k, state] of states.entries()) {
    const style = LINE_STYLE[state];
    const values = grid.peaks[state]!;
    const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    // Markers staggered between states, so they do not sit on one another where lines meet.
    const marks = values.map((v, i) => ((i + k) % every === 0 ? marker(style.marker, +x(i).toFixed(1), +y(v).toFixed(1), style.color) : '')).join('');
    out.push(`<g><title>${state}, at most ${Math.max(...values)}</title><polyline fill="none" stroke="${style.color}" stroke-width="2" stroke-dasharray="${style.dash}" points="${points}"/>${marks}</g>`);
  }
  return `<svg class="chart" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="endpoints per state over time">${out.join('')}</svg>`;
}


/** A connection's ladder: time column, client and server lines, each segment an arrow under its label. */
export function ladderSvg(c: ConnectionRecord, captureEnd: number | null): string {
  const rows = ladderRows(c);
  const rowH = 30, timeX = 92, lx = 250, rx = 590, w = 760;
  const t0 = c.first_ts;
  const out: string[] = [];
  const id = c.id;
  let y = 44;
  for (const row of rows) {
    if (row.kind === 'gap') {
      out.push(`<text x="${(lx + rx) / 2}" y="${y + 18}" text-anchor="middle" class="gap">⋯ ${row.skipped} segment(s) left out ⋯${row.changes ? ` ${esc(row.changes)}` : ''}</text>`);
    } else if (row.kind === 'change') {
      const t = row.transition;
      out.push(`<text x="${timeX}" y="${y + 18}" text-anchor="end" class="time">+${(row.at - t0).toFixed(6)}</text><text x="${(lx + rx) / 2}" y="${y + 18}" text-anchor="middle" class="change">${t.side} ${t.from} → ${t.to} (${esc(t.cause)}${t.inferred ? ', inferred' : ''})</text>`);
    } else {
      const s = row.segment;
      const [x1, x2] = s.from === 'client' ? [lx, rx] : [rx, lx];
      out.push(
        `<text x="${timeX}" y="${y + 18}" text-anchor="end" class="time">+${(row.at - t0).toFixed(6)}</text>` +
          `<text x="${(lx + rx) / 2}" y="${y + 11}" text-anchor="middle" class="label">${esc(row.label)} <tspan class="frame">#${s.frame}</tspan></text>` +
          `<line x1="${x1}" y1="${y + 17}" x2="${x2}" y2="${y + 25}" class="${s.retransmission ? 'arrow retx' : 'arrow'}" marker-end="url(#arrow-${id})"/>` +
          (row.client ? `<text x="${lx - 8}" y="${y + 24}" text-anchor="end" class="state">${row.client}</text>` : '') +
          (row.server ? `<text x="${rx + 8}" y="${y + 24}" class="state">${row.server}</text>` : ''),
      );
    }
    y += rowH;
  }
  const tail = y;
  y += rowH;
  out.push(`<line x1="${lx}" y1="${tail}" x2="${lx}" y2="${y}" class="after"/><line x1="${rx}" y1="${tail}" x2="${rx}" y2="${y}" class="after"/>`);
  out.push(`<text x="${(lx + rx) / 2}" y="${y + 14}" text-anchor="middle" class="change">${esc(afterLastPacket(c, captureEnd))}</text>`);
  const h = y + 26;
  return (
    `<svg class="ladder" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="ladder diagram of ${esc(id)}">` +
    `<defs><marker id="arrow-${esc(id)}" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#343a40"/></marker></defs>` +
    `<text x="${timeX}" y="20" text-anchor="end" class="head">time (s)</text><text x="${lx}" y="20" text-anchor="middle" class="head">client ${esc(c.client)}</text><text x="${rx}" y="20" text-anchor="middle" class="head">server ${esc(c.server)}</text>` +
    `<line x1="${lx}" y1="28" x2="${lx}" y2="${tail}" class="life"/><line x1="${rx}" y1="28" x2="${rx}" y2="${tail}" class="life"/>` +
    out.join('') +
    `</svg>`
  );
}
