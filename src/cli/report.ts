/** `report`: the incident report, findings first and then the evidence, as text, Markdown or HTML. */
import { analyzeInBatches } from '../analyze.js';
import { runReport } from '../report/commands.js';
import { defineCommand } from './command.js';
import { analysisOptions, capturesPositional, COMMON_OPTIONS, inputsOf, pathOption } from './common.js';
import { finish, writeFileWhole } from './io.js';
import { summaryOf } from './summary-tap.js';

/** Ladder diagrams of a report: the first 12 segments of a connection and its last 12. */
const REPORT_SEGMENTS = 24;

export const reportCommand = defineCommand({
  command: 'report <captures..>',
  describe: 'incident report: findings first, then the evidence',
  positionals: capturesPositional,
  options: {
    ...COMMON_OPTIONS,
    format: { choices: ['text', 'md', 'html'] as const, default: 'text' as const, describe: 'report format' },
    connection: { type: 'string', array: true, nargs: 1, describe: 'also draw the ladder diagram of this connection id' },
    output: { alias: 'o', type: 'string', describe: 'write the report to this file' },
  } as const,
  run: async (args, io) => {
    const { captures, format, connection, output } = args;
    const inputs = inputsOf(captures);
    const options = { ...analysisOptions(args, io), keepSegments: REPORT_SEGMENTS };
    const tap = summaryOf(analyzeInBatches(inputs, options));
    let text = '';
    await runReport(tap.records, {
      format,
      connectionIds: connection ?? [],
      color: output === undefined && io.out.isTerminal && !process.env.NO_COLOR,
      out: output === undefined ? io.out : { write: (chunk: string) => (text += chunk) },
    });
    if (output !== undefined) writeFileWhole(pathOption('output', output)!, text);
    return finish(tap.summary());
  },
});
