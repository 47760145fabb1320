/** `merge`: the NDJSON analyses of consecutive files of one capture joined into the analysis of them all. */
import { MergeInputError } from '../merge/analysis-file.js';
import { mergeAnalyses } from '../merge/merge.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';
import { readsAsStream } from '../capture/stream-input.js';
import { defineCommand } from './command.js';
import { pathArg, STDIN_ARG } from './common.js';
import { finish, shown, UsageError } from './io.js';

export const mergeCommand = defineCommand({
  command: 'merge <analyses..>',
  describe: 'join the `analyze --format ndjson` outputs of consecutive files of one capture, in any order, into the analysis one run over all the files gives',
  positionals: (y) => y.positional('analyses', { type: 'string', array: true, demandOption: true, describe: 'NDJSON analyses (of files, or earlier merges)' }),
  options: {},
  run: async ({ analyses }, io) => {
    const files = analyses.map((a) => {
      const file = a === STDIN_ARG ? '-' : pathArg(String(a));
      // The merge state and summary are read from each file's end before its records: a stream cannot be read so.
      if (readsAsStream(file)) throw new UsageError(`${file === '-' ? '' : `${shown(file)}: `}merge reads each analysis as a file, its end first: save it to a file and name that, not standard input (-) or a pipe`);
      return file;
    });
    const encoder = new NdjsonEncoder((bytes) => io.out.write(bytes));
    try {
      const summary = await mergeAnalyses(files, {
        write: (bytes) => io.out.write(bytes),
        room: () => io.out.room(),
        finding: (record) => encoder.record(record),
        mergeState: (record) => encoder.record(record),
        summary: (record) => encoder.record(record),
      }, () => {});
      encoder.flush();
      return finish(summary);
    } catch (error) {
      if (error instanceof MergeInputError) throw new UsageError(shown(error.message));
      throw error;
    }
  },
});
