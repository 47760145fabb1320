/**
 * scripts/captures/sweep/against-kernel.mjs, which compares the captures of a
 * lossy sweep with the kernel's sockets beside them: on two shipped lossy
 * scenarios it finds every endpoint as the kernel has it, and a kernel view
 * changed by hand shows as a mismatch of that kind.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAPTURES, ROOT } from '../helpers/paths.js';

const script = path.join(ROOT, 'scripts/captures/sweep/against-kernel.mjs');

/** A sweep folder holding the named shipped scenarios: NAME.pcap beside NAME.ss-ROLE.txt. */
function sweepOf(names: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tl-sweep-'));
  for (const file of readdirSync(CAPTURES)) {
    if (names.some((name) => file === `${name}.pcap` || file.startsWith(`${name}.ss-`))) copyFileSync(path.join(CAPTURES, file), path.join(dir, file));
  }
  return dir;
}

function compare(dir: string) {
  const run = spawnSync(process.execPath, [script, dir, '-v'], { encoding: 'utf8' });
  const totals = JSON.parse(run.stdout.split('\n').find((line) => line.startsWith('{'))!) as Record<string, number>;
  return { run, totals };
}

test('two lossy router scenarios: every endpoint as the kernel has it, no false alarm', (t) => {
  const { run, totals } = compare(sweepOf(['router-lossy', 'ipv6-router-lossy']));
  t.is(run.status, 0, run.stderr);
  t.is(totals.captures, 2);
  t.true(totals.endpoints! >= 12, `${totals.endpoints} endpoints`);
  t.is(totals.mismatches, 0, run.stdout);
  t.is(totals.false_half_open, 0);
  t.is(totals.false_stuck_at_end, 0);
});

test('a kernel view changed by hand is a mismatch of that kind', (t) => {
  const dir = sweepOf(['router-lossy']);
  const file = path.join(dir, 'router-lossy.ss-client.txt');
  const lines = readFileSync(file, 'utf8').split('\n');
  const i = lines.findIndex((line) => line.startsWith('TIME-WAIT'));
  t.true(i >= 0, 'the client holds a TIME_WAIT');
  lines[i] = lines[i]!.replace('TIME-WAIT', 'FIN-WAIT-2');
  writeFileSync(file, lines.join('\n'));
  const { totals, run } = compare(dir);
  t.is(totals.mismatches, 1, run.stdout);
  t.regex(run.stdout, /client: ours TIME_WAIT, kernel FIN_WAIT2/);
});

test('no folder named: usage, exit 2', (t) => {
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  t.is(run.status, 2);
  t.regex(run.stderr, /^usage: /);
});
