/**
 * Drives a CaptureReader from where captures come from: a regular file (read
 * a 1 MiB chunk ahead into two reused buffers, no streams: the fast path),
 * `-` for standard input, a pipe, FIFO or device given by name, any Node
 * readable stream (these are read once, as streams), or bytes in memory.
 *
 * `readCapture` resolves with what was read, including part-way damage
 * (`error`, everything before it delivered) and a cut-short last record
 * (`warning`); it rejects only when the input is no usable capture: a
 * CaptureError of kind `not-capture`, also for a missing or unreadable file.
 * The probes check an input's header and find its first packet up front, so
 * a command can refuse unusable inputs before it writes any output and put
 * rotated files in order; a stream's probed chunks are read again, not lost.
 */
import fs from 'node:fs';
import { CaptureError, type CaptureFormat, type Frame } from './frame.js';
import { CaptureReader, type CaptureReaderOptions } from './reader.js';
import { openStream, readsAsStream, StreamInput } from './stream-input.js';

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
  /** Packets the capture itself dropped, by its own counters (pcapng interface statistics, epb_dropcount). */
  droppedPackets?: number;
  /** Packets whose times no clock gave (before 1970, after 9999): each got the previous packet's time. */
  impossibleTimes?: { count: number; firstFrame: number };
  /** The last record was cut short (the input ends as when tcpdump is killed). */
  warning?: CaptureError;
  /** Damage part-way: every frame before `error.offset` was delivered, nothing after. */
  error?: CaptureError;
}

export type CaptureSource = string | NodeJS.ReadableStream | Uint8Array | StreamInput;

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
    if (typeof input === 'string' && !readsAsStream(input)) await readFile(reader, input, options);
    else if (input instanceof Uint8Array) {
      reader.push(input);
      options.onProgress?.(reader.bytes, input.length);
    }
    else await readStream(reader, input instanceof StreamInput ? input : streamInput(input, reader), options);
  } catch (caught) {
    if (!(caught instanceof CaptureError) || caught.kind === 'not-capture') throw caught;
    error = caught;
  }
  const warning = error || options.signal?.aborted ? undefined : reader.end();
  const result: ReadCaptureResult = { format: reader.format!, frames: reader.frames, bytes: reader.bytes };
  if (reader.droppedPackets > 0) result.droppedPackets = reader.droppedPackets;
  if (reader.impossible.count > 0) result.impossibleTimes = reader.impossible;
  if (warning) result.warning = warning;
  if (error) result.error = error;
  return result;
}

/**
 * A file is read a chunk ahead: the next chunk is read on the thread pool
 * while this one is parsed, into the other of two buffers, so that reading
 * costs the parsing thread nothing but the wait, if any.
 */
