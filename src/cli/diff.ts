/** `diff`: two analyses side by side, each a capture or the NDJSON of an earlier `analyze`; exit 1 when they differ. */
import { runDiff } from '../check/diff.js';
import { defineCommand } from './command.js';
import type { SummaryRecord } from '../records.js';
import { analysisOptions, COMMON_OPTIONS, inputsOf } from './common.js';
import { EXIT, finish } from './io.js';

export const diffCommand = defineCommand({
  command: 'diff <old> <new>',
  describe: 'two analyses side by side (captures or NDJSON of an earlier analyze); exit 1 when they differ',
  positionals: (y) =>
    y
      .positional('old', { type: 'string', demandOption: true, describe: 'the earlier analysis: a capture, or NDJSON of analyze (- for standard input)' })
      .positional('new', { type: 'string', demandOption: true, describe: 'the later analysis, likewise' }),
  options: {
    ...COMMON_OPTIONS,
    format: { choices: ['text', 'ndjson'] as const, default: 'text' as const, describe: 'output format (NDJSON: a difference record per row, then the totals)' },
  } as const,
  run: async (args, io) => {
    const { old, new: newer, format } = args;
    const [before, after] = inputsOf([old, newer]) as [string, string];
    // A capture read here reports its warnings and damage as analyze does: damage part-way is exit 3, whatever the verdict.
    const captures: SummaryRecord[] = [];
    const verdict = await runDiff(before, after, { format, analyzeOptions: analysisOptions(args, io), out: io.out, read: (summary) => captures.push(summary) });
    const read = captures.map(finish);
    return read.includes(EXIT.corrupt) ? EXIT.corrupt : verdict;
  },
});
