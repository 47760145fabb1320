/**
 * A file written whole: through a temporary file beside it and a rename, so
 * that FILE is either complete or as it was. A name that leads to no regular
 * file (/dev/null, /dev/stdout, a named pipe, a device) is written in place:
 * a rename would replace the device or the link itself, not write to it. A
 * link to a regular file is followed, its target replaced.
 */
import { closeSync, openSync, realpathSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';

export class WholeFile {
  readonly fd: number;
  /** The temporary file renamed onto the target when complete; undefined when written in place. */
  private readonly temporary: string | undefined;
  private readonly target: string;
  private open = true;

  constructor(file: string) {
    const existing = statSync(file, { throwIfNoEntry: false });
    const inPlace = existing !== undefined && !existing.isFile();
    // A new file, or a link to a regular file, is made beside its target and renamed onto it.
    this.target = existing?.isFile() ? realpathSync(file) : file;
    this.temporary = inPlace ? undefined : `${this.target}.${process.pid}.tmp`;
    this.fd = openSync(this.temporary ?? this.target, 'w');
  }

  /** Whether FILE stays as it was when the writing fails (false: written in place, a device or a pipe). */
  get untouchedOnFailure(): boolean {
    return this.temporary !== undefined;
  }

  /** Writes all of `bytes[from, to)`, however many writes it takes. */
  write(bytes: Uint8Array, from = 0, to = bytes.length): void {
    for (let done = from; done < to; ) done += writeSync(this.fd, bytes, done, to - done);
  }

  /** Completes the file: FILE now holds it whole. */
  commit(): void {
    this.close();
    if (this.temporary !== undefined) renameSync(this.temporary, this.target);
  }

  /** Leaves FILE as it was (but a device or pipe, written in place). */
  abandon(): void {
    try {
      this.close();
    } catch {
      // already failing: the temporary file goes all the same
    }
    if (this.temporary !== undefined) rmSync(this.temporary, { force: true });
  }

  private close(): void {
    if (!this.open) return;
    this.open = false;
    closeSync(this.fd);
  }
}
