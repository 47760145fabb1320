/**
 * Opt-in stress test: a million and two million unanswered SYNs from distinct
 * sources (every one a live connection) through analyze, report and states,
 * as a user runs them. Each must finish within bounded memory (peak resident
 * memory below the V8 heap limit of a default Node process), or stop cleanly
 * before that limit: an exit code other than 134 (heap out of memory) and 70
 * (internal error), a message on stderr, no stack trace.
 *
 * Runs only when asked (several minutes on the 2-core reference machine):
 *   STRESS=1 npm test -- --timeout=60m .build/test/stress/syn-flood.test.js
 *   STRESS=1 STRESS_SYNS=2000000 npm test -- --timeout=60m .build/test/stress/syn-flood.test.js   # one size only
 * Needs GNU time (/usr/bin/time) for the peak memory. See docs/robustness.md for figures.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { CLI, ROOT } from '../helpers/paths.js';

const ENABLED = process.env.STRESS === '1';
const SIZES = process.env.STRESS_SYNS ? [Number(process.env.STRESS_SYNS)] : [1_000_000, 2_000_000];
const HEAP_LIMIT = v8.getHeapStatistics().heap_size_limit;
const COMMANDS = [['analyze', '--format', 'ndjson'], ['analyze'], ['report'], ['report', '--format', 'html'], ['states']];
const register = ENABLED && existsSync('/usr/bin/time') ? test.serial : test.skip;
const dir = ENABLED ? mkdtempSync(path.join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'syn-flood-')) : '';
if (ENABLED) test.after.always(() => rmSync(dir, { recursive: true, force: true }));

for (const syns of SIZES) {
  const flood = path.join(dir, `syn-${syns}.pcap`);
  for (const command of COMMANDS) {
    register(`${command.join(' ')} on ${syns.toLocaleString('en')} SYNs finishes within bounded memory, or stops cleanly before the heap limit`, (t) => {
      t.timeout(30 * 60_000);
      if (!existsSync(flood)) spawnSync(process.execPath, [path.join(ROOT, 'scripts/bench/make-syn-flood.mjs'), String(syns), flood], { stdio: 'inherit' });
      const devNull = openSync('/dev/null', 'w');
      const run = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, CLI, ...command, flood], {
        stdio: ['ignore', devNull, 'pipe'],
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
      closeSync(devNull);
      const lines = run.stderr.trim().split('\n');
      const [peakKiB, seconds] = lines.pop()!.split(' ').map(Number) as [number, number];
      const peak = peakKiB * 1024;
      t.log(`exit ${run.status}, peak ${(peak / 2 ** 20).toFixed(0)} MiB (heap limit ${(HEAP_LIMIT / 2 ** 20).toFixed(0)} MiB), ${seconds} s; stderr: ${lines.join(' | ')}`);
      t.not(run.status, 134, 'heap out of memory');
      t.not(run.status, 70, 'internal error');
      t.notRegex(run.stderr, /heap out of memory|internal error|\n\s+at /);
      t.true(peak < HEAP_LIMIT, 'peak memory under the heap limit');
      if (run.status !== 0) t.regex(lines.join('\n'), /^tcp-lifecycle: /m, 'a failure says why');
    });
  }
}
