/** `extract`: the packets of chosen connections, or of a finding's, as a capture for the incident ticket. */
import { extract, ExtractError } from '../extract/extract.js';
import { FINDING_CODES } from '../rules/codes.js';
import { defineCommand } from './command.js';
import { analysisOptions, capturesPositional, COMMON_OPTIONS, connectionIds, inputsOf, pathOption, single } from './common.js';
import { finish, say, shown, UsageError } from './io.js';
import { readsAsStream } from '../capture/stream-input.js';

export const extractCommand = defineCommand({
  command: 'extract <captures..>',
  describe: "write the packets of connections (--connection ID ...) or of a finding's connections (--finding CODE) to a capture file",
  positionals: capturesPositional,
  options: {
    ...COMMON_OPTIONS,
    connection: { type: 'string', array: true, nargs: 1, describe: 'a connection id, as records, reports and the table name it (C and its first frame); repeat it for more' },
    finding: { choices: FINDING_CODES, coerce: (code: unknown) => single('finding', code) as (typeof FINDING_CODES)[number], describe: 'every connection of the findings of this code (reads the captures twice: files, not standard input or a pipe)' },
    output: { alias: 'o', type: 'string', demandOption: true, describe: 'the capture file to write (pcap or pcapng as the input; written through a temporary file beside it)' },
  } as const,
  run: async (args, io) => {
    const { captures, connection, finding, output } = args;
    if ((connection === undefined) === (finding === undefined)) throw new UsageError('extract: name the connections with --connection ID, or a finding with --finding CODE (one of the two)');
    connectionIds(connection);
    const inputs = inputsOf(captures);
    // A stream is read once: a pipe or FIFO named as a file (`<(zcat x.pcap.gz)`) is as standard input here.
    const stream = finding === undefined ? undefined : inputs.find((c) => typeof c === 'string' && readsAsStream(c));
    if (stream !== undefined) throw new UsageError(`${stream === '-' ? '' : `${shown(String(stream))}: `}--finding reads the captures twice (the first time to find the finding's connections): name files, not standard input or a pipe`);
    const file = pathOption('output', output)!;
    try {
      const result = await extract(inputs, analysisOptions(args, io), finding !== undefined ? { finding } : { connections: connection! }, file);
      say(`${file}: ${result.packets} packets of ${result.connections} connection(s)`);
      return finish(result.summary);
    } catch (error) {
      if (error instanceof ExtractError) throw new UsageError(error.message);
      if ((error as NodeJS.ErrnoException).code) throw new UsageError(`${file}: cannot write (${(error as NodeJS.ErrnoException).code}); nothing was written to it`);
      throw error;
    }
  },
});
