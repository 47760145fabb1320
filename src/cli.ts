#!/usr/bin/env node
/**
 * tcp-lifecycle command line: a thin layer over the library pipeline.
 * Exit codes (CONTRACT.md): 0 read to the end (check: passed), 1 check
 * failed, 2 nothing usable, 3 input corrupt part-way.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { analyzeInBatches, runPipelineTo, DEFAULTS, type AnalyzeOptions, type CaptureInput, type Progress } from './analyze.js';
import { CaptureError } from './capture/frame.js';
import type { OutputRecord, SummaryRecord } from './records.js';
import { NdjsonEncoder } from './report/ndjson-encoder.js';
import { TableWriter } from './report/table.js';
import { runReport, runStates } from './report/commands.js';
import { runCheck, runDiff } from './check/commands.js';
import { PolicyError } from './check/policy.js';
import { runSharded } from './parallel/sharded.js';
import { roomIn } from './report/back-pressure.js';

const EXIT_OK = 0;
const EXIT_USAGE = 2;
const EXIT_CORRUPT = 3;

class UsageError extends Error {}

function say(message: string): void {
  process.stderr.write(`tcp-lifecycle: ${message}\n`);
}

/** Piping into `head` closes stdout early: that is the reader's choice, not an error. */
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_OK);
  say(`cannot write output: ${error.message}`);
  process.exit(EXIT_USAGE);
});
/**
 * Ctrl-C: the first stops the reading and finishes with what was read
 * (connections as they stood, findings, summary), then exits 130; a second
 * quits at once.
 */
const interrupt = new AbortController();
const EXIT_INTERRUPTED = 130;
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT_INTERRUPTED);
  say('interrupted: finishing with what was read (Ctrl-C again to quit at once)');
  interrupt.abort();
});

interface CommonArgs {
  captures: string[];
  'stuck-after': number;
  'time-wait': number;
  'max-live': number;
  'max-record': number;
  progress: boolean | undefined;
}

function withCommonOptions<T>(y: Argv<T>) {
  return y
    .positional('captures', { type: 'string', array: true, demandOption: true, describe: 'capture files (pcap, pcapng), or - for standard input' })
    .option('stuck-after', {
      type: 'number',
      default: DEFAULTS.stuckAfter,
      describe: 'seconds an endpoint may wait in FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, SYN_SENT or SYN_RECV before it is flagged stuck',
    })
    .option('time-wait', { type: 'number', default: DEFAULTS.timeWait, describe: 'TIME_WAIT length in seconds used to age endpoints out (Linux: 60)' })
    .option('max-live', { type: 'number', default: DEFAULTS.maxLive, describe: 'most live connections held; beyond it the oldest idle ones are reported early' })
    .option('max-record', { type: 'number', default: DEFAULTS.maxRecord, describe: 'largest capture record accepted, in bytes' })
    .option('progress', { type: 'boolean', describe: 'progress on stderr (default: when stderr is a terminal)' });
}

function positiveNumber(name: string, value: number, allowZero = true): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) throw new UsageError(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  return value;
}

function analyzeOptions(args: CommonArgs): AnalyzeOptions {
  const options: AnalyzeOptions = {
    signal: interrupt.signal,
    pause: () => roomIn(process.stdout),
    stuckAfter: positiveNumber('stuck-after', args['stuck-after']),
    timeWait: positiveNumber('time-wait', args['time-wait']),
    maxLive: positiveNumber('max-live', args['max-live'], false),
    maxRecord: positiveNumber('max-record', args['max-record'], false),
  };
  if (args.progress ?? process.stderr.isTTY) options.onProgress = progressLine();
  return options;
}

/** yargs drops a bare `-`, so standard input travels through parsing under this name. */
const STDIN_ARG = '\u0000stdin';

function inputsOf(args: { captures: string[] }): CaptureInput[] {
  args.captures = args.captures.map((c) => (c === STDIN_ARG ? '-' : String(c)));
  if (args.captures.length === 0) throw new UsageError('no capture given');
  if (args.captures.filter((c) => c === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  return args.captures;
}

/** A progress line on stderr, rewritten at most twice a second. */
function progressLine(): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 500) return;
    last = now;
    const share = p.totalBytes ? ` ${((100 * p.bytes) / p.totalBytes).toFixed(0)}%` : '';
    process.stderr.write(`\r${p.input}:${share} ${(p.bytes / 1e6).toFixed(0)} MB, ${p.packets} packets, ${p.connections} connections  `);
  };
}

