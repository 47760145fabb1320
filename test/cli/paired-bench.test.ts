/**
 * scripts/bench/paired.sh, as the README's Performance section runs it: two
 * builds (here the same one twice) in turn on a capture, a line per pair and
 * the medians of the pair ratios; a build that is not built is refused.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CAPTURES, ROOT } from '../helpers/paths.js';

const script = path.join(ROOT, 'scripts/bench/paired.sh');
const hasTime = existsSync('/usr/bin/time') && existsSync('/dev/shm');

test('two builds in turn: a line per pair, then the medians of B/A', (t) => {
  if (!hasTime) return t.pass('GNU time or /dev/shm is missing (.ci/run installs time)');
  const run = spawnSync('bash', [script, ROOT, ROOT, path.join(CAPTURES, 'close-wait-leak.pcap'), '2'], { encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  t.regex(lines[0]!, /^pair\s+A wall/);
  const pairs = lines.filter((line) => /^\s+\d+\s/.test(line));
  t.is(pairs.length, 2);
  for (const pair of pairs) {
    const fields = pair.trim().split(/\s+/).map(Number);
    t.is(fields.length, 9);
    t.true(fields.every((x) => Number.isFinite(x) && x >= 0), pair);
    t.true(fields[3]! > 0 && fields[6]! > 0, 'peak memory measured');
    t.true(Math.abs(fields[7]! - fields[4]! / fields[1]!) <= 0.0006, `B/A wall of ${pair}`);
  }
  // Of two pairs, the median is their mean, between the two.
  const ratios = (column: number) => pairs.map((pair) => Number(pair.trim().split(/\s+/)[column]));
  for (const [name, column] of [['wall', 7], ['cpu', 8]] as const) {
    const [low, high] = ratios(column).sort((x, y) => x - y) as [number, number];
    const median = new RegExp(`median B/A ${name} +(\\d+\\.\\d{3}) \\((\\d+\\.\\d{3}) to (\\d+\\.\\d{3})\\)`).exec(run.stdout);
    t.truthy(median, run.stdout);
    t.true(Math.abs(Number(median![1]) - (low + high) / 2) <= 0.0011, `${name}: ${median![0]}`);
    t.is(Number(median![2]), low);
    t.is(Number(median![3]), high);
  }
});

test('a build without dist/ is refused with exit 2', (t) => {
  const empty = mkdtempSync(path.join(tmpdir(), 'paired-'));
  const run = spawnSync('bash', [script, empty, ROOT, path.join(CAPTURES, 'close-wait-leak.pcap'), '1'], { encoding: 'utf8' });
  t.is(run.status, 2);
  t.regex(run.stderr, /dist\/cli\.js: not built/);
});
