/** The incident report as text for a terminal, and as Markdown for a ticket: findings first, then the evidence. */
import type { ConnectionRecord, FindingRecord } from '../records.js';
import { bytes, clockTime, isoTime, mdCode, printable, seconds, tally } from './format.js';
import { captureLoss, capturePoint } from './capture-point.js';
import { ladderText } from './ladder.js';
import type { AlsoSeen, ReportModel } from './model.js';
import type { Grid } from './timeline.js';

const SPARK = ' ▁▂▃▄▅▆▇█';
/** Things seen under the thresholds listed before "and N more". */
const ALSO_SEEN_SHOWN = 10;

/** "ESTABLISHED 60 (60 inferred)": how many end states no packet of the endpoint itself proved. */
export function statesAtEnd(model: ReportModel): string {
  return (
    Object.entries(model.summary.states_at_end)
      .map(([s, n]) => {
        const inferred = model.inferredAtEnd[s as keyof ReportModel['inferredAtEnd']] ?? 0;
        return inferred > 0 ? `${s} ${n} (${inferred} inferred)` : `${s} ${n}`;
      })
      .join(', ') || 'none'
  );
}

function color(on: boolean, code: string, text: string): string {
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** "C9 (frames 9-27)" for each example. */
const examples = (f: FindingRecord) => f.examples.map((e) => `${e.id} (frames ${e.first_frame}-${e.last_frame})`).join(', ');

/** What the chart's intervals are, in words. */
export function chartCaption(grid: Grid): string {
  if (grid.times.length === 0) return 'no state changes';
  const start = grid.times[0]!;
  const span = (grid.width * grid.times.length) / 1e6;
  const late = grid.late > 0 ? `; ${grid.late} state change(s) came after their time was drawn (capture time stepped back): peaks from ${isoTime(grid.lateFrom)} on may be off by as many` : '';
  return `the most endpoints each state held at any moment of each ${seconds(grid.width / 1e6)} from ${isoTime(start)} (${clockTime(start, span)} UTC)${late}`;
}

function sparklines(grid: Grid): string[] {
  const lines = Object.entries(grid.peaks).map(([state, values]) => {
    const max = Math.max(...values!, 1);
    return `${state.padEnd(12)} ${values!.map((v) => SPARK[Math.ceil((v / max) * 8)]).join('')} max ${max}`;
  });
  if (grid.fleeting.length) lines.push(`${grid.fleeting.join(', ')}: entered and left within a microsecond, never held`);
  return lines;
}

function alsoSeenLines(seen: AlsoSeen[]): string[] {
  const lines = seen.slice(0, ALSO_SEEN_SHOWN).map((s) => s.text);
  if (seen.length > ALSO_SEEN_SHOWN) lines.push(`and ${seen.length - ALSO_SEEN_SHOWN} more`);
  return lines;
}

function connectionLine(c: ConnectionRecord): string {
  const rtt = c.handshake_rtt === null ? '' : `, handshake RTT ${seconds(c.handshake_rtt)}`;
  return `${c.opening}/${c.closing} (${c.conn_state}), client ${c.client_state}, server ${c.server_state}; ${seconds(c.duration)}${rtt}; ${c.client_packets}/${c.server_packets} packets, ${bytes(c.orig_bytes)}/${bytes(c.resp_bytes)}; frames ${c.first_frame}-${c.last_frame}`;
}

export function renderText(model: ReportModel, useColor: boolean): string {
  const s = model.summary;
  const bold = (text: string) => color(useColor, '1', text);
  const out: string[] = [];
  out.push(bold('TCP lifecycle report'), `capture ${s.files.map(printable).join(', ')}: ${isoTime(s.first_ts)} to ${isoTime(s.last_ts)}`, `${s.packets} packets, ${s.tcp_packets} TCP, ${s.connections} connections`, '');
  out.push(bold(`Findings (${model.findings.length})`));
  if (model.findings.length === 0) out.push(model.alsoSeen.length ? '  none reached its threshold (see "Also seen")' : '  none: no connection problem found');
  for (const f of model.findings) {
    const sev = color(useColor, f.severity === 'critical' ? '31;1' : f.severity === 'warning' ? '33;1' : '36', f.severity.toUpperCase());
    out.push(`  ${sev} ${f.code} on ${f.endpoint}`, `    ${f.summary}`, `    examples: ${examples(f)}`);
    for (const a of f.advice) out.push(`    - ${a}`);
  }
  if (model.alsoSeen.length) out.push('', bold('Also seen (under the findings\' thresholds)'), ...alsoSeenLines(model.alsoSeen).map((l) => `  - ${l}`));
  out.push('', bold('Overview'));
  out.push(`  capture point: ${capturePoint(s)}`, `  loss in the capture: ${captureLoss(s)}`);
  out.push(`  openings: ${tally(model.openings)}`, `  closings: ${tally(model.closings)}`, `  endpoint states at end: ${statesAtEnd(model)}`);
  out.push(`  top servers by packets: ${model.talkers.map(([e, n]) => `${e} (${n})`).join(', ') || 'none'}`);
  out.push('', bold('Endpoints per state over the capture'), `  ${chartCaption(model.chart)}`, ...sparklines(model.chart).map((l) => `  ${l}`));
  out.push('', bold(`Connections drawn (${model.ladders.length}): every example of every finding${model.flaggedTotal ? `, and the first of ${model.flaggedTotal} flagged` : ''}`));
  if (model.notKept.length) out.push(`  not kept (too many findings to keep every example): ${model.notKept.join(', ')}; \`tcp-lifecycle extract --connection ID\` writes their packets`);
  for (const c of model.ladders) {
    out.push('', `${c.id} ${c.client} -> ${c.server}: ${connectionLine(c)}`);
    for (const a of c.anomalies) out.push(`  ${a.code} (${a.side}): ${a.detail}`);
    out.push(`  Wireshark: ${c.wireshark_filter}`);
    out.push(ladderText(c, s.last_ts).replace(/^/gm, '  '));
  }
  return out.join('\n') + '\n';
}

export function renderMarkdown(model: ReportModel): string {
  const s = model.summary;
  const out: string[] = ['# TCP lifecycle report', '', `Capture ${s.files.map(mdCode).join(', ')}: ${isoTime(s.first_ts)} to ${isoTime(s.last_ts)}; ${s.packets} packets, ${s.tcp_packets} TCP, ${s.connections} connections.`, ''];
  out.push(`## Findings (${model.findings.length})`, '');
  if (model.findings.length === 0) out.push(model.alsoSeen.length ? 'None reached its threshold (see "Also seen").' : 'No connection problem found.', '');
  for (const f of model.findings) {
    out.push(`### ${f.severity.toUpperCase()}: \`${f.code}\` on \`${f.endpoint}\``, '', f.summary, '', `Examples: ${f.examples.map((e) => `[${e.id}](#${e.id.toLowerCase()}) (frames ${e.first_frame}-${e.last_frame})`).join(', ')}`, '', 'What to do:', '', ...f.advice.map((a) => `- ${a}`), '');
  }
  if (model.alsoSeen.length) out.push("## Also seen (under the findings' thresholds)", '', ...alsoSeenLines(model.alsoSeen).map((l) => `- ${l}`), '');
  out.push('## Overview', '', '| | |', '|---|---|', `| capture point | ${capturePoint(s)} |`, `| loss in the capture | ${captureLoss(s)} |`, `| openings | ${tally(model.openings)} |`, `| closings | ${tally(model.closings)} |`, `| endpoint states at end | ${statesAtEnd(model)} |`, `| top servers by packets | ${model.talkers.map(([e, n]) => `${e} (${n})`).join(', ') || 'none'} |`, '');
  out.push('## Endpoints per state over the capture', '', `${chartCaption(model.chart)}.`, '', '```', ...sparklines(model.chart), '```', '');
  out.push(`## Connections drawn (${model.ladders.length})`, '');
  if (model.notKept.length) out.push(`Not kept (too many findings to keep every example): ${model.notKept.join(', ')}.`, '');
  for (const c of model.ladders) {
    out.push(`### ${c.id}`, '', `${c.client} → ${c.server}: ${connectionLine(c)}`, '', ...c.anomalies.map((a) => `- \`${a.code}\` (${a.side}): ${a.detail}`), '', `Wireshark: ${mdCode(c.wireshark_filter)}`, '', '```', ladderText(c, s.last_ts), '```', '');
  }
  return out.join('\n');
}