function clearProgress(options: AnalyzeOptions): void {
  if (options.onProgress) process.stderr.write('\r\x1b[K');
}

/** Warnings and part-way damage, after the output; the exit code follows from them. */
function finish(summary: SummaryRecord | undefined): number {
  if (!summary) return EXIT_OK;
  for (const warning of summary.warnings) say(`warning: ${warning}`);
  for (const error of summary.errors) say(`${error.file}: ${error.reason} at byte offset ${error.offset}; results up to there were kept`);
  return summary.errors.length > 0 ? EXIT_CORRUPT : EXIT_OK;
}

async function analyzeCommand(args: CommonArgs & { format: string; jobs: number }): Promise<number> {
  const options = analyzeOptions(args);
  const inputs = inputsOf(args);
  const jobs = positiveNumber('jobs', args.jobs, false);
  if (!Number.isInteger(jobs)) throw new UsageError(`--jobs must be a whole number, got ${jobs}`);
  let summary: SummaryRecord | undefined;
  if (jobs > 1) {
    if (args.format !== 'ndjson') throw new UsageError('--jobs writes NDJSON: add --format ndjson');
    if (inputs.includes('-')) throw new UsageError('--jobs reads files (every worker reads them all), not standard input');
  }
  // Files go to worker threads even for one job: the main thread writes the output meanwhile, and a
  // worker's young generation is kept small (reference capture: 0.89 of the time, 136 MiB against 151).
  if (args.format === 'ndjson' && !inputs.includes('-')) {
    const encoder = new NdjsonEncoder((bytes) => process.stdout.write(bytes));
    summary = await runSharded(inputs as string[], options, jobs, {
      connections: (bytes, written) => process.stdout.write(bytes, written),
      finding: (record) => encoder.record(record),
      summary: (record) => encoder.record(record),
      room: () => roomIn(process.stdout),
    });
    encoder.flush();
  } else if (args.format === 'ndjson') {
    const encoder: NdjsonEncoder = new NdjsonEncoder((bytes) => process.stdout.write(bytes, () => encoder.release(bytes)));
    summary = await runPipelineTo(inputs, options, {
      connection: (record, log) => encoder.connection(record, log),
      finding: (record) => encoder.record(record),
      summary: (record) => encoder.record(record),
    });
    encoder.flush();
  } else {
    const table = new TableWriter(process.stdout);
    summary = await runPipelineTo(inputs, options, {
      connection: (record) => table.connection(record),
      finding: (record) => table.finding(record),
      summary: (record) => table.summary(record),
    });
    table.flush();
  }
  clearProgress(options);
  return finish(summary);
}

/** Feeds records to a command while keeping the summary for the exit code. */
async function* tapSummary(batches: AsyncIterable<OutputRecord[]>, keep: (s: SummaryRecord) => void): AsyncGenerator<OutputRecord[]> {
  for await (const batch of batches) {
    for (const record of batch) if (record.type === 'summary') keep(record);
    yield batch;
  }
}

/** Ladder diagrams of a report: the first 12 segments of a connection and its last 12. */
const REPORT_SEGMENTS = 24;

async function reportCommand(args: CommonArgs & { format: string; connection: string[] | undefined; output: string | undefined }): Promise<number> {
  const options = { ...analyzeOptions(args), keepSegments: REPORT_SEGMENTS };
  let summary: SummaryRecord | undefined;
  const records = tapSummary(analyzeInBatches(inputsOf(args), options), (s) => (summary = s));
  await runReport(records, {
    format: args.format as 'text' | 'md' | 'html',
    connectionIds: args.connection ?? [],
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    out: process.stdout,
  });
  clearProgress(options);
  return finish(summary);
}

async function statesCommand(args: CommonArgs & { at: string | undefined; format: string }): Promise<number> {
  const options = analyzeOptions(args);
  let summary: SummaryRecord | undefined;
  const records = tapSummary(analyzeInBatches(inputsOf(args), { ...options, findings: false }), (s) => (summary = s));
  await runStates(records, { at: args.at, format: args.format as 'text' | 'ndjson', out: process.stdout });
  clearProgress(options);
  return finish(summary);
}

