/** `report`: the incident report, findings first and then the evidence, as text, Markdown or HTML. */
import { runReport } from '../report/commands.js';
import { defineCommand } from './command.js';
import { analysisOptions, capturesPositional, COMMON_OPTIONS, connectionIds, inputsOf, pathOption } from './common.js';
import { finish, say, writeFileWhole } from './io.js';

export const reportCommand = defineCommand({
  command: 'report <captures..>',
  describe: 'incident report: findings first, then the evidence',
  positionals: capturesPositional,
  options: {
    ...COMMON_OPTIONS,
    format: { choices: ['text', 'md', 'html'] as const, default: 'text' as const, describe: 'report format' },
    connection: { type: 'string', array: true, nargs: 1, describe: 'also draw the ladder diagram of this connection id' },
    output: { alias: 'o', type: 'string', describe: 'write the report to this file (through a temporary file beside it, renamed when complete); nothing goes to standard output' },
  } as const,
  run: async (args, io) => {
    const { captures, format, connection, output } = args;
    const connectionIdsAsked = connectionIds(connection);
    const inputs = inputsOf(captures);
    // `-o -` is standard output, as without -o.
    const file = output === '-' ? undefined : pathOption('output', output);
    const pieces: string[] = [];
    const { summary, notFound } = await runReport(inputs, analysisOptions(args, io), {
      format,
      connectionIds: connectionIdsAsked,
      color: file === undefined && io.out.isTerminal && !process.env.NO_COLOR,
      out: file === undefined ? io.out : { write: (piece: string) => pieces.push(piece) },
    });
    if (file !== undefined) writeFileWhole(file, pieces);
    for (const id of notFound) say(`warning: --connection ${id}: no such connection in the capture, so no ladder for it (an id is C and the frame number of the connection's first packet)`);
    return finish(summary);
  },
});
