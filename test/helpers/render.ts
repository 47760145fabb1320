/**
 * Renders a capture as every command that shows it would: the report as
 * text, Markdown and HTML (with the ladders of the first connections drawn
 * too), and the states at the end and at the capture's start. Lets the
 * fuzzer and the regression inputs catch a crash in rendering as one in
 * reading.
 */
import type { CaptureInput } from '../../src/analyze.js';
import type { OutputRecord } from '../../src/records.js';
import { runReport, runStates } from '../../src/report/commands.js';
import { parseAt } from '../../src/report/states-at.js';

/** Every rendering of `input`, whose analysis gave `records`, in order: report text, md, html, states text at the end, states NDJSON at +0. */
export async function renderAll(input: CaptureInput, records: OutputRecord[]): Promise<string[]> {
  const ladders = records.flatMap((r) => (r.type === 'connection' ? [r.id] : [])).slice(0, 2);
  const outputs: string[] = [];
  for (const format of ['text', 'md', 'html'] as const) {
    let text = '';
    await runReport([input], {}, { format, connectionIds: ladders, color: format === 'text', out: { write: (s: string) => (text += s) } });
    outputs.push(text);
  }
  for (const [format, at] of [['text', undefined], ['ndjson', '+0']] as const) {
    let text = '';
    await runStates([input], {}, { format, at: parseAt(at), given: at ?? '', out: { write: (s: string | Uint8Array) => (text += typeof s === 'string' ? s : Buffer.from(s).toString()) } });
    outputs.push(text);
  }
  return outputs;
}
