/**
 * `diff`: two analyses side by side, each a capture or the NDJSON of an
 * earlier `analyze`, told apart by their first byte (only that is read to
 * tell). Findings added, removed or changed, anomaly and finding counts, and
 * states at the end; exit 1 when they differ, as diff(1) does.
 */
import { createReadStream } from 'node:fs';
import { analyze, type AnalyzeOptions } from '../analyze.js';
import { peekFirstByte } from '../capture/stream-input.js';
import type { SummaryRecord } from '../records.js';
import { readAnalysis } from './analysis-file.js';
import { Tally } from './tally.js';

export interface Difference {
  kind: 'finding added' | 'finding removed' | 'finding changed' | 'count' | 'state at end';
  what: string;
  old: number;
  new: number;
}

/**
 * An earlier analysis (NDJSON) or a capture, from a file, `-` or a pipe,
 * counted; `read` gets the summary of a capture analyzed here, whose
 * warnings and damage part-way are this run's to report.
 */
async function tallyOf(file: string, options: AnalyzeOptions, read: (summary: SummaryRecord) => void): Promise<Tally> {
  const tally = new Tally();
  const { first, stream } = await peekFirstByte(file);
  if (first === 0x7b /* { */) await readAnalysis(file, (stream ?? createReadStream(file)), (r) => tally.add(r));
  else {
    for await (const r of analyze([stream ?? file], options)) tally.add(r);
    if (tally.summary) read(tally.summary);
  }
  return tally;
}

export function differences(before: Tally, after: Tally): Difference[] {
  const rows: Difference[] = [];
  for (const key of new Set([...before.findings.keys(), ...after.findings.keys()])) {
    const o = before.findings.get(key)?.count ?? 0;
    const n = after.findings.get(key)?.count ?? 0;
    if (o !== n) rows.push({ kind: o === 0 ? 'finding added' : n === 0 ? 'finding removed' : 'finding changed', what: key.replace('|', ' on '), old: o, new: n });
  }
  for (const code of new Set([...before.total.keys(), ...after.total.keys()])) {
    const o = before.total.get(code) ?? 0;
    const n = after.total.get(code) ?? 0;
    if (o !== n) rows.push({ kind: 'count', what: code, old: o, new: n });
  }
  const so: Record<string, number | undefined> = before.summary?.states_at_end ?? {};
  const sn: Record<string, number | undefined> = after.summary?.states_at_end ?? {};
  for (const state of new Set([...Object.keys(so), ...Object.keys(sn)])) {
    const o = so[state] ?? 0;
    const n = sn[state] ?? 0;
    if (o !== n) rows.push({ kind: 'state at end', what: state, old: o, new: n });
  }
  return rows;
}

/** The totals of an analysis that a diff prints beside its differences. */
const totals = (s: SummaryRecord | undefined) => ({ packets: s?.packets ?? 0, connections: s?.connections ?? 0, findings: s?.findings ?? 0 });

/**
 * Resolves with the verdict: 0 the same, 1 different. `read` gets the
 * summary of each input that was a capture, once both are read.
 */
export async function runDiff(
  oldPath: string,
  newPath: string,
  opts: { format: 'text' | 'ndjson'; analyzeOptions: AnalyzeOptions; out: { write(text: string): unknown }; read?: (summary: SummaryRecord) => void },
): Promise<number> {
  const read = opts.read ?? (() => {});
  const before = await tallyOf(oldPath, opts.analyzeOptions, read);
  const after = await tallyOf(newPath, opts.analyzeOptions, read);
  const rows = differences(before, after);
  const old = totals(before.summary);
  const now = totals(after.summary);
  if (opts.format === 'ndjson') {
    for (const r of rows) opts.out.write(JSON.stringify({ type: 'difference', ...r }) + '\n');
    opts.out.write(JSON.stringify({ type: 'diff', differences: rows.length, old, new: now }) + '\n');
  } else {
    opts.out.write(`${oldPath} -> ${newPath}\n`);
    for (const r of rows) opts.out.write(`${r.kind.padEnd(16)} ${r.what.padEnd(40)} ${String(r.old).padStart(7)} -> ${r.new}\n`);
    const total = (key: keyof typeof old): string => `${old[key]} -> ${now[key]} ${key}`;
    opts.out.write(`${rows.length === 0 ? 'no differences' : `${rows.length} difference(s)`}; ${total('connections')}, ${total('packets')}, ${total('findings')}\n`);
  }
  return rows.length === 0 ? 0 : 1;
}
