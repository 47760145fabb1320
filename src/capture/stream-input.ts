/**
 * Inputs that can be read only once: standard input, a pipe (`<(zcat x.gz)`
 * is /dev/fd/63), a FIFO, a device, any readable stream. Their first chunks,
 * taken to check the format and find the first packet before any output, are
 * kept and handed out again before the rest, so nothing is read twice and
 * nothing is lost.
 *
 * A FIFO is opened without blocking and read through the event loop (as Node
 * reads a piped standard input): opening waits for no writer, the reading
 * waits for one, and an interrupt can always stop it.
 */
import fs from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';

export class StreamInput {
  /** Chunks taken to probe the input, handed out again first. */
  private readonly head: Uint8Array[] = [];
  private replayed = 0;
  private readonly chunks: AsyncIterator<Uint8Array | string>;

  constructor(readonly stream: NodeJS.ReadableStream) {
    this.chunks = (stream as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  }

  /** Bytes taken to probe the input. */
  get headBytes(): number {
    let n = 0;
    for (const chunk of this.head) n += chunk.length;
    return n;
  }

  /** Reads a chunk ahead and keeps it; undefined at the end of the input. */
  async peek(): Promise<Uint8Array | string | undefined> {
    const { value, done } = await this.chunks.next();
    if (done) return undefined;
    if (typeof value !== 'string') this.head.push(value);
    return value;
  }

  /** The next chunk: the ones peeked first, then the stream's; undefined at its end. */
  async next(): Promise<Uint8Array | string | undefined> {
    if (this.replayed < this.head.length) {
      const chunk = this.head[this.replayed++]!;
      if (this.replayed === this.head.length) {
        this.head.length = 0;
        this.replayed = 0;
      }
      return chunk;
    }
    const { value, done } = await this.chunks.next();
    return done ? undefined : value;
  }

  /** The input as a Node stream named `path`, from its first chunk on, the peeked ones included. */
  readable(path: string): NodeJS.ReadableStream {
    const next = (): Promise<Uint8Array | string | undefined> => this.next();
    const stream = Readable.from((async function* () {
      for (let chunk = await next(); chunk !== undefined; chunk = await next()) yield chunk;
    })(), { objectMode: false });
    return Object.assign(stream, { path });
  }

  /** Stops the input: a pending read ends (Ctrl-C on a live capture that sends nothing). */
  destroy(): void {
    (this.stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
}

/**
 * True when `path` is read once as a stream: `-`, a FIFO or pipe, a socket, a
 * device. A regular file is read by position; so is a missing file or a
 * directory, whose reader names what is wrong.
 */
export function readsAsStream(path: string): boolean {
  if (path === '-') return true;
  try {
    const stat = fs.statSync(path);
    return !stat.isFile() && !stat.isDirectory();
  } catch {
    return false;
  }
}

/** Opens a path that is no regular file as a stream: a FIFO or pipe through the event loop, a device as a file stream. */
export function openStream(path: string): NodeJS.ReadableStream {
  if (path === '-') return process.stdin;
  if (fs.statSync(path).isFIFO()) {
    const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    return new net.Socket({ fd, readable: true, writable: false });
  }
  return fs.createReadStream(path);
}

/**
 * The first byte of `path` (`-`, a pipe, a FIFO or a file), or undefined when
 * there is none or it cannot be read (the full read names why), without
 * losing it: a stream is handed back to be read from its start.
 */
export async function peekFirstByte(path: string): Promise<{ first: number | undefined; stream?: NodeJS.ReadableStream }> {
  if (!readsAsStream(path)) {
    const byte = new Uint8Array(1);
    try {
      const fd = fs.openSync(path, 'r');
      try {
        return { first: fs.readSync(fd, byte, 0, 1, 0) === 1 ? byte[0] : undefined };
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return { first: undefined };
    }
  }
  const input = new StreamInput(openStream(path));
  let chunk = await input.peek();
  while (chunk !== undefined && chunk.length === 0) chunk = await input.peek();
  const first = chunk === undefined ? undefined : typeof chunk === 'string' ? chunk.charCodeAt(0) : chunk[0];
  return { first, stream: input.readable(path === '-' ? '<stdin>' : path) };
}
