/**
 * An analysis as `merge` reads it: its records' lines, whole, in order,
 * however they fall across reads, and each line's view still valid once the
 * reading moved on (the merge holds lines without copying them).
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AnalysisFile } from '../../src/merge/analysis-file.js';
import { analysisNdjson } from '../helpers/analysis.js';
import { CAPTURES } from '../helpers/paths.js';

const dir = mkdtempSync(path.join(tmpdir(), 'analysis-file-'));

/** The lines `lines()` hands out for [0, to), kept as the views it gave. */
async function linesOf(file: string, to: number): Promise<Buffer[]> {
  const input = new AnalysisFile(file);
  const lines: Buffer[] = [];
  input.open();
  try {
    await input.lines(0, to, (line) => lines.push(line));
  } finally {
    input.close();
  }
  return lines;
}

test('the lines of an analysis come whole and in order, and stay valid after the reading moved on', async (t) => {
  const ndjson = await analysisNdjson([path.join(CAPTURES, 'port-reuse-storm.pcap')]);
  const text = ndjson.toString('latin1').split('\n');
  // Records, then lines of several mebibytes each (longer than a read), then the merge state and the summary.
  const long = ['x'.repeat(3 << 20), 'y'.repeat((1 << 20) - 1), 'z'.repeat(5)];
  const records = [...text.slice(0, -3), ...long];
  const body = records.map((line) => `${line}\n`).join('');
  const file = path.join(dir, 'long-lines.ndjson');
  writeFileSync(file, body + text.slice(-3).join('\n'), 'latin1');
  const lines = await linesOf(file, Buffer.byteLength(body, 'latin1'));
  t.is(lines.length, records.length);
  t.true(records.length > long.length + 100, `${records.length} lines`);
  const wrong = lines.findIndex((line, i) => line.toString('latin1') !== `${records[i]}\n`);
  t.is(wrong, -1, `line ${wrong} differs`);
});

test('a record cut short at the end of the range is an error naming its byte', async (t) => {
  const ndjson = await analysisNdjson([path.join(CAPTURES, 'close-wait-leak.pcap')]);
  const file = path.join(dir, 'cut.ndjson');
  writeFileSync(file, ndjson);
  const firstEnd = ndjson.indexOf(0x0a) + 1;
  const error = await t.throwsAsync(linesOf(file, firstEnd + 10));
  t.regex(error!.message, new RegExp(`cut\\.ndjson: a record at byte ${firstEnd} is cut short`));
});
