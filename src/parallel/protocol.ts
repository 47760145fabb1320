/** Messages between `runSharded`, which reads and decodes, and its shard workers, which track. */
import type { ConnectionTally } from '../analyze.js';
import type { CollectedState } from '../merge/collector.js';
import type { Aggregate } from '../rules/findings.js';

export interface ShardMergeState {
  finalTally: ConnectionTally;
  finalFindings: Aggregate[];
  collected: CollectedState;
}

export interface ShardJob {
  /** File names as records name them, by the file index packed with each packet. */
  files: string[];
  options: { stuckAfter: number; timeWait: number; maxLive: number; live: boolean };
  shard: { index: number; count: number };
  /** Gather what `merge` needs (see merge/collector.ts). */
  mergeState: boolean;
}

/** Main to worker. */
export type ToShard =
  /**
   * A batch of decoded packets in shared memory (`buffer` is sent the first
   * time batch `id` is used); `checkpoint`: the output is cut after it, in
   * every shard alike; `advanceTo`: live input paused, and capture time
   * reached it after the batch; `gaps`: stretches between files the capture
   * did not see, found since the last batch.
   */
  | { kind: 'batch'; id: number; buffer?: SharedArrayBuffer; count: number; checkpoint: boolean; advanceTo: number | undefined; gaps?: [number, number][] }
  /** Chunks whose bytes were written out, for the worker's encoder to reuse. */
  | { kind: 'reuse'; chunks: Uint8Array[] }
  /** The input ended (or reading stopped) at capture time `lastTs`: report what is still open. */
  | { kind: 'end'; lastTs: number | null };

/** Worker to main. */
export type FromShard =
  /** Batch `id` was applied and may be refilled; at a checkpoint, with the NDJSON of the connections that ended since the last one (transferred). */
  | { kind: 'applied'; id: number; window: Uint8Array[] | undefined; connections: number }
  /**
   * The connections still open at the end, this shard's findings aggregates
   * and connection counts; with `mergeState`, also those of its final records
   * alone and the collector's state.
   */
  | { kind: 'done'; chunks: Uint8Array[]; findings: Aggregate[]; tally: ConnectionTally; merge: ShardMergeState | undefined }
  | { kind: 'failed'; message: string };
