/** Test helpers: run the reader over bytes fed in chosen chunks and keep copies of what it delivered. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CaptureError, type Frame } from '../../src/capture/frame.js';
import { CaptureReader, type CaptureReaderOptions } from '../../src/capture/reader.js';

export interface FrameCopy {
  frameNo: number;
  fileOffset: number;
  ts: number;
  capLen: number;
  origLen: number;
  linkType: number;
  interfaceId: number;
  md5: string;
}

export interface ReadOutcome {
  frames: FrameCopy[];
  /** The CaptureError thrown by push or end, if any. */
  error?: CaptureError;
  /** The warning end returned, if any. */
  warning?: CaptureError;
  /** Largest carry buffer the reader held. */
  carryCapacity: number;
}

export function copyFrame(f: Frame): FrameCopy {
  return {
    frameNo: f.frameNo,
    fileOffset: f.fileOffset,
    ts: f.ts,
    capLen: f.capLen,
    origLen: f.origLen,
    linkType: f.linkType,
    interfaceId: f.interfaceId,
    md5: createHash('md5').update(f.buf.subarray(f.offset, f.offset + f.capLen)).digest('hex'),
  };
}

/** Feeds `bytes` cut at the given split points (ascending, inside the data) and collects the outcome. */
export function readSplit(bytes: Uint8Array, splits: number[], options?: CaptureReaderOptions): ReadOutcome {
  const frames: FrameCopy[] = [];
  const reader = new CaptureReader('test.cap', (f) => frames.push(copyFrame(f)), options);
  const outcome: ReadOutcome = { frames, carryCapacity: 0 };
  try {
    let from = 0;
    for (const to of [...splits, bytes.length]) {
      // A fresh copy per chunk, then scribbled over: the reader must not keep references into it.
      const chunk = bytes.slice(from, to);
      reader.push(chunk);
      chunk.fill(0xee);
      from = to;
    }
    const warning = reader.end();
    if (warning) outcome.warning = warning;
  } catch (error) {
    if (!(error instanceof CaptureError)) throw error;
    outcome.error = error;
  }
  outcome.carryCapacity = reader.carryCapacity;
  return outcome;
}

/** Feeds `bytes` in chunks of `size` bytes. */
export function readChunked(bytes: Uint8Array, size: number, options?: CaptureReaderOptions): ReadOutcome {
  const splits: number[] = [];
  for (let at = size; at < bytes.length; at += size) splits.push(at);
  return readSplit(bytes, splits, options);
}

export function readWhole(bytes: Uint8Array, options?: CaptureReaderOptions): ReadOutcome {
  return readSplit(bytes, [], options);
}

export function load(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}
