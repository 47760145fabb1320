/** The `report` and `states` commands over a stream of records. */
import type { ConnectionRecord, FindingRecord, OutputRecord, SummaryRecord } from '../records.js';
import { buildReport } from './model.js';
import { renderHtml, renderMarkdown, renderText } from './render.js';
import { parseAt, resolveAt, StatesAt } from './states-at.js';

export async function runReport(
  batches: AsyncIterable<OutputRecord[]>,
  opts: { format: 'text' | 'md' | 'html'; connectionIds: string[]; color: boolean; out: { write(text: string): unknown } },
): Promise<void> {
  const model = await buildReport(batches, opts.connectionIds);
  const text = opts.format === 'html' ? renderHtml(model) : opts.format === 'md' ? renderMarkdown(model) : renderText(model, opts.color);
  opts.out.write(text);
}

export async function runStates(
  batches: AsyncIterable<OutputRecord[]>,
  opts: { at?: string; format: 'text' | 'ndjson'; out: { write(text: string): unknown } },
): Promise<void> {
  // The time may be relative to the capture's start, known only at the end: keep the connections' transitions until then.
  const connections: ConnectionRecord[] = [];
  const findings: FindingRecord[] = [];
  let summary: SummaryRecord | undefined;
  for await (const batch of batches) for (const r of batch) {
    if (r.type === 'connection') {
      delete r.segments;
      connections.push(r);
    } else if (r.type === 'finding') findings.push(r);
    else if (r.type === 'summary') summary = r;
  }
  const at = resolveAt(parseAt(opts.at), summary?.first_ts ?? null, summary?.last_ts ?? null, opts.at);
  const view = new StatesAt(at);
  for (const c of connections) view.add(c);
  const hosts = [...view.hosts.entries()].sort(([a], [b]) => a.localeCompare(b));
  if (opts.format === 'ndjson') {
    // The whole analysis, the states view, then the summary last: a complete stream under the contract.
    for (const c of connections) opts.out.write(JSON.stringify(c) + '\n');
    for (const f of findings) opts.out.write(JSON.stringify(f) + '\n');
    for (const [host, states] of hosts) opts.out.write(JSON.stringify({ type: 'states', at, host, states }) + '\n');
    if (summary) opts.out.write(JSON.stringify(summary) + '\n');
    return;
  }
  opts.out.write(`endpoint states at ${new Date(at * 1000).toISOString()} (${at.toFixed(6)})\n`);
  if (hosts.length === 0) opts.out.write('  no open endpoints\n');
  for (const [host, states] of hosts) {
    opts.out.write(`${host}\n${Object.entries(states).map(([s, n]) => `  ${s.padEnd(12)} ${n}`).join('\n')}\n`);
  }
}
