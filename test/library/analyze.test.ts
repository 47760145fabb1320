/** The library API gives the same records as the pipeline the CLI uses, from a path, a buffer or a stream. */
import test from 'ava';
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyze, runPipeline } from '../../src/index.js';
import type { OutputRecord } from '../../src/records.js';
import { CAPTURES } from '../helpers/paths.js';

const file = path.join(CAPTURES, 'time-wait-storm.pcap');
const strip = (records: OutputRecord[]) => records.map((r) => (r.type === 'summary' ? { ...r, files: [] } : r.type === 'connection' ? { ...r, file: undefined, last_file: undefined } : r));

test('with a small queue the records still all arrive, in the same order', async (t) => {
  const expected: OutputRecord[] = [];
  await runPipeline([file], {}, (r) => expected.push(r));
  const got: OutputRecord[] = [];
  for await (const record of analyze(file, { queueLimit: 10 })) got.push(record);
  t.deepEqual(strip(got), strip(expected));
});

test('analyze() yields what runPipeline emits, for a path, the bytes and a stream', async (t) => {
  const expected: OutputRecord[] = [];
  await runPipeline([file], {}, (r) => expected.push(r));
  t.is(expected.filter((r) => r.type === 'connection').length, 300);
  for (const input of [file, new Uint8Array(readFileSync(file)), createReadStream(file)]) {
    const got: OutputRecord[] = [];
    for await (const record of analyze(input)) got.push(record);
    t.deepEqual(strip(got), strip(expected));
  }
});

test('a consumer that stops early ends the reading too, even while reading is paused for it', async (t) => {
  let n = 0;
  for await (const record of analyze(file, { queueLimit: 10 })) {
    if (record.type === 'connection' && ++n === 5) break;
  }
  t.is(n, 5);
});
