/** `check`: the CI verdict, exit 0 or 1, from a policy, rule flags and a baseline. */
import { analyzeInBatches } from '../analyze.js';
import { runCheck } from '../check/commands.js';
import { defineCommand } from './command.js';
import { analysisOptions, capturesPositional, COMMON_OPTIONS, inputsOf } from './common.js';
import { EXIT, finish } from './io.js';
import { summaryOf } from './summary-tap.js';

export const checkCommand = defineCommand({
  command: 'check <captures..>',
  describe: 'regression check for CI: exit 1 when the policy or baseline is violated',
  positionals: capturesPositional,
  options: {
    ...COMMON_OPTIONS,
    policy: { type: 'string', describe: 'policy file (JSON)' },
    baseline: { type: 'string', describe: 'earlier `analyze --format ndjson` output to compare with' },
    max: { type: 'string', array: true, nargs: 1, describe: 'CODE=N: at most N of an anomaly or finding code (repeatable)' },
    'forbid-state': { type: 'string', array: true, nargs: 1, describe: 'fail when an endpoint ends the capture in this state' },
    'fail-on': { choices: ['warning', 'critical'] as const, describe: 'fail on any finding of this severity or worse' },
    format: { choices: ['text', 'ndjson', 'junit'] as const, default: 'text' as const },
  } as const,
  run: async (args, io) => {
    const { captures, policy, baseline, max, forbidState, failOn, format } = args;
    const inputs = inputsOf(captures);
    // The verdict is the point: a reader that goes away (`| head -1`) must not turn a failure into exit 0.
    io.out.keepGoingWhenClosed();
    const tap = summaryOf(analyzeInBatches(inputs, analysisOptions(args, io)));
    const verdict = await runCheck(tap.records, {
      format,
      policyFile: policy,
      baselineFile: baseline,
      max: max ?? [],
      forbidStates: forbidState ?? [],
      failOn,
      out: io.out,
    });
    const read = finish(tap.summary());
    return read === EXIT.ok ? verdict : read;
  },
});
