/** `states`: the netstat view, endpoints per state on each host, at a moment of the capture. */
import { runStates } from '../report/commands.js';
import { parseAt } from '../report/states-at.js';
import { defineCommand } from './command.js';
import { analysisOptions, capturesPositional, COMMON_OPTIONS, inputsOf, single } from './common.js';
import { finish } from './io.js';

export const statesCommand = defineCommand({
  command: 'states <captures..>',
  describe: 'netstat-like state counts per host at a time',
  positionals: capturesPositional,
  options: {
    ...COMMON_OPTIONS,
    at: {
      type: 'string',
      // Checked as parsed, before the capture is read; whether it falls in the capture is known at its end.
      coerce: (at: unknown) => (parseAt(String(single('at', at))), String(at)),
      describe: 'time: epoch seconds, an ISO date (UTC unless it names a zone), or +seconds from the capture start (default: end of capture)',
    },
    format: { choices: ['text', 'ndjson'] as const, default: 'text' as const, describe: 'output format (NDJSON: the analysis, a states record per host, the summary)' },
  } as const,
  run: async (args, io) => {
    const { captures, at, format } = args;
    const inputs = inputsOf(captures);
    const { summary } = await runStates(inputs, analysisOptions(args, io), { at: parseAt(at), given: at ?? '', format, out: io.out });
    return finish(summary);
  },
});
