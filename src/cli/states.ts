/** `states`: the netstat view, endpoints per state on each host, at a moment of the capture. */
import { analyzeInBatches } from '../analyze.js';
import { runStates } from '../report/commands.js';
import { defineCommand } from './command.js';
import { analysisOptions, capturesPositional, COMMON_OPTIONS, inputsOf } from './common.js';
import { finish } from './io.js';
import { summaryOf } from './summary-tap.js';

export const statesCommand = defineCommand({
  command: 'states <captures..>',
  describe: 'netstat-like state counts per host at a time',
  positionals: capturesPositional,
  options: {
    ...COMMON_OPTIONS,
    at: { type: 'string', describe: 'time: epoch seconds, ISO date, or +seconds from the capture start (default: end of capture)' },
    format: { choices: ['text', 'ndjson'] as const, default: 'text' as const },
  } as const,
  run: async (args, io) => {
    const { captures, at, format } = args;
    const inputs = inputsOf(captures);
    const tap = summaryOf(analyzeInBatches(inputs, { ...analysisOptions(args, io), findings: false }));
    await runStates(tap.records, { at, format, out: io.out });
    return finish(tap.summary());
  },
});
