/** `analyze`: every connection lifecycle, as a text table or NDJSON records. */
import { availableParallelism } from 'node:os';
import { runPipelineTo } from '../analyze.js';
import type { SummaryRecord } from '../records.js';
import { runSharded } from '../parallel/sharded.js';
import { NdjsonEncoder } from '../report/ndjson-encoder.js';
import { TableWriter } from '../report/table.js';
import { defineCommand } from './command.js';
import { LIMITS } from '../option-limits.js';
import { analysisOptions, capturesPositional, COMMON_OPTIONS, inputsOf, limited } from './common.js';
import { finish, say, UsageError } from './io.js';

const options = {
  ...COMMON_OPTIONS,
  format: { choices: ['text', 'ndjson'] as const, default: 'text' as const, describe: 'output format' },
  jobs: {
    alias: 'j',
    default: 1,
    coerce: limited('jobs', LIMITS.jobs),
    describe: 'worker threads; connections are split among them by flow hash (needs --format ndjson)',
  },
} as const;

export const analyzeCommand = defineCommand({
  command: 'analyze <captures..>',
  describe: 'every connection lifecycle: states, transitions, anomalies, findings',
  positionals: capturesPositional,
  options,
  run: async (args, io) => {
    const { captures, format, jobs: asked } = args;
    const inputs = inputsOf(captures);
    const analysis = analysisOptions(args, io);
    if (asked > 1 && format !== 'ndjson') throw new UsageError('--jobs writes NDJSON: add --format ndjson');
    // More threads than cores only take turns, each with a tracker's memory.
    const cores = availableParallelism();
    if (asked > cores) say(`warning: --jobs ${asked}: this machine has ${cores} core(s); using ${cores}`);
    const jobs = Math.min(asked, cores);
    let summary: SummaryRecord;
    if (format === 'ndjson') {
      // One job runs in this thread; more split the connections over worker threads that one reader feeds.
      const encoder = new NdjsonEncoder((bytes) => io.out.write(bytes));
      summary = await runSharded(inputs, analysis, jobs, {
        connections: (bytes, written) => io.out.write(bytes, written),
        finding: (record) => encoder.record(record),
        summary: (record) => encoder.record(record),
        mergeState: (record) => encoder.record(record),
        room: () => io.out.room(),
      });
      encoder.flush();
    } else {
      const table = new TableWriter(io.out);
      summary = await runPipelineTo(inputs, { ...analysis, onTcpPacket: table.seen }, {
        connection: (record) => table.connection(record),
        finding: (record) => table.finding(record),
        summary: (record) => table.summary(record),
        tick: () => table.flush(),
      });
      table.flush();
    }
    return finish(summary);
    },
});
