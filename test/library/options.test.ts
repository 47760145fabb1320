/** The library refuses a bad option value before reading, as the command line does: a RangeError or TypeError naming the option and the value. */
import test from 'ava';
import path from 'node:path';
import { analyze, analyzeInBatches, runPipeline, type AnalyzeOptions } from '../../src/index.js';
import { CAPTURES } from '../helpers/paths.js';
import { cliInProcess } from '../helpers/cli.js';

const file = path.join(CAPTURES, 'client-close.pcap');

const BAD: [options: Record<string, unknown>, error: typeof RangeError | typeof TypeError, message: string][] = [
  [{ stuckAfter: -5 }, RangeError, 'stuckAfter: -5 is out of range (0 to 1000000000)'],
  [{ stuckAfter: 1e10 }, RangeError, 'stuckAfter: 10000000000 is out of range (0 to 1000000000)'],
  [{ stuckAfter: Number.NaN }, RangeError, 'stuckAfter: NaN is not a number of seconds'],
  [{ stuckAfter: '10' }, TypeError, 'stuckAfter: "10" is not a number of seconds'],
  [{ timeWait: -1 }, RangeError, 'timeWait: -1 is out of range (0 to 1000000000)'],
  [{ timeWait: Number.POSITIVE_INFINITY }, RangeError, 'timeWait: Infinity is out of range (0 to 1000000000)'],
  [{ maxLive: 0 }, RangeError, 'maxLive: 0 is out of range (1 to 9007199254740991)'],
  [{ maxLive: 1.5 }, RangeError, 'maxLive: 1.5 is not a whole number'],
  [{ maxLive: 10n }, TypeError, 'maxLive: 10n is not a whole number'],
  [{ maxRecord: 16 * 1024 * 1024 + 1 }, RangeError, 'maxRecord: 16777217 is out of range (1 to 16777216)'],
  [{ maxRecord: null }, TypeError, 'maxRecord: null is not a whole number of bytes'],
  [{ keepSegments: -1 }, RangeError, 'keepSegments: -1 is out of range (0 to 9007199254740991)'],
  [{ queueLimit: 0 }, RangeError, 'queueLimit: 0 is out of range (1 to 9007199254740991)'],
  [{ findings: 'no' }, TypeError, 'findings: "no" is not true or false'],
  [{ onProgress: 5 }, TypeError, 'onProgress: 5 is not a function'],
  [{ signal: {} }, TypeError, 'signal: an object is not an AbortSignal'],
];

/** `{ stuckAfter: -5 }` as a title: `stuckAfter: -5`. */
const label = (options: Record<string, unknown>) =>
  Object.entries(options).map(([key, v]) => `${key}: ${typeof v === 'bigint' ? `${v}n` : typeof v === 'number' ? String(v) : JSON.stringify(v)}`).join(', ');

for (const [options, error, message] of BAD) {
  test(`${label(options)} is refused by analyze, analyzeInBatches and runPipeline`, async (t) => {
    const given = options as AnalyzeOptions;
    await t.throwsAsync(async () => {
      for await (const _ of analyze(file, given));
    }, { instanceOf: error, message });
    await t.throwsAsync(async () => {
      for await (const _ of analyzeInBatches(file, given));
    }, { instanceOf: error, message });
    let emitted = 0;
    await t.throwsAsync(runPipeline(file, given, () => emitted++), { instanceOf: error, message });
    t.is(emitted, 0, 'nothing is read');
  });
}

test('the limits are the command line\'s: its edges are taken by both, one past them refused by both', async (t) => {
  const records: { type: string }[] = [];
  for await (const record of analyze(file, { stuckAfter: 0, timeWait: 1e9, maxLive: 1, maxRecord: 16 * 1024 * 1024, keepSegments: 0 })) records.push(record);
  t.is(records.at(-1)!.type, 'summary');
  const cli = await cliInProcess(['analyze', '--stuck-after', '0', '--time-wait', '1e9', '--max-live', '1', '--max-record', String(16 * 1024 * 1024), file]);
  t.is(cli.status, 0, cli.stderr);
  for (const [flag, option, value] of [['--stuck-after', 'stuckAfter', -5], ['--time-wait', 'timeWait', 1e9 + 1], ['--max-live', 'maxLive', 0], ['--max-record', 'maxRecord', 16 * 1024 * 1024 + 1]] as const) {
    const r = await cliInProcess(['analyze', flag, String(value), file]);
    t.is(r.status, 2);
    const range = /out of range \((.*)\)/.exec(r.stderr)?.[1];
    t.truthy(range, r.stderr);
    await t.throwsAsync(runPipeline(file, { [option]: value }, () => {}), { instanceOf: RangeError, message: `${option}: ${value} is out of range (${range})` });
  }
});
