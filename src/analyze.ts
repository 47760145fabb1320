/**
 * The library entry: captures in, contract records out. The CLI is a thin
 * layer over this module.
 */
import type { OutputRecord } from './records.js';

export interface AnalyzeOptions {
  /** Seconds an endpoint may wait in FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT, LAST_ACK, SYN_SENT or SYN_RECV before it is flagged stuck. */
  stuckAfter?: number;
  /** TIME_WAIT length used to age endpoints out (Linux: 60 s). */
  timeWait?: number;
  /** Most live connections held; beyond it the oldest idle ones are evicted and counted. */
  maxLive?: number;
  /** Largest capture record accepted, in bytes. */
  maxRecord?: number;
  /** Keep the first N segments of each connection on its record (for ladder diagrams). */
  keepSegments?: number;
  /** Verify TCP checksums (off by default: offload leaves them unfinished on the sending host). */
  verifyChecksums?: boolean;
}

/** An input: a file path, '-' for standard input, a readable stream, or the bytes of a capture. */
export type CaptureInput = string | NodeJS.ReadableStream | Uint8Array;

export declare function analyze(inputs: CaptureInput | CaptureInput[], options?: AnalyzeOptions): AsyncIterable<OutputRecord>;
