/** Analyses made in this process, as the command line makes them. */
import { runSharded } from '../../src/parallel/sharded.js';
import { NdjsonEncoder } from '../../src/report/ndjson-encoder.js';

/** The bytes `analyze --format ndjson FILES...` writes (merge state included), made by the pipeline the command line runs. */
export async function analysisNdjson(files: string[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  const encoder = new NdjsonEncoder((bytes) => parts.push(Buffer.from(bytes)));
  await runSharded(files, {}, 1, {
    connections: (bytes, written) => {
      parts.push(Buffer.from(bytes));
      written();
    },
    finding: (r) => encoder.record(r),
    mergeState: (r) => encoder.record(r),
    summary: (r) => encoder.record(r),
  });
  encoder.flush();
  return Buffer.concat(parts);
}
