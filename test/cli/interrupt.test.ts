/**
 * Ctrl-C on a live capture (`tcpdump -w - | tcp-lifecycle analyze -`): the
 * first SIGINT stops the reading and the run finishes with what was read:
 * every connection as it stood, the findings, and a summary saying so; the
 * exit code is 130.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CAPTURES } from '../helpers/paths.js';
import { contractCheck, startCli } from '../helpers/cli.js';

/** Resolves once the progress line shows `packets` packets read. */
async function readUpTo(err: () => string, packets: number): Promise<void> {
  for (let i = 0; i < 600 && !new RegExp(`\\b${packets} packets`).test(err()); i++) await new Promise((r) => setTimeout(r, 50));
}

test('the first Ctrl-C finishes with what was read and exits 130', async (t) => {
  const capture = readFileSync(path.join(CAPTURES, 'close-wait-leak.pcap'));
  const run = startCli(['analyze', '--format', 'ndjson', '--progress', '-']);
  run.child.stdin.write(capture); // and the pipe stays open, as tcpdump's would
  await readUpTo(run.err, 93);
  run.child.kill('SIGINT');
  const code = await run.exit;
  t.is(code, 130, run.err());
  t.regex(run.err(), /interrupted: finishing with what was read/);
  const check = contractCheck(run.out());
  t.true(check.ok, check.output);
  const records = run.out().trim().split('\n').map((l) => JSON.parse(l));
  t.is(records.filter((r) => r.type === 'connection').length, 8);
  t.true(records.some((r) => r.type === 'finding' && r.code === 'close_wait_leak'));
  const summary = records.at(-1);
  t.is(summary.type, 'summary');
  t.is(summary.packets, 93);
  t.true(summary.warnings.some((w: string) => w.startsWith('interrupted: <stdin> was read up to byte 8258')), summary.warnings.join('; '));
});
