/** The incident report in text, Markdown and HTML: findings first, then the evidence. */
import type { ConnectionRecord } from '../records.js';
import { changesBetween, ladderText } from './ladder.js';
import type { ReportModel } from './model.js';
import { StatesAt } from './states-at.js';

const iso = (t: number | null) => (t === null ? '-' : new Date(t * 1000).toISOString());
const SPARK = ' ▁▂▃▄▅▆▇█';

/** "ESTABLISHED 60 (60 inferred)": how many end states no packet of the endpoint itself proved. */
function statesAtEnd(model: ReportModel): string[] {
  return Object.entries(model.summary.states_at_end).map(([s, n]) => {
    const inferred = model.inferredAtEnd[s as keyof ReportModel['inferredAtEnd']] ?? 0;
    return inferred > 0 ? `${s} ${n} (${inferred} inferred)` : `${s} ${n}`;
  });
}

function color(on: boolean, code: string, text: string): string {
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}

export function renderText(model: ReportModel, useColor: boolean): string {
  const s = model.summary;
  const out: string[] = [];
  out.push(color(useColor, '1', 'TCP lifecycle report'), `capture ${s.files.join(', ')}: ${iso(s.first_ts)} to ${iso(s.last_ts)}`, `${s.packets} packets, ${s.tcp_packets} TCP, ${s.connections} connections`, '');
  out.push(color(useColor, '1', `Findings (${model.findings.length})`));
  if (model.findings.length === 0) out.push('  none: no connection problem found');
  for (const f of model.findings) {
    const sev = color(useColor, f.severity === 'critical' ? '31;1' : f.severity === 'warning' ? '33;1' : '36', f.severity.toUpperCase());
    out.push(`  ${sev} ${f.code} on ${f.endpoint}`, `    ${f.summary}`);
    out.push(`    examples: ${f.examples.map((e) => `${e.id} (frames ${e.first_frame}-${e.last_frame})`).join(', ')}`);
    for (const a of f.advice) out.push(`    - ${a}`);
  }
  out.push('', color(useColor, '1', 'Overview'));
  out.push(`  openings: ${fmt(model.openings)}`, `  closings: ${fmt(model.closings)}`, `  endpoint states at end: ${statesAtEnd(model).join(', ') || 'none'}`);
  out.push(`  top servers by packets: ${model.talkers.map(([e, n]) => `${e} (${n})`).join(', ')}`);
  out.push('', color(useColor, '1', 'Endpoints per state over the capture (the most at any moment of each interval)'));
  for (const [state, values] of Object.entries(model.timeline.counts)) {
    const max = Math.max(...values!, 1);
    out.push(`  ${state.padEnd(12)} ${values!.map((v) => SPARK[Math.round((v / max) * 8)]).join('')} max ${max}`);
  }
  out.push('', color(useColor, '1', `Flagged connections (${model.flagged.length} of ${model.flaggedTotal} shown)`));
  for (const c of model.flagged) {
    out.push('', `${c.id} ${c.client} -> ${c.server}: ${c.opening}/${c.closing}, client ${c.client_state}, server ${c.server_state}, frames ${c.first_frame}-${c.last_frame}`);
    for (const a of c.anomalies) out.push(`  ${a.code} (${a.side}): ${a.detail}`);
    out.push(ladderText(c).replace(/^/gm, '  '));
  }
  return out.join('\n') + '\n';
}

