/**
 * Renders records as every command that reads them would: the report as
 * text, Markdown and HTML (with the ladders of the first connections), and
 * the states at the end and at the capture's start. Lets the fuzzer and the
 * regression inputs catch a crash in rendering as one in reading.
 */
import type { OutputRecord } from '../../src/records.js';
import { runReport, runStates } from '../../src/report/commands.js';

async function* once(records: OutputRecord[]): AsyncGenerator<OutputRecord[]> {
  yield records.map((r) => structuredClone(r));
}

/** Every rendering of `records`, in order: report text, md, html, states text at the end, states NDJSON at +0. */
export async function renderAll(records: OutputRecord[]): Promise<string[]> {
  const ladders = records.flatMap((r) => (r.type === 'connection' ? [r.id] : [])).slice(0, 2);
  const outputs: string[] = [];
  for (const format of ['text', 'md', 'html'] as const) {
    let text = '';
    await runReport(once(records), { format, connectionIds: ladders, color: format === 'text', out: { write: (s: string) => (text += s) } });
    outputs.push(text);
  }
  for (const [format, at] of [['text', undefined], ['ndjson', '+0']] as const) {
    let text = '';
    await runStates(once(records), { format, at, out: { write: (s: string) => (text += s) } });
    outputs.push(text);
  }
  return outputs;
}