async function checkCommand(
  args: CommonArgs & { format: string; policy: string | undefined; baseline: string | undefined; max: string[] | undefined; 'forbid-state': string[] | undefined; 'fail-on': string | undefined },
): Promise<number> {
  const options = analyzeOptions(args);
  let summary: SummaryRecord | undefined;
  const records = tapSummary(analyzeInBatches(inputsOf(args), options), (s) => (summary = s));
  const code = await runCheck(records, {
    format: args.format as 'text' | 'ndjson' | 'junit',
    policyFile: args.policy,
    baselineFile: args.baseline,
    max: args.max ?? [],
    forbidStates: args['forbid-state'] ?? [],
    failOn: args['fail-on'] as 'warning' | 'critical' | undefined,
    out: process.stdout,
  });
  clearProgress(options);
  const readCode = finish(summary);
  return readCode === EXIT_OK ? code : readCode;
}

async function diffCommand(args: CommonArgs & { old: string; new: string; format: string }): Promise<number> {
  const options = analyzeOptions(args);
  return runDiff(args.old, args.new, { format: args.format as 'text' | 'ndjson', analyzeOptions: options, out: process.stdout });
}

async function main(argv: string[]): Promise<number> {
  let exitCode = EXIT_OK;
  const run =
    <A>(command: (args: A) => Promise<number>) =>
    async (args: A): Promise<void> => {
      exitCode = await command(args);
    };
  await yargs(argv)
    .scriptName('tcp-lifecycle')
    .usage('$0 <command> [options] <capture...>')
    .command('analyze <captures..>', 'every connection lifecycle: states, transitions, anomalies, findings', (y) =>
      withCommonOptions(y)
        .option('format', { choices: ['text', 'ndjson'], default: 'text', describe: 'output format' })
        .option('jobs', { alias: 'j', type: 'number', default: 1, describe: 'worker threads; connections are split among them by flow hash (needs --format ndjson)' }),
      run(analyzeCommand as never),
    )
    .command('report <captures..>', 'incident report: findings first, then the evidence', (y) =>
      withCommonOptions(y)
        .option('format', { choices: ['text', 'md', 'html'], default: 'text', describe: 'report format' })
        .option('connection', { type: 'string', array: true, nargs: 1, describe: 'also draw the ladder diagram of this connection id' })
        .option('output', { alias: 'o', type: 'string', describe: 'write the report to this file' }),
      run(reportCommand as never),
    )
    .command('states <captures..>', 'netstat-like state counts per host at a time', (y) =>
      withCommonOptions(y)
        .option('at', { type: 'string', describe: 'time: epoch seconds, ISO date, or +seconds from the capture start (default: end of capture)' })
        .option('format', { choices: ['text', 'ndjson'], default: 'text' }),
      run(statesCommand as never),
    )
    .command('check <captures..>', 'regression check for CI: exit 1 when the policy or baseline is violated', (y) =>
      withCommonOptions(y)
        .option('policy', { type: 'string', describe: 'policy file (JSON)' })
        .option('baseline', { type: 'string', describe: 'earlier `analyze --format ndjson` output to compare with' })
        .option('max', { type: 'string', array: true, nargs: 1, describe: 'CODE=N: at most N of an anomaly or finding code (repeatable)' })
        .option('forbid-state', { type: 'string', array: true, nargs: 1, describe: 'fail when an endpoint ends the capture in this state' })
        .option('fail-on', { choices: ['warning', 'critical'], describe: 'fail on any finding of this severity or worse' })
        .option('format', { choices: ['text', 'ndjson', 'junit'], default: 'text' }),
      run(checkCommand as never),
    )
    .command('diff <old> <new>', 'two analyses side by side (captures or NDJSON of an earlier analyze)', (y) =>
      withCommonOptions(y.positional('old', { type: 'string', demandOption: true }).positional('new', { type: 'string', demandOption: true }))
        .option('format', { choices: ['text', 'ndjson'], default: 'text' }),
      run(diffCommand as never),
    )
    .demandCommand(1, 'name a command: analyze, report, states, check or diff')
    .strict()
    .help()
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    })
    .parseAsync();
  return exitCode;
}

main(hideBin(process.argv).map((a) => (a === '-' ? STDIN_ARG : a))).then(
  (code) => {
    process.exitCode = interrupt.signal.aborted ? EXIT_INTERRUPTED : code;
  },
  (error: unknown) => {
    if (error instanceof CaptureError) {
      say(error.offset > 0 || error.kind !== 'not-capture' ? error.message : `${error.file}: ${error.reason}`);
      process.exitCode = error.kind === 'corrupt' ? EXIT_CORRUPT : EXIT_USAGE;
    } else if (error instanceof UsageError || error instanceof PolicyError) {
      say(error.message);
      if (error instanceof UsageError) process.stderr.write(`run 'tcp-lifecycle --help' for usage\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      // A defect, not bad input: say so plainly, keep the trace for the bug report.
      say(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 70;
    }
  },
);
