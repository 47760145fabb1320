/** Messages between `runSharded` and its shard workers. */
import type { Aggregate } from '../rules/findings.js';
import type { SummaryRecord } from '../records.js';

export interface ShardJob {
  inputs: string[];
  options: { stuckAfter: number; timeWait: number; maxLive: number; maxRecord: number };
  shard: { index: number; count: number };
  /** Output is cut at every this many frames, in every shard alike. */
  checkpointFrames: number;
  /** Send progress messages (shard 0 only). */
  progress: boolean;
}

/** Main to worker: one window of this worker's was written out, so it may send another; with the chunks written since, to reuse. */
export interface Written {
  kind: 'written';
  chunks: Uint8Array[];
}

/** Main to worker: stop reading, as if the input ended (Ctrl-C). */
export const STOP = 'stop';

/** Windows a worker may have sent and not yet seen written before it pauses its reading. */
export const WINDOWS_IN_FLIGHT = 8;

export type ShardMessage =
  /** NDJSON lines of the connections that ended up to a checkpoint (UTF-8 chunks, transferred). */
  | { kind: 'window'; chunks: Uint8Array[] }
  | { kind: 'progress'; input: string; bytes: number; totalBytes: number | undefined; packets: number; connections: number }
  /** The connections still open at the end, this shard's findings aggregates and summary. */
  | { kind: 'done'; chunks: Uint8Array[]; findings: Aggregate[]; summary: SummaryRecord }
  | { kind: 'failed'; message: string; capture?: { kind: string; file: string; offset: number; reason: string } };
