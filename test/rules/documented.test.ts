/** Every finding code is documented in the README, each code has one rule, and the advice never recommends a removed sysctl. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RULES } from '../../src/rules/findings.js';
import { ADVICE } from '../../src/rules/knowledge.js';
import { ANOMALY_CODES, FINDING_CODES } from '../../src/rules/codes.js';
import { ANOMALY_RULES } from '../../src/rules/anomalies.js';
import { ROOT } from '../helpers/paths.js';

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

for (const rule of RULES) {
  test(`finding ${rule.code} is documented in the README's findings table`, (t) => {
    t.regex(readme, new RegExp(`\\| \`${rule.code}\` \\|`));
  });
}

test('advice never recommends tcp_tw_recycle: it only warns that it is gone', (t) => {
  for (const [code, steps] of Object.entries(ADVICE)) {
    for (const step of steps) {
      if (step.includes('tcp_tw_recycle')) t.regex(step, /Never use tcp_tw_recycle: it was removed in Linux 4\.12/, code);
    }
  }
  t.regex(ADVICE.time_wait_storm.join(' '), /keep-alive/);
  t.regex(ADVICE.time_wait_storm.join(' '), /ip_local_port_range/);
});

test('the findings table has one rule for each finding code, and nothing else', (t) => {
  t.deepEqual(RULES.map((r) => r.code).sort(), [...FINDING_CODES].sort());
});

test('the anomaly table judges each anomaly code in exactly one rule, and nothing else', (t) => {
  t.deepEqual(ANOMALY_RULES.flatMap((r) => r.codes).sort(), [...ANOMALY_CODES].sort());
});
