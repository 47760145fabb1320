/**
 * Every input in test/regressions/ (see its README) through the pipeline, the
 * renderings of `report` and `states`, and the command line, whose records
 * keep the contract: the fuzz test's assertions, and the outcome pinned in
 * expected.json (exit code, damage offset, each connection's end states and
 * the summary's counts), so a change in how hostile input is read shows here.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runPipeline } from '../../src/analyze.js';
import { CaptureError } from '../../src/capture/frame.js';
import type { ConnectionRecord, OutputRecord, SummaryRecord } from '../../src/records.js';
import { ROOT } from '../helpers/paths.js';
import { cliInProcess, contractCheckRuns } from '../helpers/cli.js';
import { renderAll } from '../helpers/render.js';

const DIR = path.join(ROOT, 'test/regressions');
const expected = JSON.parse(readFileSync(path.join(DIR, 'expected.json'), 'utf8')) as Record<string, Outcome>;
/** The kept inputs; the folder's tests of hostile conditions (`*.test.ts`) run on their own. */
const inputs = readdirSync(DIR).filter((f) => !f.endsWith('.md') && !f.endsWith('.ts') && f !== 'expected.json');

interface Outcome {
  exit: number;
  error_offset?: number;
  connections: string[];
  counts: Record<string, number>;
}

async function outcome(file: string): Promise<Outcome> {
  const records: OutputRecord[] = [];
  try {
    const summary: SummaryRecord = await runPipeline([file], { keepSegments: 24 }, (r) => records.push(r));
    await renderAll(file, records); // the report and states views of it must not fail either
    const result: Outcome = {
      exit: summary.errors.length ? 3 : 0,
      connections: records.filter((r): r is ConnectionRecord => r.type === 'connection').map((c) => `${c.client_state} ${c.server_state}${c.open_at_end ? ' open' : ''}`),
      counts: { packets: summary.packets, tcp_packets: summary.tcp_packets, ...summary.counts },
    };
    if (summary.errors[0]) result.error_offset = summary.errors[0].offset;
    return result;
  } catch (error) {
    if (!(error instanceof CaptureError) || error.kind !== 'not-capture') throw error;
    return { exit: 2, connections: [], counts: {} };
  }
}

test('every kept input has its expected outcome written down', (t) => {
  t.true(inputs.length > 0);
  t.deepEqual([...inputs].sort(), Object.keys(expected).sort());
});

// The built main in this process, one run at a time; what they emit goes through one contract check.
const runs = new Map(inputs.map((name) => [name, cliInProcess(['analyze', '--format', 'ndjson', path.join(DIR, name)])]));

for (const name of inputs) {
  test(`${name}: read as pinned, and the command line stays standing`, async (t) => {
    const file = path.join(DIR, name);
    t.deepEqual(await outcome(file), expected[name]);
    const r = await runs.get(name)!;
    t.is(r.status, expected[name]!.exit, r.stderr);
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
    const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as OutputRecord);
    if (expected[name]!.exit !== 2) t.is(lines.at(-1)?.type, 'summary');
  });
}

test('what the kept inputs emit keeps the contract (one run of the check over all of them)', async (t) => {
  const outputs = (await Promise.all(runs.values())).map((r) => r.stdout).filter(Boolean);
  t.true(outputs.length > 0);
  const check = contractCheckRuns(outputs);
  t.true(check.ok, check.output);
});