async function readFile(reader: CaptureReader, path: string, options: ReadCaptureOptions): Promise<void> {
  const fd = openCapture(path);
  const size = options.chunkBytes ?? FILE_CHUNK_BYTES;
  const buffers = [new Uint8Array(size), new Uint8Array(size)];
  let ahead: Promise<number> | undefined;
  try {
    const total = fs.fstatSync(fd).size;
    ahead = readChunk(reader, fd, buffers[0]!, path);
    for (let i = 0; ; i ^= 1) {
      const n = await ahead;
      ahead = undefined;
      if (n === 0) break;
      const buf = buffers[i]!;
      ahead = readChunk(reader, fd, buffers[i ^ 1]!, path);
      reader.push(n === buf.length ? buf : buf.subarray(0, n));
      options.onProgress?.(reader.bytes, total);
      const wait = options.pause?.();
      if (wait) await wait;
      else if (options.signal) await yieldToEvents(); // lets a signal handler run between chunks
      if (options.signal?.aborted) return;
    }
  } finally {
    // A read still under way would otherwise read from whatever the closed descriptor's number is given to next.
    if (ahead) await ahead.catch(() => 0);
    fs.closeSync(fd);
  }
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Opens a path, `-` or a stream to be read once. */
function streamInput(input: string | NodeJS.ReadableStream, reader: CaptureReader | undefined): StreamInput {
  if (typeof input !== 'string') return new StreamInput(input);
  try {
    return new StreamInput(openStream(input));
  } catch (caught) {
    throw fileError(caught, input, reader);
  }
}

async function readStream(reader: CaptureReader, input: StreamInput, options: ReadCaptureOptions): Promise<void> {
  // An interrupt must not wait for the next chunk of a live capture that may never come.
  const stop = (): void => input.destroy();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for (let chunk = await input.next(); chunk !== undefined; chunk = await input.next()) {
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

function readChunkNow(reader: CaptureReader, fd: number, buf: Uint8Array, path: string): number {
  try {
    return fs.readSync(fd, buf, 0, buf.length, null);
  } catch (caught) {
    throw fileError(caught, path, reader);
  }
}

/** Reads the file's next bytes into `buf` on the thread pool; resolves with how many. */
function readChunk(reader: CaptureReader, fd: number, buf: Uint8Array, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buf, 0, buf.length, null, (error, n) => (error ? reject(fileError(error, path, reader)) : resolve(n)));
  });
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

/** What a probe finds at the start of an input: its format, and its first packet's time when the probed bytes hold one. */
export interface CaptureProbe {
  format: CaptureFormat;
  firstTs: number | undefined;
}

/**
 * Opens `path` and checks that it starts as a capture we read: throws a
 * `not-capture` CaptureError (missing, unreadable, empty, unknown format,
 * bad file header); else returns the format and the first packet's time when
 * the first 64 KiB hold one. Damage further in is left to the full read.
 */
export function probeFile(path: string): CaptureProbe {
  const fd = openCapture(path);
  const probe = new Probe(path);
  try {
    const buf = new Uint8Array(SNIFF_READ_BYTES);
    const n = readChunkNow(probe.reader, fd, buf, path);
    probe.push(buf.subarray(0, n));
    // A file header still incomplete is fatal only if the file ends there.
    return probe.result(n < buf.length);
  } finally {
    fs.closeSync(fd);
  }
}

/** Checks the header of bytes in memory and finds their first packet in the first 64 KiB. */
export function probeBytes(bytes: Uint8Array, name: string): CaptureProbe {
  const probe = new Probe(name);
  probe.push(bytes.subarray(0, SNIFF_READ_BYTES));
  return probe.result(bytes.length <= SNIFF_READ_BYTES);
}

/**
 * Opens a stream input and reads ahead until its header is accepted (and,
 * with `untilFirstPacket`, its first packet or 64 KiB came): the chunks are
 * kept for the full read. Throws not-capture as `probeFile` does; returns
 * the input and, unless interrupted, what the probe found.
 */
export async function probeStream(
  source: string | NodeJS.ReadableStream | StreamInput,
  name: string,
  untilFirstPacket: boolean,
  signal?: AbortSignal,
): Promise<{ input: StreamInput; probe: CaptureProbe | undefined }> {
  const input = source instanceof StreamInput ? source : streamInput(source, undefined);
  const probe = new Probe(name);
  const stop = (): void => input.destroy();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    while (!probe.done(untilFirstPacket)) {
      const chunk = await input.peek();
      if (chunk === undefined) return { input, probe: probe.result(true) };
      if (typeof chunk === 'string') throw new CaptureError('not-capture', name, probe.reader.bytes, 'stream yields text, not bytes');
      probe.push(chunk);
    }
    return { input, probe: probe.result(false) };
  } catch (caught) {
    if (signal?.aborted) return { input, probe: undefined };
    input.destroy();
    if (caught instanceof CaptureError) throw caught;
    throw readFailure(probe.reader, caught);
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** A throwaway reader over an input's first bytes. */
class Probe {
  readonly reader: CaptureReader;
  private firstTs: number | undefined;
  /** Damage already in the probed bytes: left to the full read to report where it lies. */
  private damaged = false;

  constructor(name: string) {
    this.reader = new CaptureReader(name, (frame) => (this.firstTs ??= frame.ts));
  }

  push(chunk: Uint8Array): void {
    try {
      this.reader.push(chunk);
    } catch (caught) {
      if (!(caught instanceof CaptureError) || caught.kind === 'not-capture') throw caught;
      this.damaged = true;
    }
  }

  /** True once the header was accepted and, when asked, the first packet (or 64 KiB, or damage) came. */
  done(untilFirstPacket: boolean): boolean {
    if (!this.reader.started) return false;
    return !untilFirstPacket || this.firstTs !== undefined || this.damaged || this.reader.bytes >= SNIFF_READ_BYTES;
  }

  /** What was found; at the input's end, a header still incomplete is not-capture. */
  result(atEnd: boolean): CaptureProbe {
    if (atEnd && !this.reader.started) this.reader.end();
    return { format: this.reader.format!, firstTs: this.firstTs };
  }
}
