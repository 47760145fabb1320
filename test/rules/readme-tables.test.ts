/** The README's tables of codes and states are the lists in src/rules/codes.ts and src/state/states.ts, no more and no less. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ANOMALY_CODES, FINDING_CODES } from '../../src/rules/codes.js';
import { stateNamed, TCP_STATES } from '../../src/state/states.js';
import { ROOT } from '../helpers/paths.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The first column of the table that follows `heading` (a line of the README). */
function tableAfter(heading: string): string[][] {
  const at = readme.indexOf(heading);
  if (at < 0) throw new Error(`no "${heading}" in the README`);
  const lines = readme.slice(at).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
}
const codeOf = (cell: string): string => /^`([a-z0-9_]+)`$/.exec(cell)?.[1] ?? `not a code: ${cell}`;

test('the README\'s anomaly table lists exactly the anomaly codes, in their order', (t) => {
  t.deepEqual(tableAfter('Anomalies, per connection').map((row) => codeOf(row[0]!)), [...ANOMALY_CODES]);
});

test('the README\'s findings table lists exactly the finding codes, in their order', (t) => {
  t.deepEqual(tableAfter('| code | when | severity |').map((row) => codeOf(row[0]!)), [...FINDING_CODES]);
});

test('the README\'s states table lists exactly the states, and each other spelling it gives means that state', (t) => {
  const rows = tableAfter('### States');
  t.deepEqual(rows.map((row) => /^`([A-Z_0-9]+)`$/.exec(row[0]!)?.[1]), [...TCP_STATES]);
  for (const [state, also] of rows) {
    for (const spelling of also!.matchAll(/`([^`]+)`/g)) t.is<string | undefined, string | undefined>(stateNamed(spelling[1]!), /`(.+)`/.exec(state!)?.[1], spelling[1]);
    t.is<string | undefined, string>(stateNamed(state!.replace(/`/g, '').toLowerCase().replace(/_/g, '-')), state!.replace(/`/g, ''), 'ss state filters are lower case');
  }
});
