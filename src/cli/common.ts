/**
 * What every command that reads captures shares: the captures positional,
 * the analysis options and their checks. A value is checked as the option
 * is parsed, before any capture is read, and a bad one is named as typed.
 */
import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, InferredOptionTypes } from 'yargs';
import { DEFAULTS, type AnalyzeOptions, type CaptureInput } from '../analyze.js';
import { LIMITS, type NumberLimit } from '../option-limits.js';
import { progressLine, shown, UsageError, type Io } from './io.js';

/** yargs drops a bare `-`, so standard input travels through parsing under this name. */
export const STDIN_ARG = '\u0000stdin';

/**
 * An argument after `--` is a file whatever it looks like (`-x.pcap`), but
 * yargs leaves such arguments out of the positionals: each travels through
 * parsing as an ordinary word, behind this mark, and leaves it before the
 * command sees it.
 */
export const OPERAND_MARK = '\u0000operand:';

/** An argument as typed, without the mark of one given after `--`. */
export const unmarked = (arg: string): string => (arg.startsWith(OPERAND_MARK) ? arg.slice(OPERAND_MARK.length) : arg);

export const capturesPositional = (y: Argv) =>
  y.positional('captures', { type: 'string', array: true, demandOption: true, describe: 'capture files (pcap, pcapng), or - for standard input' });

/** The text the user typed for an option, for messages (a default arrives as a number). */
const typed = (value: unknown): string => shown(String(value));

/** One value: an option given twice is a mistake, not a list. */
export function single(name: string, value: unknown): unknown {
  if (Array.isArray(value)) throw new UsageError(`--${name} given ${value.length} times: give it once`);
  return value;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A parser for a number option within [min, max] (whole numbers only when `whole`). */
export function numberOption(name: string, what: string, { min = 0, max = Number.MAX_SAFE_INTEGER, whole = false }: Partial<NumberLimit> = {}) {
  return (raw: unknown): number => {
    const value = single(name, raw);
    const n = typeof value === 'number' ? value : DECIMAL.test(String(value)) ? Number(value) : NaN;
    if (Number.isNaN(n) || (whole && !Number.isInteger(n) && Number.isFinite(n))) throw new UsageError(`--${name} ${typed(value)}: not ${what}`);
    if (!(n >= min && n <= max)) throw new UsageError(`--${name} ${typed(value)}: out of range (${min} to ${max})`);
    return n;
  };
}

/** A flag checked against the limits the library's option of the same name has (option-limits.ts). */
export const limited = (name: string, limit: NumberLimit) => numberOption(name, limit.what, limit);

export const COMMON_OPTIONS = {
  'stuck-after': {
    default: DEFAULTS.stuckAfter,
    coerce: limited('stuck-after', LIMITS.stuckAfter),
    describe: 'seconds an endpoint may wait in FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, SYN_SENT or SYN_RECV before it is flagged stuck',
  },
  'time-wait': {
    default: DEFAULTS.timeWait,
    coerce: limited('time-wait', LIMITS.timeWait),
    describe: 'TIME_WAIT length in seconds used to age endpoints out (Linux: 60)',
  },
  'max-live': {
    default: DEFAULTS.maxLive,
    coerce: limited('max-live', LIMITS.maxLive),
    describe: 'most live connections held; beyond it the idlest leave the table, those waiting in a close judged at the end of the capture',
  },
  'max-record': {
    default: DEFAULTS.maxRecord,
    coerce: limited('max-record', LIMITS.maxRecord),
    describe: 'largest capture record accepted, in bytes',
  },
  progress: { type: 'boolean', describe: 'progress on stderr (default: when stderr is a terminal)' },
} as const;

export type CommonArgs = ArgumentsCamelCase<InferredOptionTypes<typeof COMMON_OPTIONS>>;

/** The pipeline's options from the common ones, wired to the process's output and signals. */
export function analysisOptions({ stuckAfter, timeWait, maxLive, maxRecord, progress }: CommonArgs, io: Io): AnalyzeOptions {
  const options: AnalyzeOptions = { signal: io.signal, pause: () => io.out.room(), stuckAfter, timeWait, maxLive, maxRecord };
  if (progress ?? process.stderr.isTTY) options.onProgress = progressLine();
  return options;
}

/**
 * A path from the command line. Node reads arguments as UTF-8, and bytes
 * that are none become U+FFFD: such a name cannot be opened, and saying "no
 * such file" would mislead.
 */
export function pathArg(path: string, where = ''): string {
  if (path.includes('\ufffd') && !existsSync(path)) {
    throw new UsageError(`${where}${shown(path)}: this name is not valid UTF-8 and cannot be opened by name: rename the file, or give it on standard input (- < FILE)`);
  }
  return path;
}

/** A path option's value, checked as a path; `-` is refused here (an option that takes it handles it before). */
export function pathOption(name: string, value: string | undefined): string | undefined {
  if (value === '-') throw new UsageError(`--${name} -: name a file; standard input is not read here`);
  return value === undefined ? undefined : pathArg(value, `--${name} `);
}

/** The inputs named on the command line; `-` (standard input) at most once. */
export function inputsOf(captures: string[]): CaptureInput[] {
  const inputs = captures.map((c) => (c === STDIN_ARG ? '-' : pathArg(String(c))));
  if (inputs.length === 0) throw new UsageError('no capture given');
  if (inputs.filter((c) => c === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  return inputs;
}

const CONNECTION_ID = /^C[1-9]\d*$/;

/** `--connection` values, each checked to be a connection id (C and the frame number of its first packet). */
export function connectionIds(ids: string[] | undefined): string[] {
  const bad = (ids ?? []).find((id) => !CONNECTION_ID.test(id));
  if (bad !== undefined) throw new UsageError(`--connection ${shown(bad)}: not a connection id (C and the frame number of its first packet, as C8550)`);
  return ids ?? [];
}
