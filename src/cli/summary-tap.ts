/** Passes an analysis's record batches on to a command and keeps its summary, which sets the exit code. */
import type { OutputRecord, SummaryRecord } from '../records.js';

export function summaryOf(batches: AsyncIterable<OutputRecord[]>): { records: AsyncIterable<OutputRecord[]>; summary: () => SummaryRecord | undefined } {
  let summary: SummaryRecord | undefined;
  async function* records(): AsyncGenerator<OutputRecord[]> {
    for await (const batch of batches) {
      for (const record of batch) if (record.type === 'summary') summary = record;
      yield batch;
    }
  }
  return { records: records(), summary: () => summary };
}
