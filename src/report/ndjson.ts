/**
 * NDJSON output: one JSON object per line. Lines are batched into large
 * writes, so a run of millions of records costs a few hundred write calls.
 */
import type { OutputRecord } from '../records.js';

const BATCH_CHARS = 64 * 1024;

export class NdjsonWriter {
  private pending = '';

  constructor(private readonly out: NodeJS.WritableStream) {}

  write(record: OutputRecord | Record<string, unknown>): void {
    this.pending += JSON.stringify(record) + '\n';
    if (this.pending.length >= BATCH_CHARS) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    this.out.write(this.pending);
    this.pending = '';
  }
}
