/** `check`: the CI verdict, exit 0 or 1, from a policy, rule flags and a baseline, or the default rules. */
import { analyzeInBatches } from '../analyze.js';
import { checkPolicy, readBaseline, runCheck } from '../check/check.js';
import { DEFAULT_RULES } from '../check/policy.js';
import { defineCommand } from './command.js';
import { analysisOptions, capturesPositional, COMMON_OPTIONS, inputsOf, pathOption } from './common.js';
import { EXIT, finish, say, UsageError } from './io.js';
import { summaryOf } from './summary-tap.js';

export const checkCommand = defineCommand({
  command: 'check <captures..>',
  describe: `regression check for CI: exit 1 when a rule or the baseline is broken (no policy, rule flag or baseline: ${DEFAULT_RULES})`,
  positionals: capturesPositional,
  options: {
    ...COMMON_OPTIONS,
    policy: { type: 'string', describe: 'policy file (JSON)' },
    baseline: { type: 'string', describe: 'earlier `analyze --format ndjson` output to compare with' },
    max: { type: 'string', array: true, nargs: 1, describe: 'CODE=N: at most N of an anomaly or finding code (repeatable)' },
    'forbid-state': { type: 'string', array: true, nargs: 1, describe: 'fail when an endpoint ends the capture in this state (netstat or ss names; repeatable)' },
    'fail-on': { choices: ['warning', 'critical'] as const, describe: 'fail on any finding of this severity or worse' },
    format: { choices: ['text', 'ndjson', 'junit'] as const, default: 'text' as const, describe: 'output format: text, NDJSON (the analysis, a violation per broken rule, the verdict, the summary) or JUnit XML (a test case per rule)' },
  } as const,
  run: async (args, io) => {
    const { captures, policy: policyFile, baseline: baselineFile, max, forbidState, failOn, format } = args;
    const inputs = inputsOf(captures);
    // Every rule and the baseline are checked before the capture is read.
    const policy = checkPolicy({ policyFile: pathOption('policy', policyFile), max: max ?? [], forbidStates: forbidState ?? [], failOn, baseline: baselineFile !== undefined });
    if (policy.defaults) say(`no policy, rule flag or baseline given: default rules apply: ${DEFAULT_RULES}`);
    if (baselineFile === '-' && inputs.includes('-')) throw new UsageError('standard input (-) can be read only once: give the baseline or the capture as a file');
    const baseline = baselineFile === undefined ? undefined : await readBaseline(baselineFile === '-' ? '-' : pathOption('baseline', baselineFile)!);
    // The verdict is the point: a reader that goes away (`| head -1`) must not turn a failure into exit 0.
    io.out.keepGoingWhenClosed();
    const tap = summaryOf(analyzeInBatches(inputs, analysisOptions(args, io)));
    const verdict = await runCheck(tap.records, { format, policy, baseline, out: io.out, room: () => io.out.room() });
    const read = finish(tap.summary());
    return read === EXIT.ok ? verdict : read;
  },
});
