/**
 * Everything the command line does with the process, in one place: exit
 * codes, messages on stderr, the progress line, standard output (its
 * back-pressure and a reader that goes away) and the signals that stop a run.
 * Commands receive these; none of them touches `process` itself.
 */
import { createWriteStream, fstatSync } from 'node:fs';
import { WholeFile } from '../whole-file.js';
import type { Writable } from 'node:stream';
import type { Progress } from '../analyze.js';
import type { SummaryRecord } from '../records.js';

/** Exit codes, as CONTRACT.md fixes them. */
export const EXIT = {
  ok: 0,
  /** `check` only: a rule was broken. */
  failed: 1,
  /** Nothing usable: a usage error, a missing file, no capture. */
  usage: 2,
  /** Damage part-way: results up to it were kept. */
  corrupt: 3,
  /** A defect of the tool, not of the input. */
  internal: 70,
  /** Stopped by SIGINT or SIGTERM: 128 plus the signal's number. */
  SIGINT: 130,
  SIGTERM: 143,
} as const;

/** A mistake on the command line or in a file given with an option (policy, baseline): exit 2 with one line. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A name as messages show it: control characters (a file name may hold an
 * escape sequence) escaped, so a name can never move the terminal.
 */
export function shown(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    const code = c.charCodeAt(0);
    return code === 0x09 ? '\\t' : code === 0x0a ? '\\n' : code === 0x0d ? '\\r' : `\\x${code.toString(16).padStart(2, '0')}`;
  });
}

let progressShown = false;

/** Erases the progress line, so that output or a message does not land after it. */
function clearProgress(): void {
  if (!progressShown) return;
  progressShown = false;
  process.stderr.write('\r\x1b[K');
}

/** One message on stderr, after the progress line is cleared; control characters in it (from a file name) are escaped. */
export function say(message: string): void {
  clearProgress();
  process.stderr.write(`tcp-lifecycle: ${shown(message)}\n`);
}

/** A progress line on stderr, rewritten at most twice a second. */
export function progressLine(): (p: Progress) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < 500) return;
    last = now;
    const share = p.totalBytes ? ` ${((100 * p.bytes) / p.totalBytes).toFixed(0)}%` : '';
    progressShown = true;
    process.stderr.write(`\r${shown(p.input)}:${share} ${(p.bytes / 1e6).toFixed(0)} MB, ${p.packets} packets, ${p.connections} connections  `);
  };
}

/**
 * Bytes queued for a file before reading waits. The writes complete only
 * when the analysis yields, between input chunks, and a wait lasts until the
 * whole queue is written: with 4 MiB the analysis waited after nearly every
 * input chunk (7% of the run idle); 16 MiB is never reached while the thread
 * pool keeps up, and bounds the queue when it does not.
 */
const FILE_QUEUE_BYTES = 16 << 20;

/**
 * Standard output as a stream. Node writes a regular file synchronously, on
 * the thread that makes the bytes; written through the thread pool instead,
 * the copy into the file overlaps the making of the next bytes (a tenth of an
 * analysis to NDJSON). Not when standard error goes to the same file: its
 * messages must stay after the output they follow.
 */
function standardOutput(): Writable & { isTTY?: boolean } {
  try {
    const out = fstatSync(1);
    const err = fstatSync(2);
    if (out.isFile() && !(err.dev === out.dev && err.ino === out.ino)) return createWriteStream('', { fd: 1, autoClose: false, highWaterMark: FILE_QUEUE_BYTES });
  } catch {
    // Not a file we can tell about: Node's own stream.
  }
  return process.stdout;
}

/**
 * Standard output. A reader that goes away (`| head`) closes the pipe: for
 * most commands that is the reader's choice and the run ends quietly (exit
 * 0), but a verdict must survive it, so `check` keeps going with its output
 * dropped (`keepGoingWhenClosed`) and exits with what it found.
 */
export class Output {
  private closed = false;
  private keepGoing = false;

  constructor(private readonly stream: Writable & { isTTY?: boolean } = standardOutput()) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') {
        say(`cannot write output: ${error.message}`);
        process.exit(EXIT.usage);
      }
      this.closed = true;
      if (!this.keepGoing) process.exit(EXIT.ok);
    });
  }

  /** The run goes on when the reader goes away: its exit code still matters. */
  keepGoingWhenClosed(): void {
    this.keepGoing = true;
  }

  get isTerminal(): boolean {
    return Boolean(this.stream.isTTY);
  }

  /** Writes, unless the reader went away; `done` runs once the bytes are out (or dropped). */
  write(chunk: string | Uint8Array, done?: () => void): boolean {
    if (this.closed) {
      done?.();
      return true;
    }
    clearProgress();
    return done ? this.stream.write(chunk, done) : this.stream.write(chunk);
  }

  /** A promise while more is queued than the stream wants (a pipe to a slower reader); reading waits on it. */
  room(): Promise<void> | undefined {
    if (this.closed || !this.stream.writableNeedDrain) return undefined;
    // Also a reader that goes away ends the wait (the error is handled above).
    return new Promise((resolve) => {
      const done = (): void => {
        for (const event of ['drain', 'error', 'close']) this.stream.off(event, done);
        resolve();
      };
      for (const event of ['drain', 'error', 'close']) this.stream.on(event, done);
    });
  }
}

/**
 * Writes a whole file (see WholeFile: FILE is either complete or untouched).
 * The text goes out piece by piece and every write is checked to the last
 * byte; one that fails (a full disk, ENOSPC) is an error naming the file.
 */
export function writeFileWhole(file: string, text: string | string[]): void {
  let out: WholeFile | undefined;
  try {
    out = new WholeFile(file);
    for (const piece of typeof text === 'string' ? [text] : text) out.write(Buffer.from(piece, 'utf8'));
    out.commit();
  } catch (error) {
    out?.abandon();
    const code = (error as NodeJS.ErrnoException).code;
    const left = out === undefined || out.untouchedOnFailure ? '; nothing was written to it' : '';
    throw new UsageError(`${shown(file)}: cannot write${code === 'ENOSPC' ? ': no space left on the device' : ''} (${code ?? (error as Error).message})${left}`);
  }
}

/**
 * SIGINT (Ctrl-C) and SIGTERM (`docker stop`, systemd): the first stops the
 * reading and the run finishes with what was read (connections as they
 * stood, findings, a summary saying where reading stopped), then exits 130 or
 * 143; a second quits at once.
 */
export class Interrupt {
  private readonly controller = new AbortController();
  private by: 'SIGINT' | 'SIGTERM' | undefined;

  constructor() {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (this.by) process.exit(EXIT[this.by]);
        this.by = signal;
        say(`${signal === 'SIGINT' ? 'interrupted' : 'terminated'}: finishing with what was read (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to quit at once)`);
        this.controller.abort();
      });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The exit code a signal sets, if one came. */
  get exitCode(): number | undefined {
    return this.by && EXIT[this.by];
  }
}

/** What a command gets from the process: standard output, and the signal that stops its reading. */
export interface Io {
  out: Output;
  signal: AbortSignal;
}

/** Warnings and part-way damage, after the output; the exit code follows from them. */
export function finish(summary: SummaryRecord | undefined): number {
  clearProgress();
  if (!summary) return EXIT.ok;
  for (const warning of summary.warnings) say(`warning: ${warning}`);
  for (const error of summary.errors) say(`${error.file}: ${error.reason} at byte offset ${error.offset}; results up to there were kept`);
  return summary.errors.length > 0 ? EXIT.corrupt : EXIT.ok;
}