function fmt(counts: Record<string, number>): string {
  return Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

export function renderMarkdown(model: ReportModel): string {
  const s = model.summary;
  const out: string[] = ['# TCP lifecycle report', '', `Capture ${s.files.map((f) => `\`${f}\``).join(', ')}: ${iso(s.first_ts)} to ${iso(s.last_ts)}; ${s.packets} packets, ${s.tcp_packets} TCP, ${s.connections} connections.`, '', `## Findings (${model.findings.length})`, ''];
  if (model.findings.length === 0) out.push('No connection problem found.');
  for (const f of model.findings) {
    out.push(`### ${f.severity.toUpperCase()}: \`${f.code}\` on \`${f.endpoint}\``, '', f.summary, '', `Examples: ${f.examples.map((e) => `${e.id} (frames ${e.first_frame}-${e.last_frame})`).join(', ')}`, '', 'What to do:', '', ...f.advice.map((a) => `- ${a}`), '');
  }
  out.push('## Overview', '', '| | |', '|---|---|', `| openings | ${fmt(model.openings)} |`, `| closings | ${fmt(model.closings)} |`, `| endpoint states at end | ${statesAtEnd(model).join(', ') || 'none'} |`, `| top servers by packets | ${model.talkers.map(([e, n]) => `${e} (${n})`).join(', ')} |`, '');
  out.push('## Endpoints per state over the capture (the most at any moment of each interval)', '', '```');
  for (const [state, values] of Object.entries(model.timeline.counts)) {
    const max = Math.max(...values!, 1);
    out.push(`${state.padEnd(12)} ${values!.map((v) => SPARK[Math.round((v / max) * 8)]).join('')} max ${max}`);
  }
  out.push('```', '', `## Flagged connections (${model.flagged.length} of ${model.flaggedTotal} shown)`);
  for (const c of model.flagged) {
    out.push('', `### ${c.id}: ${c.client} → ${c.server}`, '', `${c.opening}/${c.closing}; client ${c.client_state}, server ${c.server_state}; frames ${c.first_frame}-${c.last_frame}`, '', ...c.anomalies.map((a) => `- \`${a.code}\` (${a.side}): ${a.detail}`), '', '```', ladderText(c), '```');
  }
  return out.join('\n') + '\n';
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** Advice and summaries, escaped, with `code` spans as code. */
const prose = (t: string) => esc(t).replace(/`([^`]+)`/g, '<code>$1</code>');
const clock = (t: number) => new Date(t * 1000).toISOString().slice(11, 19);
const PALETTE: Record<string, string> = { ESTABLISHED: '#2b8a3e', SYN_SENT: '#1971c2', SYN_RECV: '#4dabf7', FIN_WAIT1: '#f08c00', FIN_WAIT2: '#e8590c', CLOSE_WAIT: '#c92a2a', LAST_ACK: '#862e9c', CLOSING: '#5f3dc4', TIME_WAIT: '#868e96', UNKNOWN: '#adb5bd' };

function chartSvg(model: ReportModel): string {
  const w = 720, h = 220, pad = 30;
  const series = Object.entries(model.timeline.counts);
  const max = Math.max(1, ...series.flatMap(([, v]) => v!));
  const points = model.timeline.times.length;
  const x = (i: number) => pad + ((w - 2 * pad) * i) / Math.max(1, points - 1);
  const y = (v: number) => h - pad - ((h - 2 * pad) * v) / max;
  const lines = series.map(([state, values]) => `<polyline fill="none" stroke="${PALETTE[state] ?? '#000'}" stroke-width="2" points="${values!.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"><title>${state}</title></polyline>`);
  // The legend is HTML, not SVG text: it wraps on a narrow screen instead of running off the chart.
  const legend = series.map(([state]) => `<li><span style="background:${PALETTE[state] ?? '#000'}"></span>${state}</li>`);
  const times = model.timeline.times;
  const axis = times.length ? `<text x="${pad}" y="${h - pad + 16}" font-size="10">${clock(times[0]!)}</text><text x="${w - pad}" y="${h - pad + 16}" font-size="10" text-anchor="end">${clock(times.at(-1)!)} UTC</text>` : '';
  return `<ul class="legend">${legend.join('')}</ul><svg class="chart" viewBox="0 0 ${w} ${h}" role="img" aria-label="endpoints per state over time"><line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#999"/><text x="2" y="${pad + 4}" font-size="10">${max}</text><text x="2" y="${h - pad}" font-size="10">0</text>${axis}${lines.join('')}</svg>`;
}

function ladderSvg(c: ConnectionRecord): string {
  const segs = c.segments ?? [];
  const rowH = 26, w = 640, lx = 150, rx = 490;
  const rows: string[] = [];
  let y = 40;
  segs.forEach((s, i) => {
    if (s.skipped_before) {
      const changes = changesBetween(c, segs[i - 1]?.frame ?? 0, s.frame);
      rows.push(`<text x="${(lx + rx) / 2}" y="${y + 14}" font-size="11" text-anchor="middle" fill="#868e96">⋯ ${s.skipped_before} segment(s) ⋯${changes ? ` ${esc(changes)}` : ''}</text>`);
      y += rowH;
    }
    const [x1, x2] = s.from === 'client' ? [lx, rx] : [rx, lx];
    const label = `${s.flags} seq=${s.seq}${s.flags.includes('.') ? ` ack=${s.ack}` : ''}${s.len ? ` len=${s.len}` : ''}`;
    const states = c.transitions.filter((t) => t.frame === s.frame);
    const left = states.findLast((t) => t.side === 'client')?.to ?? '';
    const right = states.findLast((t) => t.side === 'server')?.to ?? '';
    rows.push(`<line x1="${x1}" y1="${y}" x2="${x2}" y2="${y + rowH - 8}" stroke="${s.retransmission ? '#c92a2a' : '#333'}" marker-end="url(#arrow)"/><text x="${(lx + rx) / 2}" y="${y + 8}" font-size="11" text-anchor="middle">${esc(label)} #${s.frame}</text><text x="${lx - 8}" y="${y + rowH - 6}" font-size="10" text-anchor="end" fill="#1971c2">${left}</text><text x="${rx + 8}" y="${y + rowH - 6}" font-size="10" fill="#1971c2">${right}</text>`);
    y += rowH;
  });
  const h = y + 10;
  return `<svg class="ladder" viewBox="0 0 ${w} ${h}" role="img" aria-label="ladder diagram of ${c.id}"><defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#333"/></marker></defs><text x="${lx}" y="18" font-size="12" text-anchor="middle">client ${esc(c.client)}</text><text x="${rx}" y="18" font-size="12" text-anchor="middle">server ${esc(c.server)}</text><line x1="${lx}" y1="26" x2="${lx}" y2="${h}" stroke="#aaa"/><line x1="${rx}" y1="26" x2="${rx}" y2="${h}" stroke="#aaa"/>${rows.join('')}</svg>`;
}

