/** How reports write times, sizes and names, in every format: never a crash on a time no calendar holds, never a name that escapes its place. */
import { ANALYSIS_EVENTS, type AnalysisCounts, type AnalysisEvent } from '../expert/tcp-analysis.js';
import type { ConnectionSummary } from '../records.js';

/** JavaScript dates reach 8.64e15 ms either side of 1970. */
const MAX_DATE_SECONDS = 8.64e12;

/** An ISO time, or the seconds themselves when no calendar date holds them. */
export function isoTime(t: number | null): string {
  if (t === null) return '-';
  if (!Number.isFinite(t) || Math.abs(t) > MAX_DATE_SECONDS) return `${t} s after 1970 (beyond the calendar)`;
  return new Date(t * 1000).toISOString();
}

/** The time of day (UTC) for short captures, the date with it for long ones. */
export function clockTime(t: number, span: number): string {
  if (!Number.isFinite(t) || Math.abs(t) > MAX_DATE_SECONDS) return `${t.toFixed(0)} s`;
  const iso = new Date(t * 1000).toISOString();
  if (span >= 2 * 86_400) return iso.slice(0, 10);
  if (span >= 120) return iso.slice(11, 16);
  return span >= 2 ? iso.slice(11, 19) : iso.slice(11, 23);
}

/** A duration in seconds, as people read it. */
export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  if (s >= 2 * 86_400) return `${(s / 86_400).toFixed(1)} days`;
  if (s >= 7200) return `${(s / 3600).toFixed(1)} h`;
  if (s >= 120) return `${(s / 60).toFixed(1)} min`;
  if (s >= 1) return `${s.toFixed(1)} s`;
  if (s >= 0.001) return `${(s * 1000).toFixed(1)} ms`;
  return `${(s * 1e6).toFixed(0)} µs`;
}

/** Bytes with a unit. */
export function bytes(n: number): string {
  if (n < 10_000) return `${n} B`;
  if (n < 10_000_000) return `${(n / 1000).toFixed(0)} kB`;
  if (n < 10_000_000_000) return `${(n / 1e6).toFixed(0)} MB`;
  return `${(n / 1e9).toFixed(0)} GB`;
}

/** A name from outside (a file name) with its control characters escaped, so it cannot move a terminal or break a line. */
export function printable(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return code === 0x09 ? '\\t' : code === 0x0a ? '\\n' : code === 0x0d ? '\\r' : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A Markdown code span holding any text: fenced with one backtick more than
 * the longest run inside it, padded when it begins or ends with one, and on
 * one line, so a name cannot end the span and have the rest read as Markdown
 * or HTML (CommonMark shows a code span's content as it is).
 */
export function mdCode(text: string): string {
  const line = printable(text);
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') || line === '' ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}

/** Text for HTML. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Advice and summaries, escaped, with their `code` spans as code. */
export function prose(text: string): string {
  return esc(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** Counts as "handshake 8, rst 2". */
export function tally(counts: Record<string, number>): string {
  return Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

/** The options the handshake settled, short: "1460/1460 ws7/7 sack ts" (client/server), "-" when no SYN was seen. */
export function handshakeOptions(c: Pick<ConnectionSummary, 'client_mss' | 'server_mss' | 'client_wscale' | 'server_wscale' | 'sack' | 'timestamps'>): string {
  if (c.client_mss === null && c.server_mss === null && c.sack === null && c.client_wscale === null) return '-';
  const parts = [`${c.client_mss ?? '-'}/${c.server_mss ?? '-'}`];
  if (c.client_wscale !== null) parts.push(`ws${c.client_wscale}/${c.server_wscale}`);
  if (c.sack) parts.push('sack');
  if (c.timestamps) parts.push('ts');
  return parts.join(' ');
}

/** Wireshark's Expert Info events, short, as they are counted on one side: "retx 2, dup ack 3". */
const EVENT_WORDS: Record<AnalysisEvent, string> = {
  retransmission: 'retx',
  fast_retransmission: 'fast retx',
  duplicate_ack: 'dup ack',
  out_of_order: 'ooo',
  lost_segment: 'lost',
  zero_window: 'zero win',
  window_full: 'win full',
  keep_alive: 'keep-alive',
};

export function expertEvents(counts: AnalysisCounts): string {
  return ANALYSIS_EVENTS.filter((e) => counts[e]).map((e) => `${EVENT_WORDS[e]} ${counts[e]}`).join(', ');
}
