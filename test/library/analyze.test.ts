/** The library API gives the same records as the pipeline the CLI uses, from a path, a buffer or a stream. */
import test from 'ava';
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyze, runPipeline } from '../../src/index.js';
import { runPipelineTo } from '../../src/analyze.js';
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

test('the records of the lifecycles still open at the end are made one at a time, the output asked for room after each', async (t) => {
  const flood = path.join(CAPTURES, 'syn-flood.pcap');
  const run = async (wait: boolean) => {
    let phase: 'reading' | 'open' | 'done' = 'reading';
    const ids: string[] = [];
    let open = 0;
    let asked = 0;
    await runPipelineTo([flood], {
      // A consumer behind: every tenth question while the open records are made, it makes the pipeline wait.
      pause: () => (phase === 'open' && ++asked % 10 === 0 && wait ? new Promise<void>((resolve) => setTimeout(resolve, 1)) : undefined),
    }, {
      connection: (summary) => {
        ids.push(summary.id);
        if (phase === 'open') open++;
      },
      openRecords: (edge) => void (phase = edge === 'before' ? 'open' : 'done'),
      finding() {},
      summary() {},
    });
    return { ids, open, asked };
  };
  const waited = await run(true);
  t.is(waited.open, 60);
  t.is(waited.asked, 60, 'asked once per open record');
  t.deepEqual(waited.ids, (await run(false)).ids);
});
