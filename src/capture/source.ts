/**
 * Drives a CaptureReader from where captures come from: a file path (read
 * with `readSync` into one reused 1 MiB buffer, no streams: the fast path),
 * `-` for standard input, any Node readable stream, or bytes in memory.
 *
 * `readCapture` resolves with what was read, including part-way damage
 * (`error`, everything before it delivered) and a cut-short last record
 * (`warning`); it rejects only when the input is no usable capture: a
 * CaptureError of kind `not-capture`, also for a missing or unreadable file.
 * `sniffCaptureFile` checks a file's header up front, so a command can refuse
 * unusable inputs before it writes any output.
 */
import fs from 'node:fs';
import { CaptureError, type CaptureFormat, type Frame } from './frame.js';
import { CaptureReader, type CaptureReaderOptions } from './reader.js';

export interface ReadCaptureOptions extends CaptureReaderOptions {
  /** Called after each chunk with the bytes read so far and the total when known (files). */
  onProgress?: ((bytes: number, totalBytes: number | undefined) => void) | undefined;
  /**
   * Called after each chunk; when it returns a promise, reading waits for it.
   * Lets a consumer that is behind apply back-pressure.
   */
  pause?: (() => Promise<void> | undefined) | undefined;
  /** Read size for files, in bytes (default 1 MiB). */
  chunkBytes?: number;
  /** Once aborted, reading stops after the current chunk, as if the input ended there (Ctrl-C). */
  signal?: AbortSignal | undefined;
}

export interface ReadCaptureResult {
  format: CaptureFormat;
  /** Frames delivered. */
  frames: number;
  /** Bytes read. */
  bytes: number;
  /** The last record was cut short (the input ends as when tcpdump is killed). */
  warning?: CaptureError;
  /** Damage part-way: every frame before `error.offset` was delivered, nothing after. */
  error?: CaptureError;
}

export type CaptureSource = string | NodeJS.ReadableStream | Uint8Array;

const FILE_CHUNK_BYTES = 1024 * 1024;
const SNIFF_READ_BYTES = 64 * 1024;

/** Reads a whole capture, handing each frame (reused: copy what you keep) to `onFrame`. */
export async function readCapture(
  input: CaptureSource,
  name: string,
  onFrame: (frame: Frame) => void,
  options: ReadCaptureOptions = {},
): Promise<ReadCaptureResult> {
  const reader = new CaptureReader(name, onFrame, options);
  let error: CaptureError | undefined;
  try {
    if (typeof input === 'string' && input !== '-') await readFile(reader, input, options);
    else if (input instanceof Uint8Array) {
      reader.push(input);
      options.onProgress?.(reader.bytes, input.length);
    }
    else await readStream(reader, input === '-' ? process.stdin : input, options);
  } catch (caught) {
    if (!(caught instanceof CaptureError) || caught.kind === 'not-capture') throw caught;
    error = caught;
  }
  const warning = error || options.signal?.aborted ? undefined : reader.end();
  const result: ReadCaptureResult = { format: reader.format!, frames: reader.frames, bytes: reader.bytes };
  if (warning) result.warning = warning;
  if (error) result.error = error;
  return result;
}

async function readFile(reader: CaptureReader, path: string, options: ReadCaptureOptions): Promise<void> {
  const fd = openCapture(path);
  try {
    const total = fs.fstatSync(fd).size;
    const buf = new Uint8Array(options.chunkBytes ?? FILE_CHUNK_BYTES);
    while (true) {
      const n = readChunk(reader, fd, buf, path);
      if (n === 0) break;
      reader.push(n === buf.length ? buf : buf.subarray(0, n));
      options.onProgress?.(reader.bytes, total);
      const wait = options.pause?.();
      if (wait) await wait;
      else if (options.signal) await yieldToEvents(); // lets a signal handler run between chunks
      if (options.signal?.aborted) return;
    }
  } finally {
    fs.closeSync(fd);
  }
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function readStream(reader: CaptureReader, stream: NodeJS.ReadableStream, options: ReadCaptureOptions): Promise<void> {
  // An interrupt must not wait for the next chunk of a live capture that may never come.
  const stop = (): void => void (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      if (typeof chunk === 'string') throw new CaptureError('not-capture', reader.name, reader.bytes, 'stream yields text, not bytes');
      reader.push(chunk);
      options.onProgress?.(reader.bytes, undefined);
      const wait = options.pause?.();
      if (wait) await wait;
      if (options.signal?.aborted) return;
    }
  } catch (caught) {
    if (caught instanceof CaptureError) throw caught;
    if (options.signal?.aborted) return;
    throw readFailure(reader, caught);
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}

/** A read that fails before the header is a usable input missing; after it, damage part-way. */
function readFailure(reader: CaptureReader, caught: unknown): CaptureError {
  const message = caught instanceof Error ? caught.message : String(caught);
  return new CaptureError(reader.started ? 'corrupt' : 'not-capture', reader.name, reader.bytes, `read failed: ${message}`);
}

function readChunk(reader: CaptureReader, fd: number, buf: Uint8Array, path: string): number {
  try {
    return fs.readSync(fd, buf, 0, buf.length, null);
  } catch (caught) {
    throw fileError(caught, path, reader);
  }
}

function openCapture(path: string): number {
  try {
    return fs.openSync(path, 'r');
  } catch (caught) {
    throw fileError(caught, path, undefined);
  }
}

/** Maps a file system error to a CaptureError with a reason people read. */
function fileError(caught: unknown, path: string, reader: CaptureReader | undefined): CaptureError {
  const code = (caught as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === 'ENOENT' ? 'no such file'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory, not a capture file'
    : `cannot read: ${caught instanceof Error ? caught.message : String(caught)}`;
  const started = reader?.started ?? false;
  return new CaptureError(started ? 'corrupt' : 'not-capture', path, reader?.bytes ?? 0, reason);
}

/**
 * Opens `path` and checks that it starts as a capture we read: throws a
 * `not-capture` CaptureError (missing, unreadable, empty, unknown format,
 * bad file header) and returns the format otherwise. Damage further in is
 * left to the full read.
 */
export function sniffCaptureFile(path: string): CaptureFormat {
  return sniffCapture(path).format;
}

/** The time of a file's first packet, when its first 64 KiB hold one: how rotated files are put in order. */
export function firstPacketTime(path: string): number | undefined {
  return sniffCapture(path).firstTs;
}

function sniffCapture(path: string): { format: CaptureFormat; firstTs: number | undefined } {
  const fd = openCapture(path);
  let firstTs: number | undefined;
  const reader = new CaptureReader(path, (frame) => (firstTs ??= frame.ts));
  try {
    const buf = new Uint8Array(SNIFF_READ_BYTES);
    const n = readChunk(reader, fd, buf, path);
    try {
      reader.push(buf.subarray(0, n));
    } catch (caught) {
      if (!(caught instanceof CaptureError) || caught.kind === 'not-capture') throw caught;
    }
    // A file header still incomplete is fatal only if the file ends there.
    if (!reader.started && n < buf.length) reader.end();
    return { format: reader.format!, firstTs };
  } finally {
    fs.closeSync(fd);
  }
}
