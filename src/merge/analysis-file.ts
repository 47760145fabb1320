/**
 * One input of `merge`: an `analyze --format ndjson` output (or an earlier
 * merge's), read from its end for its merge state and summary, and by byte
 * ranges for its connection records, which are never parsed whole.
 */
import fs from 'node:fs';
import type { SummaryRecord } from '../records.js';
import { MERGE_STATE_VERSION, type MergeStateRecord } from './state.js';

const CHUNK = 1 << 20;

/** An input that is no mergeable analysis: exit 2, naming the file. */
export class MergeInputError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export class AnalysisFile {
  readonly state: MergeStateRecord;
  readonly summary: SummaryRecord;
  /** Open while the file is read: a merge of many files holds one at a time. */
  private fd = -1;

  constructor(readonly path: string) {
    this.open();
    try {
      [this.state, this.summary] = this.lastRecords();
    } finally {
      this.close();
    }
  }

  open(): void {
    if (this.fd >= 0) return;
    try {
      this.fd = fs.openSync(this.path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new MergeInputError(this.path, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? String(error)})`);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** The merge state and the summary: the last two lines. */
  private lastRecords(): [MergeStateRecord, SummaryRecord] {
    const size = fs.fstatSync(this.fd).size;
    let tail = Buffer.alloc(0);
    let end = size;
    // Read back until three newlines are in hand: the end of the line before the merge state, its end, the summary's end.
    while (end > 0) {
      const n = Math.min(CHUNK, end);
      const chunk = Buffer.alloc(n);
      fs.readSync(this.fd, chunk, 0, n, end - n);
      end -= n;
      tail = Buffer.concat([chunk, tail]);
      if (countNewlines(tail) >= 3) break;
    }
    const text = tail.toString('utf8').replace(/\n$/, '');
    const lines = text.split('\n');
    const summary = parse(lines.at(-1), this.path);
    const state = parse(lines.at(-2), this.path);
    if (summary?.type !== 'summary') throw new MergeInputError(this.path, 'does not end with a summary record: not an `analyze --format ndjson` output, or cut short');
    if (state?.type !== 'merge_state') throw new MergeInputError(this.path, 'has no merge_state record before its summary: analyze the capture again with this version of tcp-lifecycle');
    if (state.version !== MERGE_STATE_VERSION) throw new MergeInputError(this.path, `has a merge state of version ${String(state.version)}, this tool reads version ${MERGE_STATE_VERSION}`);
    return [state as unknown as MergeStateRecord, summary as unknown as SummaryRecord];
  }

  /**
   * The lines of [from, to), each with its newline, read a mebibyte at a
   * time, each read into a buffer of its own (a line cut by a read moves to
   * the front of the next): a line's view stays valid after the call, so a
   * line the merge holds needs no copy. Between reads, a promise from
   * `pause` (the output is behind) is awaited.
   */
  async lines(from: number, to: number, onLine: (line: Buffer) => void, pause?: () => Promise<void> | undefined): Promise<void> {
    let buf = Buffer.allocUnsafeSlow(CHUNK);
    /** Bytes of a line cut by the last read, at the front of `buf`. */
    let cut = 0;
    for (let at = from; at < to; ) {
      const end = cut + this.read(buf, cut, Math.min(to - at, buf.length - cut), at, to);
      at += end - cut;
      let start = 0;
      for (let nl = buf.indexOf(0x0a, cut); nl >= 0 && nl < end; nl = buf.indexOf(0x0a, start)) {
        onLine(buf.subarray(start, nl + 1));
        start = nl + 1;
      }
      cut = end - start;
      // The next buffer holds the cut line and a whole read more (a line may be longer than a read).
      const next = Buffer.allocUnsafeSlow(cut + CHUNK);
      buf.copy(next, 0, start, end);
      buf = next;
      const wait = pause?.();
      if (wait) await wait;
    }
    if (cut > 0) throw new MergeInputError(this.path, `a record at byte ${to - cut} is cut short`);
  }

  /** Reads `length` bytes at file offset `position` into `buf` at `offset`, all of them; `to` names where the records should end. */
  private read(buf: Buffer, offset: number, length: number, position: number, to: number): number {
    for (let done = 0; done < length; ) {
      const n = fs.readSync(this.fd, buf, offset + done, length - done, position + done);
      if (n === 0) throw new MergeInputError(this.path, `ends before byte ${to}, where its merge state says its records end`);
      done += n;
    }
    return length;
  }
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let at = b.indexOf(0x0a); at >= 0 && n < 3; at = b.indexOf(0x0a, at + 1)) n++;
  return n;
}

function parse(line: string | undefined, file: string): Record<string, unknown> | undefined {
  if (line === undefined) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new MergeInputError(file, 'its last records are not JSON: not an `analyze --format ndjson` output, or cut short');
  }
}
