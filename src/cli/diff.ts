/** `diff`: two analyses side by side, each a capture or the NDJSON of an earlier `analyze`; exit 1 when they differ. */
import { runDiff } from '../check/diff.js';
import { defineCommand } from './command.js';
import { analysisOptions, COMMON_OPTIONS, inputsOf } from './common.js';

export const diffCommand = defineCommand({
  command: 'diff <old> <new>',
  describe: 'two analyses side by side (captures or NDJSON of an earlier analyze); exit 1 when they differ',
  positionals: (y) => y.positional('old', { type: 'string', demandOption: true }).positional('new', { type: 'string', demandOption: true }),
  options: {
    ...COMMON_OPTIONS,
    format: { choices: ['text', 'ndjson'] as const, default: 'text' as const },
  } as const,
  run: async (args, io) => {
    const { old, new: newer, format } = args;
    const [before, after] = inputsOf([old, newer]) as [string, string];
    return runDiff(before, after, { format, analyzeOptions: analysisOptions(args, io), out: io.out });
  },
});
