/**
 * The command line: parses the arguments, runs one command, and maps what
 * it ended with to an exit code (CONTRACT.md): 0 read to the end (check:
 * passed), 1 check failed, 2 nothing usable, 3 input corrupt part-way, 130
 * and 143 stopped by SIGINT or SIGTERM, 70 a defect of the tool.
 */
import { readFileSync } from 'node:fs';
import yargs from 'yargs';
import { CaptureError } from '../capture/frame.js';
import { CheckError } from '../check/policy.js';
import { didYouMean } from '../check/suggest.js';
import { TimeError } from '../report/states-at.js';
import { analyzeCommand } from './analyze.js';
import { checkCommand } from './check.js';
import type { Command } from './command.js';
import { OPERAND_MARK, STDIN_ARG, unmarked } from './common.js';
import { diffCommand } from './diff.js';
import { extractCommand } from './extract.js';
import { mergeCommand } from './merge.js';
import { submitCommand } from './submit.js';
import { workerCommand } from './worker.js';
import { EXIT, Interrupt, Output, say, shown, UsageError, type Io } from './io.js';
import { reportCommand } from './report.js';
import { statesCommand } from './states.js';

/** The tool's own version (yargs would find the package.json of the project it is installed in). */
const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const COMMANDS: readonly Command[] = [analyzeCommand, reportCommand, statesCommand, checkCommand, diffCommand, extractCommand, mergeCommand, submitCommand, workerCommand];

/** Runs the command line `args` (without node and the script); resolves with the exit code. */
export async function main(args: string[]): Promise<number> {
  const interrupt = new Interrupt();
  const io: Io = { out: new Output(), signal: interrupt.signal };
  let exitCode: number = EXIT.ok;
  try {
    refuseUnknownOptions(args);
    let y = yargs(forParsing(args))
      .scriptName('tcp-lifecycle')
      // Values reach the options' own parsers as typed, so a bad one is named as typed (1e400, not Infinity).
      .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false })
      .usage('$0 <command> [options] <capture...>');
    for (const command of COMMANDS) y = command.register(y, io, (code) => (exitCode = code));
    await y
      .demandCommand(1, `name a command: ${COMMANDS.map((c) => c.name).join(', ')}`)
      .strict()
      .help()
      .alias('help', 'h')
      .version(VERSION)
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((message, error) => {
        // yargs' own complaints (and an option's value refused while parsing) are usage errors.
        if (!error || error.name === 'YError') throw new UsageError(usageMessage(error?.message ?? message));
        throw error;
      })
      .parseAsync();
    return interrupt.exitCode ?? exitCode;
  } catch (error) {
    return interrupt.exitCode ?? failure(error);
  }
}

/**
 * The arguments as yargs is to see them: `-` (standard input) under its
 * parsing name and, for a command that takes files, every argument after
 * `--` marked as one (the Unix convention: `analyze -- -x.pcap` reads the
 * file `-x.pcap`), since yargs leaves them out of the positionals.
 */
function forParsing(args: string[]): string[] {
  const parsed = args.map((a) => (a === '-' ? STDIN_ARG : a));
  const end = args.indexOf('--');
  if (end < 0 || !COMMANDS.find((c) => c.name === args[0])?.takesFiles) return parsed;
  return [...parsed.slice(0, end), ...parsed.slice(end + 1).map((a) => (a === STDIN_ARG ? a : OPERAND_MARK + a))];
}

/**
 * An option the command does not have is refused by name before parsing:
 * yargs would take the word after it as its value and then complain of a
 * missing capture instead.
 */
function refuseUnknownOptions(args: string[]): void {
  const first = args[0];
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    if (first === undefined || first.startsWith('-')) return;
    const names = COMMANDS.map((c) => c.name);
    throw new UsageError(`unknown command ${shown(first)}${didYouMean(first, names) || `: name one of ${names.join(', ')}`}`);
  }
  for (const arg of args) {
    if (arg === '--') return;
    const long = /^--(?:no-)?([^=]+)/.exec(arg);
    const short = /^-([^-\d])/.exec(arg);
    const name = long?.[1] ?? short?.[1];
    if (name !== undefined && !command.knows(name)) {
      // A near miss of a long name is suggested; a short letter or a word far from every name is not.
      const hint = long ? didYouMean(name, command.optionNames, Math.min(3, Math.floor(name.length / 3))).replace(/mean (\S+)\?$/, 'mean --$1?') : '';
      throw new UsageError(`${command.name}: unknown option ${shown(long ? `--${name}` : `-${name}`)}${shown(hint)}`);
    }
  }
}

/** yargs' wording, in the tool's: an option it does not know is an "unknown option". */
function usageMessage(message: string): string {
  const unknown = /^Unknown arguments?: (.*)$/.exec(message);
  if (unknown) {
    // A word after `--` is no option: one too many (diff -- a b c) is named as typed.
    const words = unknown[1]!.split(', ');
    const extra = words.filter((a) => a.startsWith(OPERAND_MARK)).map((a) => shown(unmarked(a)));
    const options = words.filter((a) => !a.startsWith(OPERAND_MARK)).map((a) => (a.length > 1 ? `--${a}` : `-${a}`));
    return [options.length > 0 ? `unknown option ${options.join(', ')}` : '', extra.length > 0 ? `too many arguments: ${extra.join(', ')}` : ''].filter(Boolean).join('; ');
  }
  // A value outside an option's choices: each named as typed, with the choices, on one line.
  if (message.startsWith('Invalid values:')) {
    const invalid = [...message.matchAll(/Argument: (\S+), Given: (.*), Choices: (.*)/g)].map(([, name, given, choices]) => `--${name} ${shown(unquoted(given!))}: not one of ${choices!.split(', ').map(unquoted).join(', ')}`);
    if (invalid.length > 0) return invalid.join('; ');
  }
  const missing = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (missing) return `${missing[2]} input(s) needed, ${missing[1]} given: name capture files, or - for standard input`;
  return message;
}

/** A value as yargs quotes it in messages (JSON), as typed. */
function unquoted(text: string): string {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : text;
  } catch {
    return text;
  }
}

/** The exit code of a run that threw, after one line on stderr. */
function failure(error: unknown): number {
  if (error instanceof CaptureError) {
    say(error.offset > 0 || error.kind !== 'not-capture' ? error.message : `${error.file}: ${error.reason}`);
    return error.kind === 'corrupt' ? EXIT.corrupt : EXIT.usage;
  }
  if (error instanceof UsageError || error instanceof CheckError || error instanceof TimeError) {
    say(error.message);
    return EXIT.usage;
  }
  // A defect, not bad input: say so plainly, keep the trace for the bug report.
  say(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return EXIT.internal;
}
