/** Several files of one capture: time between them that the capture did not see is not time stuck. */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAPTURES } from '../helpers/paths.js';
import { cli, ndjsonLines } from '../helpers/cli.js';
import { splitWithGap } from '../helpers/pcap-edit.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'tcp-lifecycle-files-'));
// client-close.pcap cut after the client's FIN (frame 20), the rest 30 s later: the client waits in FIN_WAIT1 across the gap.
const [before, after] = splitWithGap(readFileSync(path.join(CAPTURES, 'client-close.pcap')), 20, 30);
const first = path.join(tmp, 'run-0.pcap');
const second = path.join(tmp, 'run-1.pcap');
writeFileSync(first, before);
writeFileSync(second, after);

test('a gap between files longer than --stuck-after is warned about, and a wait across it is not stuck', async (t) => {
  const r = await cli(['analyze', '--format', 'ndjson', second, first]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stderr, /warning: .*run-1\.pcap begins 30\.0 s after the previous file ends, longer than --stuck-after \(10 s\): the capture saw nothing in between, and that time is not counted as time stuck/);
  const records = ndjsonLines(r.stdout);
  const connection = records.find((o) => o.type === 'connection')!;
  t.true(connection.transitions.some((x: any) => x.from === 'FIN_WAIT1' && x.to === 'FIN_WAIT2' && x.ts - connection.first_ts > 30), 'the FIN_WAIT1 wait spans the gap');
  t.deepEqual(connection.anomalies, []);
  t.true(records.at(-1)!.warnings.some((w: string) => w.includes('not counted as time stuck')));
});

test('with --jobs the gap is known to every shard: the same records', async (t) => {
  const [one, two] = await Promise.all([cli(['analyze', '--format', 'ndjson', first, second]), cli(['analyze', '--jobs', '2', '--format', 'ndjson', first, second])]);
  t.is(two.status, 0, two.stderr);
  // The same records; the merge state holds one part per shard.
  const records = (stdout: string) => ndjsonLines(stdout).filter((o) => o.type !== 'merge_state');
  t.deepEqual(records(two.stdout), records(one.stdout));
});

test('what is a gap follows --stuck-after: 30 s is none at --stuck-after 40, and one at 20', async (t) => {
  const r = await cli(['analyze', '--format', 'ndjson', '--stuck-after', '40', first, second]);
  t.notRegex(r.stderr, /previous file ends/);
  const r2 = await cli(['analyze', '--format', 'ndjson', '--stuck-after', '20', first, second]);
  t.regex(r2.stderr, /previous file ends/);
  t.deepEqual(ndjsonLines(r2.stdout).find((o) => o.type === 'connection')!.anomalies, [], 'neither at 20 s');
});