export function renderHtml(model: ReportModel): string {
  const s = model.summary;
  const findings = model.findings.map((f) => `<section class="finding ${f.severity}"><h3><span class="sev">${f.severity}</span> <code>${f.code}</code> on <code>${esc(f.endpoint)}</code></h3><p>${prose(f.summary)}</p><p class="ex">Examples: ${f.examples.map((e) => `${esc(e.id)} (frames ${e.first_frame}-${e.last_frame})`).join(', ')}</p><ul>${f.advice.map((a) => `<li>${prose(a)}</li>`).join('')}</ul></section>`);
  const flagged = model.flagged.map((c) => `<section class="conn"><h3>${esc(c.id)}: ${esc(c.client)} → ${esc(c.server)}</h3><p>${c.opening}/${c.closing}; client <b>${c.client_state}</b>, server <b>${c.server_state}</b>; frames ${c.first_frame}-${c.last_frame}</p><ul>${c.anomalies.map((a) => `<li><code>${a.code}</code> (${a.side}): ${esc(a.detail)}</li>`).join('')}</ul>${ladderSvg(c)}</section>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>TCP lifecycle report</title><style>
body{font:15px/1.45 system-ui,sans-serif;max-width:960px;margin:0 auto;padding:1rem;color:#212529}
h1{font-size:1.5rem}h2{border-bottom:1px solid #dee2e6;padding-bottom:.2rem;margin-top:2rem}
.finding{border-left:6px solid #adb5bd;padding:.3rem 1rem;margin:1rem 0;background:#f8f9fa}
.finding.critical{border-color:#c92a2a}.finding.warning{border-color:#f08c00}.finding.info{border-color:#1971c2}
.sev{text-transform:uppercase;font-size:.8rem;font-weight:700}
table{border-collapse:collapse}td,th{border:1px solid #dee2e6;padding:.2rem .5rem;text-align:left}
svg{width:100%;height:auto;background:#fff}code{background:#f1f3f5;padding:0 .2rem}
.legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;list-style:none;padding:0;margin:.5rem 0;font-size:.85rem}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-.1rem}
@media print{body{max-width:none}.conn{break-inside:avoid}}
</style></head><body><h1>TCP lifecycle report</h1><p>Capture ${s.files.map((f) => `<code>${esc(f)}</code>`).join(', ')}: ${iso(s.first_ts)} to ${iso(s.last_ts)}; ${s.packets} packets, ${s.tcp_packets} TCP, ${s.connections} connections.</p>
<h2>Findings (${model.findings.length})</h2>${findings.join('') || '<p>No connection problem found.</p>'}
<h2>Overview</h2><table><tr><th>openings</th><td>${fmt(model.openings)}</td></tr><tr><th>closings</th><td>${fmt(model.closings)}</td></tr><tr><th>endpoint states at end</th><td>${statesAtEnd(model).join(', ') || 'none'}</td></tr><tr><th>top servers by packets</th><td>${model.talkers.map(([e, n]) => `${esc(e)} (${n})`).join(', ')}</td></tr></table>
<h2>Endpoints per state over the capture</h2><p class="note">The most endpoints each state held at any moment of each interval.</p>${chartSvg(model)}
<h2>Flagged connections (${model.flagged.length} of ${model.flaggedTotal} shown)</h2>${flagged.join('')}
</body></html>
`;
}

export { StatesAt };
