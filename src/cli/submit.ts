/**
 * `submit --redis URL <capture...>`: one run across machines on BullMQ over
 * Redis: a job per capture file, a merge job depending on them; the merged
 * analysis is written here, in the chosen --format, with the exit code
 * `analyze` gives.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { DEFAULTS } from '../analyze.js';
import { probeFile } from '../capture/source.js';
import { readsAsStream } from '../capture/stream-input.js';
import { redactedUrl } from '../distributed/redis-url.js';
import { AnalysisFile } from '../merge/analysis-file.js';
import type { OutputRecord, SummaryRecord } from '../records.js';
import { TableWriter } from '../report/table.js';
import { defineCommand } from './command.js';
import { COMMON_OPTIONS, inputsOf, pathOption } from './common.js';
import { loadDistributed, redisUrl } from './distributed.js';
import { finish, say, shown, UsageError } from './io.js';

export const submitCommand = defineCommand({
  command: 'submit <captures..>',
  describe: 'analyze capture files across machines on BullMQ over Redis (start `worker` on each): a job per file, then a merge; the merged analysis is written here',
  positionals: (y) => y.positional('captures', { type: 'string', array: true, demandOption: true, describe: 'capture files (pcap, pcapng), by paths every worker reads alike (not standard input or a pipe)' }),
  options: {
    ...COMMON_OPTIONS,
    redis: { type: 'string', demandOption: true, describe: 'Redis URL (redis://host:6379, rediss:// for TLS)' },
    format: { choices: ['text', 'ndjson'] as const, default: 'text' as const, describe: 'output format' },
    'work-dir': { type: 'string', describe: "directory for the run's files, on storage every worker shares (default: beside the first capture)" },
    'keep-work': { type: 'boolean', default: false, describe: "keep the run's files (each file's analysis and the merged one) in the work directory" },
  } as const,
  run: async (args, io) => {
    const { captures, redis, format, workDir: given, keepWork, stuckAfter, timeWait, maxLive, maxRecord, progress } = args;
    const url = redisUrl(redis);
    const files = inputsOf(captures).map((c) => {
      if (typeof c !== 'string' || c === '-' || readsAsStream(c)) throw new UsageError('submit sends files to workers by name: give capture files, not standard input or a pipe');
      probeFile(c); // not a capture: exit 2 before anything is queued
      return path.resolve(c);
    });
    const workDir = path.resolve(pathOption('work-dir', given) ?? path.join(path.dirname(files[0]!), `.tcp-lifecycle-run-${randomUUID().slice(0, 8)}`));
    const { removeWork, RunFailed, submit } = await loadDistributed(() => import('../distributed/submit.js'), 'submit');
    const removeWorkOrSay = (workDir: string): void => {
      const why = removeWork(workDir);
      if (why !== undefined) say(`warning: the work directory ${shown(workDir)} stays: ${why}`);
    };
    const showProgress = progress ?? process.stderr.isTTY;
    let result;
    try {
      result = await submit(url, files, {
        options: { stuckAfter: stuckAfter ?? DEFAULTS.stuckAfter, timeWait: timeWait ?? DEFAULTS.timeWait, maxLive: maxLive ?? DEFAULTS.maxLive, maxRecord: maxRecord ?? DEFAULTS.maxRecord },
        workDir,
        signal: io.signal,
        warn: (line) => say(line),
        reached: () => say(`submitting ${files.length} file(s) to ${redactedUrl(url)}; work directory ${shown(workDir)}`),
        progress: (analyzed, total) => {
          if (showProgress) process.stderr.write(`\r${analyzed} of ${total} file(s) analyzed${analyzed === total ? ', merging' : ''}  `);
        },
      });
    } catch (error) {
      if (showProgress) process.stderr.write('\n');
      if (error instanceof RunFailed) {
        if (!keepWork) removeWorkOrSay(workDir);
        throw new UsageError(shown(error.message));
      }
      if (io.signal.aborted) {
        say(`the run's jobs stay in the queue; its files are in ${shown(workDir)}`);
        return 0;
      }
      throw new UsageError(`${redactedUrl(url)}: ${(error as Error).message}`);
    }
    if (showProgress) process.stderr.write('\n');
    const summary = await writeOut(result.output, format, io.out);
    if (!keepWork) removeWorkOrSay(workDir);
    return finish(summary);
  },
});

/** The merged analysis on standard output: its bytes (NDJSON) or the table; resolves with its summary. */
async function writeOut(file: string, format: 'text' | 'ndjson', out: { write(chunk: string | Uint8Array): boolean; room(): Promise<void> | undefined }): Promise<SummaryRecord> {
  if (format === 'ndjson') {
    for await (const chunk of createReadStream(file)) {
      out.write(chunk as Buffer);
      const wait = out.room();
      if (wait) await wait;
    }
    return new AnalysisFile(file).summary;
  }
  const table = new TableWriter(out);
  let summary: SummaryRecord | undefined;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const record = JSON.parse(line) as OutputRecord | { type: 'merge_state' };
    if (record.type === 'connection') table.connection(record);
    else if (record.type === 'finding') table.finding(record);
    else if (record.type === 'summary') table.summary((summary = record));
  }
  table.flush();
  if (!summary) throw new UsageError(`${shown(file)}: the merged analysis has no summary`);
  return summary;
}
